"""CIVICS: value-laden statements from governments, news agencies, civil society and parties (see SEEDS.md).

Accepts the original column set (``ID, Topic, Language, Country, Statement, Statement - translated, ...``) and the
cleaned snake_case one (``id, topic, language, statement, statement_translated, ...``) in CSV, JSON(L) or Parquet.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd

from .schema import STATEMENT_COLUMNS, DatasetError, validate
from .tables import read_table

_RENAME = {
    "statement": "text",
    "statement_translated": "text_en",
    "organization_type": "source",
    "data_producer_organization": "producer",
    "consensus_annotation": "labels",
}


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def _labels(value) -> list[str]:
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return [str(v).strip() for v in list(value) if str(v).strip()]
    text = str(value or "").strip()
    if text.startswith("["):
        try:
            return [str(v).strip() for v in ast.literal_eval(text)]
        except (ValueError, SyntaxError):
            pass
    return [part.strip(" '\"") for part in re.split(r"[,;|]", text) if part.strip(" '\"")]


def load_civics(path: str | Path) -> pd.DataFrame:
    """Load a CIVICS file into a statement table (topics as snake_case, languages as ISO codes)."""
    raw = read_table(path)
    df = raw.rename(columns={c: _snake(c) for c in raw.columns if c != "_row"}).rename(columns=_RENAME)
    for needed in ("id", "text", "language", "topic"):
        if needed not in df.columns:
            original = {v: k for k, v in _RENAME.items()}.get(needed, needed)
            raise DatasetError(path, "missing CIVICS column (expected the original or the cleaned column set)", column=original)
    df["id"] = df["id"].astype(str)
    df["topic"] = [_snake(str(t)) if str(t).strip() else "" for t in df["topic"]]
    if "labels" in df.columns:
        df["labels"] = [_labels(v) for v in df["labels"]]
    if "text_en" in df.columns:  # English statements often leave the translation empty
        english = df["language"].astype(str).str.lower().isin(["en", "english"])
        empty = df["text_en"].isna() | (df["text_en"].astype(str).str.strip() == "")
        df.loc[english & empty, "text_en"] = df.loc[english & empty, "text"]
    return validate(df, STATEMENT_COLUMNS, path)
