"""A learn run's tables, metrics and report, written from its records alone (the job's rebuild), and the shape its
records keep tables in (``packed``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..estimators.evaluate import CURVE_COLUMNS
from ..metrics import write_metrics
from ..runs import RunError, read_manifest, read_records
from .replay import REPLAY_COLUMNS
from .report import write_learn_report

BASELINE = "BradleyTerry (one reward)"  # the one shared reward every other estimator is compared with
POPULATION = "(population)"  # after an estimator's name: the population's choice it implies, where a design was active


def write_results(run_dir: str | Path) -> Path:
    """Write the tables, metrics and report of a learn run from its records alone; returns the report's path.

    ``metrics.parquet`` (model, split, metric, grouping, group, value, interval, n), ``learning_curve.parquet`` and
    ``distinctive.parquet`` (what each type or prototype prefers, for data with texts) and ``active_replay.parquet``
    (random against active assignment), when the run has them. The
    records are in the order the run made them (a resumed run goes on where it stopped), which orders the tables.
    """
    run_dir = Path(run_dir)
    records = read_records(run_dir)
    tables = [unpacked(r).assign(model=r["model"], split=r["split"]) for r in records if r["kind"] == "metrics"]
    if not tables:
        raise RunError(f"{run_dir} has no evaluation to report: none has finished yet (run the same learn command "
                       "again to resume), or every held-out split is empty")
    metrics = pd.concat(tables, ignore_index=True)
    write_metrics(run_dir, metrics)
    # a point recorded before the curve had intervals has no comparisons, and its n counted them, not people
    points = [r if "comparisons" in r else {**r, "n": None, "comparisons": r["n"]} for r in records
              if r["kind"] == "curve"]
    curve = pd.DataFrame(points).reindex(columns=CURVE_COLUMNS) if points else None
    if curve is not None:
        curve.to_parquet(run_dir / "learning_curve.parquet", index=False)
    replay = [r for r in records if r["kind"] == "replay"]
    if replay:
        pd.DataFrame(replay).reindex(columns=REPLAY_COLUMNS).to_parquet(run_dir / "active_replay.parquet", index=False)
    distinctive = next((unpacked(r) for r in records if r["kind"] == "distinctive"), None)
    if distinctive is not None:
        distinctive.to_parquet(run_dir / "distinctive.parquet", index=False)
    fit = next((r for r in records if r["kind"] == "fit" and r["role"] == "model"), {})
    sizes = unpacked(fit["sizes"]) if fit.get("sizes") else None
    baseline = BASELINE if BASELINE in set(metrics["model"]) else None
    return write_learn_report(run_dir, read_manifest(run_dir), metrics, curve, sizes, distinctive, fit, baseline)


def packed(table: pd.DataFrame) -> dict:
    """A table as a record's ``columns`` and ``rows``, in plain JSON values (missing ones as null)."""
    def plain(value):
        value = value.item() if isinstance(value, np.generic) else value
        return None if isinstance(value, float) and np.isnan(value) else value

    return {"columns": list(table.columns), "rows": [[plain(v) for v in row] for row in table.itertuples(index=False)]}


def unpacked(record: dict) -> pd.DataFrame:
    """The table ``packed`` put in a record."""
    return pd.DataFrame(record["rows"], columns=record["columns"])
