"""One metrics table for every run: written the same way by every job, read back with one call.

    run, job, model, setting, metric, grouping, group, value, ci_low, ci_high, n

``model`` is what was measured (an audited model spec, a generation model, a learned estimator); ``setting`` holds
the job's other keys as ``key=value`` pairs (a sampler, a data split), empty when there are none. Those keys are
also kept as their own columns after the common ones, so a table can be filtered by them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from ..runs import RunError, read_manifest
from .registry import REGISTRY

COLUMNS = ["run", "job", "model", "setting", "metric", "grouping", "group", "value", "ci_low", "ci_high", "n"]
_VALUES = ["metric", "grouping", "group", "value", "ci_low", "ci_high", "n"]


def write_metrics(run_dir: str | Path, table: pd.DataFrame) -> pd.DataFrame:
    """Put a job's long metrics table (``disaggregate`` rows plus its own key columns) into the common shape and
    write ``metrics.parquet``. Every metric must be registered, so every number a run shows has a meaning."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    unknown = sorted(set(table.get("metric", pd.Series(dtype=str))) - set(REGISTRY))
    if unknown:
        raise ValueError(f"metrics not in the registry (pluralign.metrics.registry): {', '.join(unknown)}")
    keys = [c for c in table.columns if c not in (*_VALUES, "model")]
    default_model = manifest.get("config", {}).get("model") or ""
    out = pd.DataFrame({
        "run": run_dir.name,
        "job": manifest.get("job", ""),
        "model": table["model"].astype(str) if "model" in table else default_model,
        "setting": [", ".join(f"{k}={v}" for k, v in zip(keys, row) if pd.notna(v))
                    for row in table[keys].itertuples(index=False)] if keys else "",
    }, index=table.index)
    out = pd.concat([out, table.reindex(columns=[*_VALUES, *keys])], axis=1)[[*COLUMNS, *keys]]
    out["n"] = pd.to_numeric(out["n"])
    out.to_parquet(run_dir / "metrics.parquet", index=False)
    return out


def read_metrics(runs: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """The metrics of one run or several, stacked into one DataFrame with the columns above.

    Example:
        >>> m = read_metrics(["runs/smollm", "runs/qwen"])
        >>> m[(m.metric == "refusal_rate") & (m.grouping == "language_variant")]
    """
    paths = [Path(runs)] if isinstance(runs, (str, Path)) else [Path(r) for r in runs]
    paths = list({p.resolve(): p for p in paths}.values())  # the same run named twice counts once
    names = [p.name for p in paths]
    tables = []
    for path in paths:
        read_manifest(path)  # a clear error for a directory that is not a run
        file = path / "metrics.parquet"
        if not file.exists():
            raise RunError(f"{path} has no metrics.parquet yet (the run has not finished, or its job writes none)")
        # runs are named by their directory; two directories of one name are told apart by their parent
        label = path.name if names.count(path.name) == 1 else f"{path.resolve().parent.name}/{path.name}"
        tables.append(pd.read_parquet(file).assign(run=label))
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=COLUMNS)


def overall_values(metrics: pd.DataFrame) -> pd.DataFrame:
    """The overall row of each run, model, setting and metric. A summary metric written as a single row (the
    worst group's accuracy, which names its group) is its own overall value."""
    keys = [metrics[c].fillna("") for c in ("run", "model", "setting", "metric")]
    is_overall = metrics["grouping"] == "overall"
    has_overall = is_overall.groupby(keys).transform("any")
    single = metrics["metric"].groupby(keys).transform("size") == 1
    return metrics[is_overall | (~has_overall & single)]


def select(metrics: pd.DataFrame, where: dict[str, str]) -> pd.DataFrame:
    """The rows matching every ``column = value`` in ``where``. A row without that key (a missing column, or an empty
    cell: coverage has no estimator) is not constrained by it, so sampler-level and estimator-level metrics of one
    sampler stay together when a filter picks an estimator."""
    keep = pd.Series(True, index=metrics.index)
    for column, value in where.items():
        if column in metrics:
            keep &= metrics[column].isna() | (metrics[column].astype(str) == str(value))
    return metrics[keep]
