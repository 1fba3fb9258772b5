"""A helper for the language-file tests of the audit and the value maps."""

from __future__ import annotations

from pathlib import Path


def broken_copy(folder: Path, tmp_path: Path, old: str, new: str) -> Path:
    """``folder``'s English file with ``old`` replaced by ``new``, written to ``tmp_path``."""
    text = (folder / "en.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "en.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path
