"""Hand-built metrics tables and runs whose answers are known, shared by the metrics and viewer tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pluralign.metrics import write_metrics
from pluralign.runs import Run


def long_table(values: dict[str, dict[str, tuple[float, float, float]]], grouping: str = "overall") -> pd.DataFrame:
    """{model: {metric: (value, ci_low, ci_high)}} -> the long table a job writes (group 'all' when overall)."""
    rows = [{"model": model, "metric": metric, "grouping": grouping, "group": "all", "value": v, "ci_low": lo,
             "ci_high": hi, "n": 100} for model, metrics in values.items() for metric, (v, lo, hi) in metrics.items()]
    return pd.DataFrame(rows)


def make_run(path: Path, table: pd.DataFrame, job: str = "audit") -> Path:
    """A real run directory (manifest through ``Run``) holding ``table`` as its metrics."""
    run = Run(path, job, {"models": sorted(table["model"].unique())} if "model" in table else {}, "hand-built")
    write_metrics(run.path, table)
    run.set_status("complete")
    return run.path
