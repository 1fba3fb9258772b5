"""The compare-samplers report: coverage, diversity and what a learner makes of each sampler's sets, side by side,
and people against models on the value map."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data.axes import AXES
from ..jobs import ItemView, Section, Tables, item_fields, rows_of
from ..report.figures import interval_bars, pyplot, to_svg
from ..report.html import check_context, write_page


def _scatter(people: pd.DataFrame, defaults: pd.DataFrame, panels: str | None = "sampler", series: str = "sampler") -> str:
    """People (one dot each) and models' default answers (crosses, one colour per ``series``) on the value map; one
    panel per value of ``panels`` (one panel when None)."""
    names = list(dict.fromkeys(people[panels])) if panels else [""]
    fig, axes = pyplot().subplots(1, len(names), figsize=(4.2 * len(names), 4), squeeze=False)
    x, y = AXES
    for ax, name in zip(axes[0], names):
        part = people[people[panels] == name] if panels else people
        ax.scatter(part[x], part[y], s=12, alpha=0.6, label="people (mean of what they chose)")
        for spec, answers in defaults.groupby(series):
            ax.scatter(answers[x], answers[y], s=22, marker="x", label=f"{spec} (default answers)")
        ax.axhline(0, color="#999", lw=0.6)
        ax.axvline(0, color="#999", lw=0.6)
        ax.set(xlim=(-1, 1), ylim=(-1, 1), title=name, xlabel="traditional ← → secular-rational",
               ylabel="survival ← → self-expression")
    axes[0][0].legend(frameon=False, fontsize=7, loc="lower left")
    return to_svg(fig)


def write_compare_report(run_dir: Path, manifest: dict, candidates: pd.DataFrame, defaults: pd.DataFrame,
                         people: pd.DataFrame, versus: pd.DataFrame, metrics: pd.DataFrame, judge: pd.DataFrame) -> Path:
    """Render ``report.html`` for a compare-samplers run and return its path."""
    overall = metrics[metrics["grouping"] == "overall"]
    set_metrics = overall[overall["estimator"].isna()] if "estimator" in overall else overall
    learned = overall[overall["estimator"].notna()] if "estimator" in overall else overall.iloc[:0]
    coverage = set_metrics[set_metrics["metric"].str.startswith("covers_")]
    margin = manifest["config"].get("margin", 0.0)
    diversity = set_metrics[set_metrics["metric"].isin(["pairwise_distance", "distinct_1", "distinct_2"])]
    figures = [
        {"id": "coverage", "title": "Value coverage",
         "caption": f"Share of prompts whose set holds at least one response judged at each pole (beyond ±{margin:g}; "
                    "closer to 0 counts as neither), at both poles of an axis, and at all four ('both'); 95% intervals.",
         "svg": interval_bars(coverage.assign(metric=coverage["metric"].str.removeprefix("covers_")), "metric", "sampler",
                              "", "share of prompts", (0, 1), rotate=25)},
        {"id": "diversity", "title": "Diversity",
         "caption": "Mean pairwise embedding distance (1 − cosine) and distinct-1/2 within a set, 95% intervals.",
         "svg": interval_bars(diversity, "metric", "sampler", "", "value", (0, 1))},
        {"id": "vendi", "title": "Vendi score",
         "caption": "The effective number of distinct responses in a set (1: all alike; k: all different).",
         "svg": interval_bars(set_metrics[set_metrics["metric"] == "vendi"], "metric", "sampler", "", "Vendi score")},
    ]
    oracle = set_metrics[set_metrics["metric"] == "oracle_accuracy"].assign(estimator="true utilities (ceiling)")
    acc = pd.concat([learned[learned["metric"] == "accuracy"], oracle]).assign(
        what=lambda d: d["estimator"] + "\n" + d["split"].str.replace(", ", ",\n"))
    if len(acc):
        figures.append({"id": "learned", "title": "What a learner makes of each sampler's sets",
                        "caption": "Accuracy predicting simulated people's choices on held-out prompts (95% intervals), "
                                   "beside the accuracy of their true utilities on the same comparisons: the ceiling, "
                                   "which differs between samplers, so read a learner against its sampler's ceiling. "
                                   "Chance is 1/k.", "svg": interval_bars(acc, "what", "sampler", "", "accuracy", (0, 1), rotate=20)})
    if len(people):
        figures.append({"id": "humans-models", "title": "People and models on the value map",
                        "caption": "Each simulated person at the mean judged position of what they chose; each model's "
                                   "default answers at their judged positions.", "svg": _scatter(people, defaults)})
    fallbacks = candidates.dropna(subset=["fallback"]).drop_duplicates("set_id")
    examples = candidates[candidates["prompt_id"].isin(candidates["prompt_id"].drop_duplicates().head(3))]
    return write_page(run_dir / "report.html", "sampling.html",
        manifest=manifest, figures=figures, metrics=overall.to_dict("records"), versus=versus.to_dict("records"),
        fallbacks=fallbacks.to_dict("records"), n_sets=candidates["set_id"].nunique(), examples=examples.to_dict("records"),
        axes=list(AXES), judge=judge.to_dict("records"), **check_context(metrics))


def write_people_map(out_dir: Path, people: pd.DataFrame, defaults: pd.DataFrame, summary: pd.DataFrame) -> Path:
    """``map.html`` of ``pluralign humans-vs-models``: the scatter of people and models, and the summary table."""
    return write_page(out_dir / "map.html", "people_map.html",
        svg=_scatter(people, defaults, panels=None, series="model"), n_people=len(people), summary=summary.to_dict("records"))


def _detail(tables: Tables, item: str) -> tuple[dict, list[Section]]:
    """A prompt: its candidate sets, and the models' default answers when the run has them."""
    head = item_fields(tables, "prompts.parquet", "id", item)
    found = ((title, rows_of(tables, name, "prompt_id", item)) for name, title in
             (("candidates.parquet", "Candidate sets"), ("defaults.parquet", "Default answers of the models")))
    return head, [Section(title, rows, ("text",)) for title, rows in found if rows is not None]


ITEMS = ItemView("prompts.parquet", "id", ("id", "language", "topic", "text"), ("language", "topic"), _detail)
