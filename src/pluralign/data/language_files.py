"""Per-language data files: one TOML file per language (``<code>.toml``) in a capability's ``languages/`` folder,
read and checked against named fields, so that adding a language is adding a file and a broken file fails on load
with the file and the field named.

A field spec is ``str`` (a non-empty string), ``[spec]`` (a non-empty list of that spec) or ``{name: spec}`` (a table
with exactly those fields).
"""

from __future__ import annotations

import tomllib
from importlib.resources.abc import Traversable
from typing import Any, Union

from ..errors import InputError
from .schema import language_code

Spec = Union[type[str], list["Spec"], dict[str, "Spec"]]


class LanguageFileError(InputError):
    """A language file that cannot be used; the message names the file and the field so its author can fix it."""

    def __init__(self, path: str | Traversable, field: str | None, problem: str):
        super().__init__(f"{path}, field '{field}': {problem}" if field else f"{path}: {problem}")
        self.path, self.field = path, field


def language_files(folder: Traversable) -> dict[str, Traversable]:
    """The ``<code>.toml`` files in ``folder`` by language code, English first (the fallback), then by code."""
    files = {f.name.removesuffix(".toml"): f for f in folder.iterdir() if f.name.endswith(".toml")}
    for code, path in files.items():
        if language_code(code) != code:
            raise LanguageFileError(path, None, f"'{code}' is not an ISO 639-1 language code; name the file after one")
    if "en" not in files:
        raise LanguageFileError(folder, None, "no en.toml; English is the fallback for every other language")
    return {code: files[code] for code in sorted(files, key=lambda c: (c != "en", c))}


def read_language_file(path: Traversable, spec: dict[str, Spec]) -> dict[str, Any]:
    """The table in a TOML file, checked against ``spec``: every field present, none unknown, each of its type."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LanguageFileError(path, None, f"not valid TOML: {exc}") from None
    _check(table, spec, path, "")
    return table


def _check(value: Any, spec: Spec, path: Traversable, field: str) -> None:
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise LanguageFileError(path, field, "must be a table")
        for name in spec:
            if name not in value:
                raise LanguageFileError(path, _join(field, name), "missing; every language file needs it")
        for name in value:
            if name not in spec:
                raise LanguageFileError(path, _join(field, name), f"unknown; the fields are {', '.join(spec)}")
        for name, inner in spec.items():
            _check(value[name], inner, path, _join(field, name))
    elif isinstance(spec, list):
        if not isinstance(value, list) or not value:
            raise LanguageFileError(path, field, "must be a non-empty list")
        for i, item in enumerate(value):
            _check(item, spec[0], path, f"{field} #{i + 1}")
    elif not isinstance(value, str) or not value.strip():
        raise LanguageFileError(path, field, f"must be a non-empty string, not {value!r}")


def _join(field: str, name: str) -> str:
    return f"{field}.{name}" if field else name
