"""A study's choices as files: Community Alignment's wide shape (``load_community_alignment`` reads it back), TRL's
pairwise shape, or our long comparison table with its annotator table beside it (``comparisons:FILE --annotators FILE``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data.collection import load_collection
from ..data.comparisons import COMPARISON_COLUMNS, to_community_alignment, to_trl_pairwise
from ..data.tables import csv_text
from ..errors import InputError
from .study import Study

SHAPES = ("ca", "comparisons", "trl", "annotators")


# Why each conversation's prompt was assigned, with what probability (of the prompt and the answers shown together),
# and which answers of its set were shown (their indices in the set; k of a larger pool's, ``collect/active.py``):
# every shape with a row per conversation, choice or pair carries them, so an analysis of any export can weight by
# 1/probability. A row's candidates are the answers shown, never the pool's others (``data/collection.py``).
DESIGN = ["assigned", "probability", "shown"]


def export_table(study: Study, shape: str) -> pd.DataFrame:
    """The study's choices in ``shape``: ``ca`` (one row per conversation, demographics as ``annotator_*``),
    ``comparisons`` (one row per choice, with the seconds it took, the screen position chosen and, in studies that
    ask for one, the ranking of every candidate, best first), ``trl`` (TRL's pairwise shape, every person's columns
    kept) or ``annotators``; the first three with why each conversation's prompt was assigned, with what
    probability, and which answers were shown (``DESIGN``; in ``ca``, those of the first turn)."""
    if shape not in SHAPES:
        raise InputError(f"unknown export shape {shape!r}; choose from {', '.join(SHAPES)}")
    comparisons, annotators = load_collection(study.database)
    if shape == "ca":
        return _with_design(to_community_alignment(comparisons, annotators), comparisons, "conversation_id")
    if shape == "annotators":
        return annotators
    if shape == "trl":
        return _with_design(to_trl_pairwise(comparisons, annotators), comparisons, "comparison_id")
    return comparisons[[*COMPARISON_COLUMNS, "prompt_id", "seconds", "position", *DESIGN]]


def _with_design(table: pd.DataFrame, comparisons: pd.DataFrame, key: str) -> pd.DataFrame:
    """``table`` with the ``DESIGN`` columns of the comparisons its rows came from (matched on ``key``)."""
    if table.empty:  # TRL's pairs of a study whose every set offered one answer: no rows, no columns to match on
        return table
    design = comparisons.drop_duplicates(key).set_index(key)[DESIGN]
    out = table.join(design, on=key)
    out.attrs = dict(table.attrs)
    return out


def jsonl_text(table: pd.DataFrame) -> str:
    """``table`` as JSON Lines, one record a line, lists kept as lists and text as written (not ASCII-escaped)."""
    return table.to_json(orient="records", lines=True, force_ascii=False)


def write_export(table: pd.DataFrame, path: Path, force: bool = False) -> None:
    """Write ``table`` by the file's suffix (.csv, .jsonl, .parquet); CSV as ``csv_text`` writes it (list cells as JSON,
    formulas behind a quote). An existing file is kept unless ``force``."""
    if path.exists() and not force:
        raise InputError(f"{path} exists; choose another file or pass --force to replace it")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        table.to_parquet(path, index=False)
    elif suffix == ".jsonl":
        path.write_text(jsonl_text(table), encoding="utf-8")
    elif suffix == ".csv":
        path.write_text(csv_text(table), encoding="utf-8")
    else:
        raise InputError(f"{path}: write .csv, .jsonl or .parquet")
