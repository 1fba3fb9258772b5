"""Sizes the house keeps (STYLE: small modules, short functions): no function or method of ``src/`` over 80 lines, no
module over 300. Read from the source's syntax tree, so a new offender fails here rather than in a review."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "pluralign"
FUNCTION_LINES = 80
MODULE_LINES = 300


def _function_lines(source: str) -> dict[str, int]:
    """Each function's (and method's) lines, from its ``def`` to its last line (decorators not counted), by
    qualified name."""
    lines: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if not isinstance(child, ast.ClassDef):
                    lines[prefix + child.name] = child.end_lineno - child.lineno + 1
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return lines


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_the_size_check_counts_a_function_from_def_to_its_last_line():
    source = "class A:\n    @staticmethod\n    def f():\n        x = 1\n\n        return x\n\nasync def g(): pass\n"
    assert _function_lines(source) == {"A.f": 4, "g": 1}


def test_no_function_is_over_80_lines():
    long = {f"{path.relative_to(SRC)}:{name}": n for path in _modules()
            for name, n in _function_lines(path.read_text(encoding="utf-8")).items() if n > FUNCTION_LINES}
    assert not long, f"functions over {FUNCTION_LINES} lines: {long}; split each into named steps"


def test_no_module_is_over_300_lines():
    long = {str(path.relative_to(SRC)): n for path in _modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MODULE_LINES}
    assert not long, f"modules over {MODULE_LINES} lines: {long}; move a coherent part into a module of its own"
