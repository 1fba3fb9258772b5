"""A values run's tables, metrics and report, rebuilt from its records."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..metrics import disaggregate, write_metrics
from ..metrics.checks import check_row, group_sizes, smallest_group
from ..runs import read_manifest, read_records
from ..valuemaps.prompts import VALENCES
from .report import write_values_report


def values_tables(records: list[dict]) -> dict[str, pd.DataFrame]:
    """``situations``: one row per situation with its overall valence, entropy and tensions; ``candidates``: one
    row per candidate, kept or not, with its scores and why it was dropped."""
    situations = pd.DataFrame([{k: v for k, v in r.items() if k not in ("candidates", "overall", "key")}
                               | {f"overall_{v}": r["overall"][v] for v in VALENCES} | {"n_tensions": len(r["tensions"])}
                               for r in records])
    candidates = pd.DataFrame([{"situation_id": r["situation_id"], "language": r["language"], **c}
                               for r in records for c in r["candidates"]])
    return {"situations": situations, "candidates": candidates}


def values_metrics(tables: dict[str, pd.DataFrame], seed: int = 0) -> pd.DataFrame:
    """How contested situations are and how many considerations survive, overall and by language and topic; and
    the smallest of those groups (the ``small_groups`` check)."""
    situations = tables["situations"].assign(kept_share=lambda d: d["n_kept"] / d["n_candidates"].where(d["n_candidates"] > 0))
    metrics = {"valence_entropy": "entropy", "kept_candidates": "n_kept", "kept_share": "kept_share",
               "tensions": "n_tensions", **{f"overall_{v}": f"overall_{v}" for v in VALENCES}}
    groupings = ["language", "topic"]
    checks = pd.DataFrame(smallest_group(group_sizes(situations, groupings, "situation_id")) + _calibration(situations))
    return pd.concat([disaggregate(situations, metrics, groupings, seed=seed), checks], ignore_index=True)


def _calibration(situations: pd.DataFrame) -> list[dict]:
    """The ``relevance_near_chance`` check's row, from the calibration the maps record (none when not calibrated)."""
    if "relevance_auc" not in situations or situations["relevance_auc"].isna().all():
        return []
    first = situations.dropna(subset=["relevance_auc"]).iloc[0]
    return [check_row("relevance_near_chance", first["relevance_auc"], first["relevance_pairs"],
                      f"threshold {first['relevance_threshold']:.2f}")]


def write_results(run_dir: str | Path) -> Path:
    """Rebuild the tables, metrics and report of a values run from its records; returns the report's path."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    tables = values_tables(read_records(run_dir))
    for name, table in tables.items():
        table.to_parquet(run_dir / f"{name}.parquet", index=False)
    metrics = values_metrics(tables, manifest.get("seed", 0)) if len(tables["situations"]) else pd.DataFrame()
    write_metrics(run_dir, metrics)
    return write_values_report(run_dir, manifest, tables, metrics)
