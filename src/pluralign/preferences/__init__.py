"""Deprecated: ``pluralign.learn`` under its old name, kept so that code written before the rename runs unchanged.

The learn capability's package was ``pluralign.preferences`` until it took its job's name (issue 34). Importing this
package, or any module under it (``pluralign.preferences.reward``, ``pluralign.preferences.job``, ...), warns once
with a DeprecationWarning naming the new path, and gives the very objects of ``pluralign.learn``: the module
``pluralign.preferences.X`` *is* ``pluralign.learn.X``, so classes, isinstance checks and an install's entry point
written before the rename (``pluralign.preferences.job:JOB``) all agree with the new name. Remove it when nothing
imports the old name any more.
"""

from __future__ import annotations

import sys
import warnings
from importlib import import_module
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

from .. import learn

OLD, NEW = __name__, learn.__name__
__all__ = list(learn.__all__)

warnings.warn(f"{OLD} is renamed {NEW}: import from {NEW} (and {OLD}.X from {NEW}.X); the old name will be removed",
              DeprecationWarning, stacklevel=2)


def __getattr__(name: str) -> Any:
    """A name of the old package: the new package's object itself."""
    return getattr(learn, name)


class _SameModule(MetaPathFinder, Loader):
    """Imports ``pluralign.preferences.X`` as the module ``pluralign.learn.X`` itself (one module, two names)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        return ModuleSpec(fullname, self) if fullname.startswith(f"{OLD}.") else None

    def exec_module(self, module: ModuleType) -> None:
        """Put the new module where the import system looks for what it loaded (it hands back what ``sys.modules``
        holds under the old name), so nothing runs twice and the new module keeps its own ``__spec__``."""
        sys.modules[module.__name__] = import_module(NEW + module.__name__.removeprefix(OLD))


sys.meta_path.append(_SameModule())
