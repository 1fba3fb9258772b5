"""The items of a run, per job, for drilling down: a statement, a situation, a prompt and its candidate sets.

Each job's item view names the table that lists its items, the columns shown and filterable, and how one item
opens into sections (a table each): a statement into its framings with their log-probs and then the long-form
answers with their judged stance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from .catalog import NotFound, RunsDirectory


@dataclass(frozen=True)
class Section:
    title: str
    rows: pd.DataFrame
    long: tuple[str, ...] = ()  # columns of free text, shown as paragraphs


@dataclass(frozen=True)
class ItemView:
    table: str                      # the parquet file listing the items
    key: str                        # the item id column
    columns: tuple[str, ...]        # shown in the list
    filters: tuple[str, ...]        # columns users filter by
    detail: Callable[[RunsDirectory, str, str], tuple[dict, list[Section]]]


def _audit(runs: RunsDirectory, run: str, item: str) -> tuple[dict, list[Section]]:
    statements = runs.table(run, "statements.parquet")
    head = statements[statements["id"] == item] if statements is not None else pd.DataFrame()
    framings = runs.table(run, "framings.parquet")
    results = runs.table(run, "results.parquet")
    if head.empty and (results is None or not (results["statement_id"] == item).any()):
        raise NotFound(item)
    sections = []
    if framings is not None:
        rows = framings[framings["statement_id"] == item].drop(columns="statement_id")
        sections.append(Section("Stance under each framing (log-probs of the answer words)", rows))
    if results is not None:
        rows = results[results["statement_id"] == item]
        keep = [c for c in ("model", "variant", "p_agree", "framing_sensitivity", "negation_consistency", "refusal",
                            "judged_stance", "p_judge_agree", "p_judge_disagree", "p_judge_neutral", "p_judge_refusal",
                            "response") if c in rows]
        sections.append(Section("Long-form answers and their judged stance", rows[keep], ("response",)))
    return (head.iloc[0].to_dict() if len(head) else {"id": item}), sections


def _values(runs: RunsDirectory, run: str, item: str) -> tuple[dict, list[Section]]:
    situations = runs.table(run, "situations.parquet")
    head = situations[situations["situation_id"] == item] if situations is not None else pd.DataFrame()
    if head.empty:
        raise NotFound(item)
    candidates = runs.table(run, "candidates.parquet")
    rows = candidates[candidates["situation_id"] == item].drop(columns=["situation_id", "language"]) \
        if candidates is not None else pd.DataFrame()
    return head.iloc[0].to_dict(), [Section("Values, rights and duties (kept and dropped, with why)", rows)]


def _sampling(runs: RunsDirectory, run: str, item: str) -> tuple[dict, list[Section]]:
    prompts = runs.table(run, "prompts.parquet")
    head = prompts[prompts["id"] == item] if prompts is not None else pd.DataFrame()
    if head.empty:
        raise NotFound(item)
    sections = []
    for name, title in (("candidates.parquet", "Candidate sets"), ("defaults.parquet", "Default answers of the models")):
        table = runs.table(run, name)
        if table is not None and "prompt_id" in table:
            sections.append(Section(title, table[table["prompt_id"] == item].drop(columns="prompt_id"), ("text",)))
    return head.iloc[0].to_dict(), sections


VIEWS: dict[str, ItemView] = {
    "audit": ItemView("statements.parquet", "id", ("id", "language", "country", "topic", "position", "text"),
                      ("language", "country", "topic", "position"), _audit),
    "values": ItemView("situations.parquet", "situation_id",
                       ("situation_id", "language", "topic", "situation", "n_kept", "entropy", "n_tensions"),
                       ("language", "topic"), _values),
    "compare-samplers": ItemView("prompts.parquet", "id", ("id", "language", "topic", "text"), ("language", "topic"), _sampling),
    "sample": ItemView("prompts.parquet", "id", ("id", "language", "topic", "text"), ("language", "topic"), _sampling),
}


def item_list(runs: RunsDirectory, run: str, job: str, filters: dict[str, str]) -> tuple[ItemView | None, pd.DataFrame, dict]:
    """The run's items after ``filters`` (column -> value), and the choices each filter offers."""
    view = VIEWS.get(job)
    table = runs.table(run, view.table) if view else None
    if view is None or table is None:
        return view, pd.DataFrame(), {}
    choices = {c: sorted(table[c].dropna().astype(str).unique()) for c in view.filters if c in table}
    for column, value in filters.items():
        if value and column in choices:
            table = table[table[column].astype(str) == value]
    return view, table[[c for c in view.columns if c in table]], choices
