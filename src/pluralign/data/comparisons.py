"""Comparison tables: who chose which response among 2..k candidates, in which conversation, and who they are.

The long comparison table has one row per choice: ``comparison_id, conversation_id, turn, annotator_id, context``
(a list of chat messages: earlier turns, then the prompt), ``candidates`` (2..k responses), ``chosen`` (index into
``candidates``), ``language`` and ``feedback``. The annotator table has ``annotator_id`` and any demographic columns.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .choices import DESIGN_COLUMNS, checked_probabilities, ranking_places, ranking_problem
from .pairs import split_pair
from .schema import DatasetError, language_code, list_cell, with_left_out
from .tables import read_table

EMPTY_REPLY = "an empty chosen or rejected reply"
ANONYMOUS = "anonymous"  # the one annotator of a file that names none: its choices cannot be told apart by person
COMPARISON_COLUMNS = ("comparison_id", "conversation_id", "turn", "annotator_id", "context", "candidates", "chosen",
                      "language", "feedback", "ranking")  # ranking: candidate positions best first (tied ones as a
                                                           # list at one place), or None


def check_comparisons(comparisons: pd.DataFrame, annotators: pd.DataFrame | None, path=None,
                      one_language_per_conversation: bool = True) -> None:
    """Raise DatasetError (file, row, column) for the problems that would silently corrupt learning."""
    rows = comparisons["_row"] if "_row" in comparisons else pd.Series(range(1, len(comparisons) + 1), index=comparisons.index)
    for i, (cands, chosen) in enumerate(zip(comparisons["candidates"], comparisons["chosen"])):
        row = int(rows.iloc[i])
        offered = sum(map(is_offered, cands))
        if offered < 2:
            raise DatasetError(path, f"a comparison needs at least two candidates, found {offered} non-empty", row=row, column="candidates")
        if not isinstance(chosen, (int, np.integer)) or not 0 <= chosen < len(cands):
            raise DatasetError(path, f"chosen index {chosen!r} is out of range for {len(cands)} candidates", row=row, column="chosen")
        if not is_offered(cands[chosen]):
            raise DatasetError(path, f"chosen candidate {chosen} is empty", row=row, column="chosen")
        ranking = comparisons["ranking"].iloc[i] if "ranking" in comparisons else None
        if pd.api.types.is_list_like(ranking) and len(ranking):
            problem = ranking_problem(ranking, [j for j, c in enumerate(cands) if is_offered(c)], chosen)
            if problem:
                raise DatasetError(path, problem, row=row, column="ranking")
    if annotators is not None:
        known = set(annotators["annotator_id"].astype(str))
        missing = ~comparisons["annotator_id"].astype(str).isin(known)
        if missing.any():
            i = int(missing.to_numpy().nonzero()[0][0])
            raise DatasetError(path, f"annotator {comparisons['annotator_id'].iloc[i]!r} is not in the annotator table",
                               row=int(rows.iloc[i]), column="annotator_id")
    if one_language_per_conversation:
        languages = comparisons.groupby("conversation_id")["language"].transform("nunique")
        if (languages > 1).any():
            i = int((languages > 1).to_numpy().nonzero()[0][0])
            raise DatasetError(path, f"conversation {comparisons['conversation_id'].iloc[i]!r} mixes languages "
                               f"({', '.join(sorted(comparisons[comparisons.conversation_id == comparisons.conversation_id.iloc[i]].language.unique()))})",
                               row=int(rows.iloc[i]), column="language")


TURNS = ("first", "second", "third", "fourth")
LETTERS = ("a", "b", "c", "d")
DEMOGRAPHICS = ("annotator_age", "annotator_gender", "annotator_education_level", "annotator_ethnicity",
                "annotator_country", "annotator_political")


def load_community_alignment(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Community Alignment's wide file (one row per conversation) -> (comparisons, annotators), all turns.

    Each turn is a best-of-4 choice; a later turn continues from the response chosen before it, so its context is
    the earlier prompts and chosen responses, then its own prompt.
    """
    raw = read_table(path)
    for needed in ("conversation_id", "annotator_id", "first_turn_prompt"):
        if needed not in raw.columns:
            raise DatasetError(path, "missing Community Alignment column", column=needed)
    rows = []
    for record in raw.to_dict("records"):
        context: list[dict] = []
        language = language_code(record.get("assigned_lang") or "") or str(record.get("assigned_lang") or "")
        for t, turn in enumerate(TURNS, start=1):
            prompt = _text(record.get(f"{turn}_turn_prompt"))
            if not prompt:
                break
            # Letters keep their positions (with response_b empty, response_c is still index 2): an empty response
            # stays as "" and is not offered; trailing empty ones move no index, so they go.
            candidates = [_text(record.get(f"{turn}_turn_response_{x}")) for x in LETTERS]
            while candidates and not candidates[-1]:
                candidates.pop()
            preferred = _text(record.get(f"{turn}_turn_preferred_response"))
            column = f"{turn}_turn_preferred_response"
            valid = [f"response_{x}" for x, c in zip(LETTERS, candidates) if c]
            if preferred not in valid:
                problem = (f"preferred response {preferred!r} is not one of the non-empty {', '.join(valid)}"
                           if valid else "no candidate responses")
                raise DatasetError(path, problem, row=record["_row"], column=column)
            chosen = LETTERS.index(preferred.removeprefix("response_"))
            context = context + [{"role": "user", "content": prompt}]
            rows.append({"comparison_id": f"{record['conversation_id']}-{t}", "conversation_id": str(record["conversation_id"]),
                         "turn": t, "annotator_id": str(record["annotator_id"]), "context": context,
                         "candidates": candidates, "chosen": chosen, "language": language,
                         "feedback": _text(record.get(f"{turn}_turn_feedback")) or None, "_row": record["_row"]})
            context = context + [{"role": "assistant", "content": candidates[chosen]}]
    comparisons = pd.DataFrame(rows, columns=[*COMPARISON_COLUMNS, "_row"])
    check_comparisons(comparisons, None, path)
    present = [c for c in DEMOGRAPHICS if c in raw.columns]
    annotators = (raw[["annotator_id", *present]].astype({"annotator_id": str}).drop_duplicates("annotator_id")
                  .rename(columns={c: c.removeprefix("annotator_") for c in present}).reset_index(drop=True))
    return comparisons, annotators


def load_comparisons(path: str | Path, annotators_path: str | Path | None = None,
                     one_language_per_conversation: bool = True) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """A long comparison table in our columns (CSV cells of lists may hold JSON), and optionally its annotators. A table
    without ``annotator_id`` is one anonymous annotator's (as a TRL file without one), and then takes no annotator
    table."""
    df = read_table(path)
    for needed in ("context", "candidates", "chosen", *(("annotator_id",) if annotators_path is not None else ())):
        if needed not in df.columns:
            raise DatasetError(path, "missing required column", column=needed)
    df["candidates"] = [_list(v, path, r, "candidates") for v, r in zip(df["candidates"], df["_row"])]
    df["context"] = [_messages(v) for v in df["context"]]
    df["chosen"] = [_int(v, path, r) for v, r in zip(df["chosen"], df["_row"])]
    df["annotator_id"] = df["annotator_id"].astype(str) if "annotator_id" in df.columns else ANONYMOUS
    rankings = df["ranking"] if "ranking" in df.columns else [None] * len(df)  # optional: positions best first
    df["ranking"] = [[_place(x, path, r) for x in list_cell(v, path, r, "ranking", "a list of candidate indices")]
                     if _text(v) else None for v, r in zip(rankings, df["_row"])]
    for column, default in (("comparison_id", None), ("conversation_id", None), ("turn", 1), ("language", "und"), ("feedback", None)):
        if column not in df.columns:
            df[column] = default
    df["comparison_id"] = df["comparison_id"].fillna(pd.Series([f"c{r}" for r in df["_row"]], index=df.index)).astype(str)
    df["conversation_id"] = df["conversation_id"].fillna(df["comparison_id"]).astype(str)
    annotators = None
    if annotators_path is not None:
        annotators = read_table(annotators_path).drop(columns="_row")
        if "annotator_id" not in annotators.columns:
            raise DatasetError(annotators_path, "missing required column", column="annotator_id")
        annotators["annotator_id"] = annotators["annotator_id"].astype(str)
    check_comparisons(df, annotators, path, one_language_per_conversation)
    design = [c for c in DESIGN_COLUMNS if c in df.columns]  # kept for design weights (collect's exports carry them)
    if "probability" in design:
        df["probability"] = checked_probabilities(df["probability"], df["_row"], path)
    return df[[*COMPARISON_COLUMNS, *design, "_row"]], annotators



def load_trl_pairwise(path: str | Path, annotator_column: str = "annotator_id") -> tuple[pd.DataFrame, pd.DataFrame]:
    """TRL's pairwise preference format -> (comparisons, annotators). Both of TRL's shapes, as text or as chat
    messages: ``prompt, chosen, rejected``, or the implicit prompt (no ``prompt``: ``chosen`` and ``rejected`` are whole
    conversations sharing a beginning, as in Anthropic's HH-RLHF), whose shared beginning becomes the context.

    A pair with an empty reply is left out and counted (``left_out``), not refused. A ``language`` column gives each
    comparison's language (``to_trl_pairwise`` writes it, with ``comparison_id``); every other column is kept as
    annotator metadata; rows without an annotator column count as one anonymous annotator."""
    raw = read_table(path)
    implicit = "prompt" not in raw.columns
    for needed in ("chosen", "rejected") if implicit else ("prompt", "chosen", "rejected"):
        if needed not in raw.columns:
            raise DatasetError(path, "missing TRL pairwise column", column=needed)
    extra = [c for c in raw.columns
             if c not in ("prompt", "chosen", "rejected", "_row", annotator_column, "comparison_id", "language")]
    annotator = raw[annotator_column].astype(str) if annotator_column in raw.columns else pd.Series(ANONYMOUS, index=raw.index)
    rows, empty = [], 0
    for i, r in enumerate(raw.to_dict("records")):
        if implicit:
            context, *answers = split_pair(_cell(r["chosen"]), _cell(r["rejected"]), path, r["_row"])
        else:
            context, answers = _messages(r["prompt"]), [_reply(r[c]) for c in ("chosen", "rejected")]
        if not all(map(is_offered, answers)):
            empty += 1
            continue
        rows.append({"comparison_id": f"trl{r['_row']}", "conversation_id": f"trl{r['_row']}", "turn": 1,
                     "annotator_id": annotator.iloc[i], "context": context, "candidates": answers, "chosen": 0,
                     "language": r.get("language") or "und", "feedback": None, "_row": r["_row"]})
    if not rows:
        raise DatasetError(path, f"no pair to compare: all {len(raw)} have an empty chosen or rejected reply")
    comparisons = pd.DataFrame(rows, columns=[*COMPARISON_COLUMNS, "_row"])
    check_comparisons(comparisons, None, path, one_language_per_conversation=False)
    annotators = raw.assign(annotator_id=annotator)[["annotator_id", *extra]].drop_duplicates("annotator_id").reset_index(drop=True)
    return with_left_out(comparisons, {EMPTY_REPLY: empty}), annotators


def _cell(value) -> list[dict] | str:
    """A TRL ``chosen``/``rejected`` cell as chat messages (a list, an array, or JSON text of one) or as plain text."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return value
    return [dict(m) for m in value] if isinstance(value, list) else str(value)


def _reply(value) -> str:
    """The response text of a TRL ``chosen``/``rejected`` cell beside a ``prompt``: plain text, or the last assistant
    message of a conversation."""
    cell = _cell(value)
    if isinstance(cell, str):
        return cell
    assistant = [m.get("content") for m in cell if m.get("role") == "assistant"]
    return (assistant or [m.get("content") for m in cell] or [""])[-1]


def to_trl_pairwise(comparisons: pd.DataFrame, annotators: pd.DataFrame | None = None) -> pd.DataFrame:
    """TRL's conversational pairwise format: best-of-k -> the chosen response against each other candidate (or,
    where the person ranked every candidate, each one against every one ranked below it), with the annotator and
    their demographic columns kept (TRL's trainers ignore extra columns; group-aware training and evaluation need
    them)."""
    rows = []
    for c in comparisons.to_dict("records"):
        texts = c["candidates"]
        for better, worse in _ordered_pairs(c):
            if is_offered(texts[better]) and is_offered(texts[worse]):
                rows.append({"prompt": c["context"], "chosen": [{"role": "assistant", "content": texts[better]}],
                             "rejected": [{"role": "assistant", "content": texts[worse]}], "annotator_id": c["annotator_id"],
                             "comparison_id": c["comparison_id"], "language": c["language"]})
    out = pd.DataFrame(rows)
    out = out.merge(annotators, on="annotator_id", how="left") if annotators is not None and len(out) else out
    out.attrs = dict(comparisons.attrs)  # the pairs keep the data card (and left-out counts) of their choices
    return out


def _ordered_pairs(comparison: dict) -> list[tuple[int, int]]:
    """The (preferred, other) candidate pairs one comparison states: every pair of its ranking when it has one (a
    `pluralign collect` study with ``rank = true``), else the chosen candidate against each other one."""
    ranking = comparison.get("ranking")
    if pd.api.types.is_list_like(ranking) and len(ranking):
        places = ranking_places(ranking)  # candidates tied at one place make no pair with each other
        return [(a, b) for i, place in enumerate(places) for a in place for later in places[i + 1:] for b in later]
    return [(comparison["chosen"], j) for j in range(len(comparison["candidates"])) if j != comparison["chosen"]]


def to_community_alignment(comparisons: pd.DataFrame, annotators: pd.DataFrame | None = None) -> pd.DataFrame:
    """Back to Community Alignment's wide shape: one row per conversation, its turns in order (at most four, with at
    most four candidates each), demographics as ``annotator_*`` columns. ``load_community_alignment`` reads it."""
    rows = []
    for conversation, part in comparisons.sort_values(["conversation_id", "turn"]).groupby("conversation_id", sort=False):
        if len(part) > len(TURNS) or part["candidates"].map(len).max() > len(LETTERS):
            raise ValueError(f"conversation {conversation!r} has more turns or candidates than the Community Alignment shape holds")
        row = {"conversation_id": conversation, "annotator_id": part["annotator_id"].iloc[0],
               "assigned_lang": part["language"].iloc[0]}
        for turn, c in zip(TURNS, part.to_dict("records")):
            row[f"{turn}_turn_prompt"] = c["context"][-1]["content"]
            for letter, response in zip(LETTERS, c["candidates"]):
                row[f"{turn}_turn_response_{letter}"] = response
            row[f"{turn}_turn_preferred_response"] = f"response_{LETTERS[c['chosen']]}"
            row[f"{turn}_turn_feedback"] = c.get("feedback")
        rows.append(row)
    wide = pd.DataFrame(rows)
    if annotators is not None:
        demographics = annotators.rename(columns={c: f"annotator_{c}" for c in annotators.columns if c != "annotator_id"})
        wide = wide.merge(demographics, on="annotator_id", how="left")
    return wide


def is_offered(response) -> bool:
    """Whether a candidate was offered: its response is neither missing nor blank (Community Alignment leaves some
    empty, and keeps the letters of the others)."""
    return isinstance(response, str) and bool(response.strip())


def _text(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _list(value, path, row, column) -> list[str]:
    return [str(v) for v in list_cell(value, path, row, column, "a list of responses")]


def _messages(value) -> list[dict]:
    """A context cell as chat messages: plain text is one user message."""
    cell = _cell(value)
    return [{"role": "user", "content": cell}] if isinstance(cell, str) else cell


def _place(value, path, row) -> int | list[int]:
    """One place of a ranking cell: a candidate index, or a list of the indices tied there."""
    if isinstance(value, (list, tuple)):
        return [_int(x, path, row, "ranking") for x in value]
    return _int(value, path, row, "ranking")


def _int(value, path, row, column: str = "chosen") -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DatasetError(path, f"{column} must be an index, got {value!r}", row=row, column=column) from None
    if number != int(number):
        raise DatasetError(path, f"{column} must be a whole number, got {value!r}", row=row, column=column)
    return int(number)
