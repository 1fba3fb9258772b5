"""The registry of jobs: what `pluralign report`, the viewer and the manifest know about each kind of run.

A job is registered once, under the entry-point group ``pluralign.jobs`` in a package's ``pyproject.toml``
(pluralign's own jobs are registered there too), so nothing below the capabilities imports them and a plugin
package adds a job by declaring one entry point::

    [project.entry-points."pluralign.jobs"]
    audit = "pluralign.audit.job:JOB"
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Callable

import pandas as pd

from .runs import RunError, read_manifest

GROUP = "pluralign.jobs"


class NotFound(LookupError):
    """A run, file or item that is not there (the viewer answers 404)."""


@dataclass(frozen=True)
class Section:
    """One part of an item's page: a table, and which of its columns hold free text shown as paragraphs."""

    title: str
    rows: pd.DataFrame
    long: tuple[str, ...] = ()


Tables = Callable[[str], "pd.DataFrame | None"]  # a run's parquet table by file name, or None when it has none


def rows_of(tables: Tables, file: str, column: str, item: str) -> pd.DataFrame | None:
    """The rows of the run's table ``file`` whose ``column`` is ``item``, without that column; None when the run
    has no such table (or it no such column)."""
    table = tables(file)
    if table is None or column not in table:
        return None
    return table[table[column] == item].drop(columns=column)


def item_fields(tables: Tables, file: str, column: str, item: str) -> dict:
    """The fields of ``item``, the row of table ``file`` whose ``column`` is it; NotFound when there is none."""
    rows = rows_of(tables, file, column, item)
    if rows is None or rows.empty:
        raise NotFound(item)
    return {column: item, **rows.iloc[0].to_dict()}


@dataclass(frozen=True)
class ItemView:
    """How the viewer lists a job's items and opens one: ``detail(tables, item)`` gives the item's fields and
    its sections, or raises NotFound."""

    table: str                      # the parquet file listing the items
    key: str                        # the item id column
    columns: tuple[str, ...]        # shown in the list
    filters: tuple[str, ...]        # columns users filter by
    detail: Callable[[Tables, str], tuple[dict, list[Section]]]


@dataclass(frozen=True)
class Job:
    """A kind of run.

    Args:
        name: the job's name, written in each run's manifest.
        config: the dataclass of its settings (recorded in the manifest; a changed one refuses to resume).
        run: the function that runs it into a run directory and returns that directory.
        rebuild: rebuilds the run's tables, metrics and report from its records alone; returns the report's path.
        items: how the viewer lists and opens its items (None: the viewer shows metrics and the report only).
    """

    name: str
    config: type
    run: Callable[..., Path]
    rebuild: Callable[[Path], Path] | None = None
    items: ItemView | None = None


def _load(point: EntryPoint) -> Job:
    try:
        return point.load()
    except Exception as exc:  # a broken plugin: say which, never a traceback from the CLI
        raise RunError(f"the job {point.name!r} ({point.value}) cannot be loaded: {exc}") from exc


@cache
def job(name: str) -> Job | None:
    """The installed job called ``name`` (only its own package is imported), or None."""
    points = entry_points(group=GROUP, name=name)
    return _load(next(iter(points))) if points else None


def jobs() -> dict[str, Job]:
    """Every installed job by name (this imports every capability)."""
    return {point.name: job(point.name) for point in sorted(entry_points(group=GROUP), key=lambda p: p.name)}


def job_of(run_dir: str | Path) -> Job:
    """The job that wrote the run in ``run_dir``; RunError when no installed job knows it."""
    name = read_manifest(run_dir).get("job")
    found = job(name) if isinstance(name, str) else None
    if found is None:
        installed = sorted(p.name for p in entry_points(group=GROUP))
        raise RunError(f"{run_dir} is a {name!r} run, which no installed job knows (installed: {', '.join(installed)}); "
                       "reinstall pluralign, or the package that made it")
    return found


def rebuild(run_dir: str | Path) -> Path:
    """Rebuild a run's tables, metrics and report from its records (e.g. after an interrupted run)."""
    job = job_of(run_dir)
    if job.rebuild is None:
        rebuildable = [j.name for j in jobs().values() if j.rebuild]
        raise RunError(f"{run_dir} is a '{job.name}' run, whose report is written when it finishes; rebuilding works "
                       f"for {', '.join(rebuildable)} runs")
    return job.rebuild(Path(run_dir))
