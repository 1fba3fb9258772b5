"""The registry of jobs: what `pluralign report`, the viewer and the manifest know about each kind of run.

A job is registered once, under the entry-point group ``pluralign.jobs`` in a package's ``pyproject.toml``
(pluralign's own jobs are registered there too), so nothing below the capabilities imports them and a plugin
package adds a job by declaring one entry point::

    [project.entry-points."pluralign.jobs"]
    audit = "pluralign.audit.job:JOB"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Callable, Protocol

import pandas as pd

from .errors import InputError
from .models.base import LanguageModel
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
class Summary:
    """What a job returns: its run directory and what the CLI prints about the run, built by the job from the run's
    tables (beside its rebuild), so a command, ``pluralign resume`` and a Python caller all see the same.

    Args:
        path: the run directory.
        tables: the small tables printed, by title, in order (cells as text: a value and its interval as one cell).
        lines: facts printed after the tables (the tuned model, a ranking's counts, ...).
        notes: what the user should know about the data the run read (rows left out, ...), printed on stderr.
    """

    path: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    lines: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def with_interval(row: Any) -> str:
    """A metrics row's value and its interval, as summaries show them: ``0.612 [0.580, 0.645]``."""
    return f"{row.value:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]"


class RunJob(Protocol):
    """The one contract of every job: run ``config`` into the run directory ``out`` (resuming what it holds, or
    setting it aside when ``fresh``), with progress bars, the response cache and ``models`` already loaded by spec."""

    def __call__(self, config: Any, out: str | Path, *, fresh: bool = False, progress: bool = True,
                 use_cache: bool = True, models: dict[str, LanguageModel] | None = None) -> Summary: ...


@dataclass(frozen=True)
class Job:
    """A kind of run.

    Args:
        name: the job's name, written in each run's manifest.
        config: the dataclass of its settings, data sources included (recorded in the manifest, which ``resume``
            builds it again from; a changed one refuses to resume).
        run: runs it (``RunJob``) and returns its summary.
        summary: the summary of a run from its tables (what ``run`` returns).
        rebuild: rebuilds the run's tables, metrics and report from its records alone; returns the path of the file
            a user opens (the report; a sample run's tasks).
        items: how the viewer lists and opens its items (None: the viewer shows metrics and the report only).
    """

    name: str
    config: type
    run: RunJob
    summary: Callable[[Path], Summary]
    rebuild: Callable[[Path], Path]
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


def rebuild(run_dir: str | Path) -> Summary:
    """Rebuild a run's tables, metrics and report from its records (e.g. after an interrupted run); its summary."""
    job = job_of(run_dir)
    job.rebuild(Path(run_dir))
    return job.summary(Path(run_dir))


def resume(run_dir: str | Path, *, progress: bool = True, use_cache: bool = True,
           models: dict[str, LanguageModel] | None = None) -> Summary:
    """Run again the run in ``run_dir`` from its manifest alone (its job, and its config with the data sources in
    it): an interrupted run goes on where it stopped, a finished one is summarised again. ``models``: already-loaded
    models by spec, as every job takes them."""
    job = job_of(run_dir)
    config = read_manifest(run_dir).get("config")
    try:
        settings = job.config(**config)
    except (TypeError, InputError) as exc:
        raise RunError(f"{run_dir} was made by a pluralign whose '{job.name}' settings this one cannot read ({exc}); "
                       "run the job's command again with --fresh") from None
    return job.run(settings, Path(run_dir), progress=progress, use_cache=use_cache, models=models)
