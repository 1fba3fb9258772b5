"""Reading a user's text file as UTF-8, with the one error every reader gives when it is not: the file, the row (its
line) and column (the character in that line) of the first byte that is not UTF-8, and what to do."""

from __future__ import annotations

from pathlib import Path

from .schema import DatasetError


def read_text(path: str | Path) -> str:
    """``path``'s text; a ``DatasetError`` (``not_utf8``) when it is not UTF-8."""
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise not_utf8(path, raw) from None


def not_utf8(path: str | Path, raw: bytes) -> DatasetError:
    """The error for ``raw``, the bytes of ``path``, that are not UTF-8: it names the row (the line, from 1) and the
    column (the character in that line, from 1) of the first bad byte, so a user finds it in an editor.
    Decoded here again because a reader that decodes in chunks (pandas) reports a place within its chunk."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[start:exc.start].decode("utf-8", errors="replace")) + 1
        return DatasetError(path, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}: {exc.reason}); save the file as "
                                  "UTF-8", row=raw.count(b"\n", 0, exc.start) + 1, column=column)
    return DatasetError(path, "not UTF-8 text; save the file as UTF-8")
