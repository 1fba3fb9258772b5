"""Imports point down (ARCHITECTURE's Layers): a capability never imports another, and nothing below the capabilities
imports one. What two capabilities share lives below them (candidates, estimators, valuemaps, metrics, data); where
one runs another's job it asks the job registry. Read from the source's own import statements, so a lazy import
inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "pluralign"
CAPABILITIES = ("audit", "values", "learn", "sampling", "collect", "align")
# the command line imports every capability; ``preferences`` is learn's deprecated old name, an alias of it
ABOVE = ("cli", "__main__", "preferences")


def _room(path: Path) -> str:
    """The package (or top-level module) of ``src/pluralign`` a file belongs to."""
    parts = path.relative_to(SRC).parts
    return parts[0].removesuffix(".py")


def _imported_rooms(path: Path) -> set[str]:
    """The rooms of ``src/pluralign`` that a file imports (absolute ``pluralign.X`` or relative ``..X``)."""
    depth = len(path.relative_to(SRC).parts) - 1  # how many dots reach src/pluralign from this file's package
    rooms = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names = [node.module or ""]
            elif node.level == depth + 1:  # relative to src/pluralign itself
                names = [f"pluralign.{node.module}" if node.module else f"pluralign.{a.name}" for a in node.names]
            else:
                continue  # inside its own room
        else:
            continue
        rooms |= {name.split(".")[1] for name in names if name.startswith("pluralign.")}
    return rooms


def _files() -> list[Path]:
    """Every module below the command line."""
    return sorted(p for p in SRC.rglob("*.py") if _room(p) not in ABOVE and "migrations" not in p.parts)


def test_the_layer_check_reads_relative_and_absolute_imports():
    assert {"estimators", "jobs", "valuemaps"} <= _imported_rooms(SRC / "align" / "before_after.py") | \
        _imported_rooms(SRC / "align" / "eval_rewards.py")
    assert "estimators" in _imported_rooms(SRC / "collect" / "refit.py")


def test_no_capability_is_imported_sideways_or_from_below():
    wrong = {str(p.relative_to(SRC)): sorted((_imported_rooms(p) & set(CAPABILITIES)) - {_room(p)}) for p in _files()}
    wrong = {file: rooms for file, rooms in wrong.items() if rooms}
    assert not wrong, f"these files import other capabilities: {wrong}; move what they share below them, or reach " \
                      "another capability's job through the job registry"
