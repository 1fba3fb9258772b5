"""Read CSV, TSV, JSON, JSONL and Parquet files into DataFrames, with errors that name file, row and column; write
CSV that a spreadsheet opens without running formulas."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Mapping, Sequence, TextIO

import pandas as pd

from .schema import PROMPT_COLUMNS, SITUATION_COLUMNS, STATEMENT_COLUMNS, Column, DatasetError, validate
from .text import not_utf8

FORMATS = (".csv", ".tsv", ".jsonl", ".json", ".parquet")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a file by its extension; adds `_row`, the 1-based record number, for error messages."""
    path = Path(path)
    if path.is_dir():
        raise DatasetError(path, f"a folder, not a file (give one of its files: {', '.join(FORMATS)})")
    if not path.is_file():
        raise DatasetError(path, "no such file")
    if path.stat().st_size == 0:
        raise DatasetError(path, "the file is empty")
    compressed = path.suffix.lower() == ".gz"  # releases such as HH-RLHF's come gzip-compressed (test.jsonl.gz)
    suffix = Path(path.stem).suffix.lower() if compressed else path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv"):
            df = _read_csv(path, "\t" if suffix == ".tsv" else ",")
        elif suffix == ".jsonl":
            df = pd.DataFrame(_read_jsonl(path, compressed))
        elif suffix == ".json":
            with _open_text(path, compressed) as fh:
                data = json.load(fh)
            if isinstance(data, dict):
                data = next((v for v in data.values() if isinstance(v, list)), None)
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise DatasetError(path, "expected a JSON list of objects (or an object holding one)")
            df = pd.DataFrame(data)
        elif suffix == ".parquet" and not compressed:
            df = pd.read_parquet(path)
        else:
            raise DatasetError(path, f"unsupported file type '{''.join(path.suffixes[-2:] if compressed else [suffix])}' "
                               f"(use one of {', '.join(FORMATS)}, the text ones also gzip-compressed as .gz)")
    except DatasetError:
        raise
    except UnicodeDecodeError:
        with gzip.open(path) if compressed else path.open("rb") as raw:
            raise not_utf8(path, raw.read()) from None
    except (EOFError, zlib.error) as exc:
        raise DatasetError(path, f"cannot read: a damaged or cut short gzip file ({exc})") from None
    except (OSError, ValueError) as exc:
        raise DatasetError(path, f"cannot read: {(str(exc).splitlines() or [type(exc).__name__])[0]}") from None
    df["_row"] = range(1, len(df) + 1)
    return df


def _read_csv(path: Path, sep: str) -> pd.DataFrame:
    """A CSV or TSV file as text columns; DatasetError for a header that names a column twice, which pandas would
    read as two columns, the second renamed ('text', 'text.1'), so that one of them would be silently ignored."""
    header = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, header=None, nrows=1).iloc[0].tolist()
    named = [name for name in header if name.strip()]
    twice = next((name for name in named if named.count(name) > 1), None)
    if twice is not None:
        positions = ", ".join(str(i + 1) for i, name in enumerate(header) if name == twice)
        raise DatasetError(path, f"the header names this column twice (columns {positions}); rename or remove one",
                           column=twice)
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)


def _open_text(path: Path, compressed: bool) -> TextIO:
    """The file as UTF-8 text, decompressing a gzip file."""
    return gzip.open(path, "rt", encoding="utf-8") if compressed else path.open(encoding="utf-8")


def _read_jsonl(path: Path, compressed: bool) -> list[dict]:
    rows = []
    with _open_text(path, compressed) as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(path, f"malformed JSON line ({exc.msg} at character {exc.colno})", row=n) from None
            if not isinstance(record, dict):
                raise DatasetError(path, f"expected a JSON object, got {type(record).__name__}", row=n)
            rows.append(record)
    return rows


def load_table(
    path: str | Path,
    schema: Sequence[Column],
    columns: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Load a table of any supported file into ``schema``.

    Args:
        columns: our column name -> the file's column name, for files with other headers.
        defaults: values for columns the file lacks (e.g. ``{"language": "en"}``).
    """
    df = read_table(path)
    for ours, theirs in (columns or {}).items():
        if theirs not in df.columns:
            raise DatasetError(path, f"column mapping names '{theirs}', which the file lacks", column=theirs)
        df[ours] = df[theirs]
    for name, value in (defaults or {}).items():
        if name not in df.columns:
            df[name] = value
    return validate(df, schema, path)


def load_statements(path: str | Path, columns: Mapping[str, str] | None = None,
                    defaults: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A validated statement table (see ``STATEMENT_COLUMNS``) from any supported file."""
    return load_table(path, STATEMENT_COLUMNS, columns, defaults)


def load_situations(path: str | Path, columns: Mapping[str, str] | None = None,
                    defaults: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A validated situation table (see ``SITUATION_COLUMNS``) from any supported file; language defaults to en."""
    return load_table(path, SITUATION_COLUMNS, columns, {"language": "en", **(defaults or {})})


def load_prompts(path: str | Path, columns: Mapping[str, str] | None = None,
                 defaults: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A validated prompt table (see ``PROMPT_COLUMNS``) for candidate sets; language defaults to en."""
    return load_table(path, PROMPT_COLUMNS, columns, {"language": "en", **(defaults or {})})


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP)


def csv_text(table: pd.DataFrame) -> str:
    """``table`` as CSV for people to open in a spreadsheet: list and dict cells as JSON (which ``load_comparisons``
    reads back), and a text cell that starts like a formula (``= + - @``, tab, carriage return) behind a single quote,
    as OWASP advises against CSV injection: an annotator's reason ``=HYPERLINK(...)`` must not run on the admin's
    machine. Lines end in CRLF (RFC 4180), so a cell holding a carriage return is quoted too. Parquet and JSONL keep
    every text as written."""
    def cell(value):
        if isinstance(value, (list, dict)):
            return json.dumps(value, ensure_ascii=False)
        return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
    texts = [c for c in table.columns if pd.api.types.is_string_dtype(table[c].dtype)]
    return table.assign(**{c: table[c].map(cell) for c in texts}).to_csv(index=False, lineterminator="\r\n")
