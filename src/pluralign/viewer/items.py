"""The items of a run, for drilling down: each job says in the registry (``pluralign.jobs``) which table lists its
items, the columns shown and filtered, and how one item opens into sections."""

from __future__ import annotations

from functools import partial

import pandas as pd

from ..jobs import ItemView, Section, job as registered
from .catalog import RunsDirectory


def item_view(job: str) -> ItemView | None:
    """How the viewer shows the items of a job's runs, or None when the job has no item view."""
    found = registered(job) if job else None
    return found.items if found else None


def item_list(runs: RunsDirectory, run: str, job: str, filters: dict[str, str]) -> tuple[ItemView | None, pd.DataFrame, dict]:
    """The run's items after ``filters`` (column -> value), and the choices each filter offers."""
    view = item_view(job)
    table = runs.table(run, view.table) if view else None
    if view is None or table is None:
        return view, pd.DataFrame(), {}
    choices = {c: sorted(table[c].dropna().astype(str).unique()) for c in view.filters if c in table}
    for column, value in filters.items():
        if value and column in choices:
            table = table[table[column].astype(str) == value]
    return view, table[[c for c in view.columns if c in table]], choices


def item_detail(runs: RunsDirectory, run: str, view: ItemView, item: str) -> tuple[dict, list[Section]]:
    """One item's fields and sections, read from the run's tables."""
    return view.detail(partial(runs.table, run), item)
