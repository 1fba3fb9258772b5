"""Column schemas of pluralign's tables, and validation that names the file, row and column of a problem."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd
import pycountry

from ..errors import InputError


class DatasetError(InputError):
    """Bad input data; the message names the file, row and column so a user can fix it."""

    def __init__(self, path: str | Path | None, problem: str, *, row: int | None = None,
                 column: str | int | None = None):
        where = [str(path) if path else "<table>"]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:  # a table's column by name, a text file's by its place in the line
            where.append(f"column {column}" if isinstance(column, int) else f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {problem}")
        self.path, self.row, self.column = path, row, column


def left_out(table: pd.DataFrame) -> dict[str, int]:
    """How many rows of its file a loader left out of ``table``, by reason (empty when it kept them all): loaders
    read releases as published, so what they cannot use is counted and said, never dropped silently."""
    return dict(table.attrs.get("left_out", {}))


def left_out_notes(source: str, counts: Mapping[str, int], kept: int | None = None) -> list[str]:
    """One line per reason rows of ``source`` were left out ("trl:pairs.jsonl: 1 left out (an empty chosen or
    rejected reply), 40 kept"; ``kept`` where known): the one wording of the warning a command gives when it reads
    the data (``sources.warn_left_out``) and of the notes a run's summary gives from the counts in its manifest."""
    return [f"{source}: {n} left out ({reason})" + ("" if kept is None else f", {kept} kept")
            for reason, n in counts.items()]


def with_left_out(table: pd.DataFrame, counts: dict[str, int]) -> pd.DataFrame:
    """``table`` carrying the counts of rows its loader left out, by reason (reasons with no rows are not kept)."""
    table.attrs["left_out"] = {reason: n for reason, n in counts.items() if n}
    return table


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "str" | "lang" | "list" | "bool" | "messages" | "number" (finite, not negative)
    required: bool = True
    doc: str = ""


STATEMENT_COLUMNS = (
    Column("id", "str", doc="unique id of the statement"),
    Column("text", "str", doc="the statement, in its own language"),
    Column("language", "lang", doc="ISO 639-1 code of `text`"),
    Column("topic", "str", doc="what the statement is about"),
    Column("country", "str", False, "national context the statement comes from"),
    Column("source", "str", False, "who produced it (government, party, NGO, suite name, ...)"),
    Column("labels", "list", False, "values the statement expresses"),
    Column("text_en", "str", False, "English translation (needed for the translated variant)"),
    Column("position", "str", False, "which side of the topic the statement takes"),
)

SITUATION_COLUMNS = (
    Column("id", "str", doc="unique id of the situation"),
    Column("text", "str", doc="the situation or action, in its own language"),
    Column("language", "lang", doc="ISO 639-1 code of `text`"),
    Column("text_en", "str", False, "English translation"),
    Column("topic", "str", False, "what the situation is about"),
    Column("source", "str", False, "where it comes from"),
)

PROMPT_COLUMNS = (
    Column("id", "str", doc="unique id of the prompt"),
    Column("text", "str", doc="the user's message that candidates answer"),
    Column("language", "lang", doc="ISO 639-1 code of `text`"),
    Column("context", "messages", False, "earlier turns, as chat messages ({role, content}; JSON in CSV cells)"),
    Column("topic", "str", False, "what the prompt is about"),
    Column("source", "str", False, "where it comes from"),
)

SURVEY_COLUMNS = (
    Column("question_id", "str", doc="id of the survey question"),
    Column("question", "str", doc="question text"),
    Column("options", "list", doc="answer options, in order"),
    Column("ordinal", "bool", doc="whether the options are ordered (Wasserstein) or not (Jensen-Shannon); loaders "
                                  "keep it true only where `positions` are not all equal (OpinionQA's mark of an "
                                  "unordered question)"),
    Column("group", "str", doc="the human group whose answers `distribution` holds"),
    Column("distribution", "list", doc="share of the group choosing each option"),
    Column("positions", "list", False, "where each option lies on the question's scale (OpinionQA's option_ordinal, "
                                       "e.g. 1|3|2 when the third option is the middle one); 1..N when empty"),
    Column("language", "lang", False, "language of the question"),
    Column("source", "str", False, "survey it comes from"),
    Column("weight", "number", False, "the group's share of the population the survey samples, where the groups "
                                      "partition it (population_alignment mixes the groups' answers by it; a survey "
                                      "with an `Overall` group uses that group instead)"),
)

_LANGUAGES = {lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")}


def language_code(value: str) -> str | None:
    """An ISO 639-1 code from a code or an English language name; None when unknown."""
    text = str(value).strip()
    if text.lower() in _LANGUAGES:
        return text.lower()
    try:
        lang = pycountry.languages.lookup(text)
    except LookupError:
        return None
    return getattr(lang, "alpha_2", None)


def _row_number(df: pd.DataFrame, i: int) -> int:
    """The 1-based record number in the source file (kept by loaders in the `_row` column)."""
    return int(df["_row"].iloc[i]) if "_row" in df.columns else i + 1


def validate(df: pd.DataFrame, columns: Iterable[Column], path: str | Path | None, unique: str | None = "id") -> pd.DataFrame:
    """Check types and required values; return a clean copy with every schema column present."""
    columns = tuple(columns)
    for col in columns:
        if col.required and col.name not in df.columns:
            raise DatasetError(path, f"missing required column (has: {', '.join(c for c in df.columns if c != '_row') or 'none'})", column=col.name)
    out = df.copy()
    for col in columns:
        if col.name not in out.columns:
            out[col.name] = [[] for _ in range(len(out))] if col.kind == "list" else None
            continue
        values = []
        for i, value in enumerate(out[col.name].tolist()):
            values.append(_check(value, col, path, _row_number(out, i)))
        out[col.name] = values
    if unique and unique in out.columns:
        dup = out[unique].duplicated()
        if dup.any():
            i = int(dup.to_numpy().nonzero()[0][0])
            raise DatasetError(path, f"duplicate id {out[unique].iloc[i]!r}", row=_row_number(out, i), column=unique)
    return out


def _missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and pd.isna(value):
        return True
    return isinstance(value, str) and not value.strip()


def _check(value, col: Column, path, row: int):
    if _missing(value):
        if col.required:
            raise DatasetError(path, "empty value", row=row, column=col.name)
        return [] if col.kind == "list" else None
    if col.kind in ("str", "lang"):
        if not isinstance(value, str):
            raise DatasetError(path, f"expected text, got {type(value).__name__} {value!r}", row=row, column=col.name)
        text = str(value).strip()
        if col.kind == "lang":
            code = language_code(text)
            if code is None:
                raise DatasetError(path, f"unknown language code {text!r} (use ISO 639-1, e.g. en, de, tr)", row=row, column=col.name)
            return code
        return text
    if col.kind == "list":
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", "|").split("|") if part.strip()]
        if hasattr(value, "tolist"):
            value = value.tolist()
        if not isinstance(value, (list, tuple)):
            raise DatasetError(path, f"expected a list, got {type(value).__name__} {value!r}", row=row, column=col.name)
        return list(value)
    if col.kind == "messages":
        return _messages(value, path, row, col.name)
    if col.kind == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < 0:
            raise DatasetError(path, f"expected a number of at least 0, got {value!r}", row=row, column=col.name)
        return number
    if col.kind == "bool":
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() in ("true", "1", "yes"):
            return True
        if str(value).strip().lower() in ("false", "0", "no"):
            return False
        raise DatasetError(path, f"expected true or false, got {value!r}", row=row, column=col.name)
    raise AssertionError(col.kind)


def list_cell(value, path, row: int, column: str, expected: str) -> list:
    """A cell that holds a list: a list, an array, or a JSON string of one (CSV files); DatasetError otherwise."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise DatasetError(path, f"expected {expected} (as JSON)", row=row, column=column) from None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, list):
        raise DatasetError(path, f"expected {expected}, got {type(value).__name__}", row=row, column=column)
    return value


def _messages(value, path, row: int, column: str) -> list[dict]:
    """Chat turns: a list (or a JSON string of one) of {role, content} with role user, assistant or system."""
    value = list_cell(value, path, row, column, "a list of {role, content} messages")
    if not all(
            isinstance(m, dict) and m.get("role") in ("user", "assistant", "system") and isinstance(m.get("content"), str)
            for m in value):
        raise DatasetError(path, "expected a list of {role, content} messages with role user, assistant or system",
                           row=row, column=column)
    return [{"role": m["role"], "content": m["content"]} for m in value]
