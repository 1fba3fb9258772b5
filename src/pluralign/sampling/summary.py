"""What `pluralign sample` and `pluralign compare-samplers` print about their runs, built from the runs' tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data.axes import POLES
from ..jobs import Summary, with_interval
from ..runs import read_manifest

SET_MEASURES = [*(f"covers_{pole}" for pole in POLES), "covers_both", "pairwise_distance", "vendi", "distinct_2"]


def summarise_sample(run_dir: str | Path) -> Summary:
    """A sample run's summary: how many sets and responses it made, how many sets fell back, where its tasks are."""
    path = Path(run_dir)
    candidates = pd.read_parquet(path / "candidates.parquet")
    fallbacks = candidates.dropna(subset=["fallback"])["set_id"].nunique()
    return Summary(path, lines=(f"{candidates['set_id'].nunique()} sets, {len(candidates)} responses"
                                f"{f', {fallbacks} sets with a fallback' if fallbacks else ''}; "
                                f"tasks: {path / 'tasks.csv'}",))


def summarise_comparison(run_dir: str | Path) -> Summary:
    """A compare-samplers run's summary: every set measure and every learner's accuracy (and the ceiling of the
    people's true utilities) by sampler, side by side with intervals; a note where held-out prompts are too few for
    the accuracy intervals to be bounded."""
    path = Path(run_dir)
    samplers = read_manifest(path)["config"]["samplers"]
    metrics = pd.read_parquet(path / "metrics.parquet")
    overall = metrics[metrics["grouping"] == "overall"]
    rows = [(n, overall[(overall["metric"] == n) & overall["estimator"].isna()]) for n in SET_MEASURES]
    accuracy = overall[overall["metric"] == "accuracy"]
    rows += [(f"accuracy: {e}, {s}", part) for (e, s), part in accuracy.groupby(["estimator", "split"], sort=False)]
    ceiling = overall[overall["metric"] == "oracle_accuracy"]
    rows += [(f"accuracy: true utilities (ceiling), {s}", part) for s, part in ceiling.groupby("split", sort=False)]
    cells = [(name, *(with_interval(by.loc[x]) if x in by.index else "" for x in samplers))
             for name, by in ((name, part.set_index("sampler")) for name, part in rows)]
    notes = ()
    if not np.isfinite(pd.concat([accuracy, ceiling])[["ci_low", "ci_high"]].to_numpy()).all():
        notes = ("the accuracy intervals resample held-out prompts, and one held-out prompt says nothing about the "
                 "next: they are unbounded; hold out more (more prompts, or a larger --test-share)",)
    return Summary(path, {"samplers side by side (95% intervals)": pd.DataFrame(cells, columns=["measure", *samplers])},
                   (f"report: {path / 'report.html'}",), notes)
