"""Survey questions with human answer distributions per group (OpinionQA / GlobalOpinionQA shapes)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .schema import SURVEY_COLUMNS, DatasetError, validate
from .tables import read_table


def _check_distributions(df: pd.DataFrame, path) -> pd.DataFrame:
    fixed = []
    for i, (options, dist) in enumerate(zip(df["options"], df["distribution"])):
        row = int(df["_row"].iloc[i]) if "_row" in df.columns else i + 1
        try:
            values = np.asarray([float(v) for v in dist], dtype=float)
        except (TypeError, ValueError):
            raise DatasetError(path, f"distribution must be numbers, got {dist!r}", row=row, column="distribution") from None
        if len(values) != len(options):
            raise DatasetError(path, f"{len(values)} shares for {len(options)} options", row=row, column="distribution")
        if (values < 0).any() or values.sum() <= 0:
            raise DatasetError(path, "shares must be non-negative and not all zero", row=row, column="distribution")
        fixed.append((values / values.sum()).tolist())
    df["distribution"] = fixed
    return df


def load_survey(path: str | Path) -> pd.DataFrame:
    """Load a long survey table: one row per (question, group) with that group's answer distribution."""
    df = validate(read_table(path), SURVEY_COLUMNS, path, unique=None)
    return _check_distributions(df, path)


def load_global_opinions(path: str | Path, ordinal: bool = False) -> pd.DataFrame:
    """Load GlobalOpinionQA's shape (``question, selections, options, source``) into the long survey table.

    ``selections`` holds a printed ``defaultdict`` of country -> shares; ``options`` a printed list.
    """
    raw = read_table(path)
    for needed in ("question", "selections", "options"):
        if needed not in raw.columns:
            raise DatasetError(path, "missing GlobalOpinionQA column", column=needed)
    rows = []
    for _, r in raw.iterrows():
        try:
            options = ast.literal_eval(str(r["options"]))
            body = re.search(r"\{.*\}", str(r["selections"]), re.S)
            selections = ast.literal_eval(body.group(0)) if body else None
        except (ValueError, SyntaxError):
            selections = None
        if not isinstance(selections, dict) or not isinstance(options, list):
            raise DatasetError(path, "cannot parse selections/options", row=int(r["_row"]), column="selections")
        for group, shares in selections.items():
            rows.append({"question_id": f"q{int(r['_row'])}", "question": r["question"], "options": options,
                         "ordinal": ordinal, "group": str(group), "distribution": list(shares),
                         "source": r.get("source") or "GlobalOpinionQA", "_row": int(r["_row"])})
    return _check_distributions(validate(pd.DataFrame(rows), SURVEY_COLUMNS, path, unique=None), path)
