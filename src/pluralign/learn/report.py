"""The learn report: whom each model serves, by group, on three held-out splits (unseen conversations of people
seen in training, unseen prompts, unseen people) side by side."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..report.html import write_page
from ..report.figures import interval_bars, pyplot, to_svg


def write_learn_report(run_dir: Path, manifest: dict, metrics: pd.DataFrame, curve: pd.DataFrame | None,
                       sizes: pd.DataFrame | None, distinctive: pd.DataFrame | None = None, fit: dict | None = None,
                       baseline: str | None = None) -> Path:
    """Render ``report.html`` for a learn run and return its path; ``fit``: the model's fit record (what it was
    trained on); ``baseline``: the name of the shared reward the model is compared with (None when the model is that
    reward). The manifest says what the intervals resample (``resampled``, people in runs that predate it) and what
    the loader left out."""
    resampled = manifest.get("resampled", "people")
    figures = []
    by_group = metrics[(metrics.metric == "accuracy") & (metrics.grouping == "group") & ~metrics.group.isin(["gap", "ratio"])
                       & (metrics.split == "unseen conversations")]
    if len(by_group):
        figures.append({"id": "group-accuracy", "title": "Accuracy by group on unseen conversations",
                        "caption": "Share of the choices in conversations held out from people seen in training that "
                                   f"each model predicts, per group, with 95% bootstrap intervals ({resampled} resampled).",
                        "svg": interval_bars(by_group, "group", "model", "", "accuracy", (0, 1))})
    if curve is not None and len(curve):
        fig, ax = pyplot().subplots(figsize=(4.8, 3.0))
        ax.errorbar(curve["shots"], curve["accuracy"], marker="o", capsize=3,
                    yerr=[curve["accuracy"] - curve["ci_low"], curve["ci_high"] - curve["accuracy"]])
        ax.set_xlabel("choices seen from the new person")
        ax.set_ylabel("accuracy on their other choices")
        ax.set_ylim(0, 1)
        ax.set_xticks(curve["shots"])
        figures.append({"id": "learning-curve", "title": "People never seen in training",
                        "caption": f"Accuracy on {curve['n'].iloc[0]:.0f} unseen people's held-out conversations "
                                   f"({curve['comparisons'].iloc[0]:.0f} choices) after adapting to their first choices, "
                                   "with 95% bootstrap intervals (people and prompts resampled).",
                        "svg": to_svg(fig)})
    if sizes is not None and len(sizes):
        fig, ax = pyplot().subplots(figsize=(4.8, 2.8))
        ax.bar(sizes["name"], sizes["share"])
        ax.set_ylabel("share of annotators")
        ax.set_ylim(0, max(0.05, float(np.max(sizes["share"])) * 1.2))
        figures.append({"id": "type-sizes", "title": "Latent types and their sizes",
                        "caption": "Share of annotators in each latent type (mixture) or average weight of each prototype (ideal points).",
                        "svg": to_svg(fig)})
    overall = metrics[(metrics.grouping == "overall") | (metrics.metric == "worst_group_accuracy")]
    return write_page(run_dir / "report.html", "learn.html", manifest=manifest, figures=figures,
                      overall=overall.to_dict("records"), splits=_splits(metrics),
                      distinctive=[] if distinctive is None else distinctive.to_dict("records"), fit=fit or {},
                      baseline=baseline, resampled=resampled, left_out=manifest.get("left_out", {}),
                      grouped=bool((metrics.grouping == "group").any()),
                      rankings=bool(metrics.metric.eq("rankings_accuracy_gain").any()))


def _splits(metrics: pd.DataFrame) -> list[dict]:
    """One row per model and held-out split: its overall accuracy and log-loss, its worst group and (the estimator's)
    its accuracy minus the shared reward's on the same choices, each a metrics row (value, interval, n; the worst
    group's label in ``group``), and where it learned from rankings, what they gain over first choices alone."""
    shown = ["accuracy", "log_loss", "accuracy_gain", "rankings_accuracy_gain", "rankings_log_loss_gain"]
    wanted = metrics[((metrics.grouping == "overall") & metrics.metric.isin(shown))
                     | (metrics.metric == "worst_group_accuracy")]
    return [{"model": model, "split": split, **{r["metric"]: r for r in part.to_dict("records")}}
            for (model, split), part in wanted.groupby(["model", "split"], sort=False)]
