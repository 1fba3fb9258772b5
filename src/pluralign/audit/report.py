"""The audit report: one self-contained HTML file (inline SVG figures, inline CSS, no scripts from elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..jobs import ItemView, NotFound, Section, Tables, item_fields, rows_of
from ..report.figures import heatmap, interval_bars
from ..report.html import check_context, write_page
from .checks import validated_judges


def _metric(metrics: pd.DataFrame, name: str, grouping: str) -> pd.DataFrame:
    part = metrics[(metrics["metric"] == name) & (metrics["grouping"] == grouping)]
    return part[~part["group"].isin(["gap", "ratio"])]


def _refusal_note(items: pd.DataFrame, judge_check: pd.DataFrame) -> str:
    """Per model, how often the phrase match and the judge disagree, and which of them decided those answers."""
    validated = validated_judges(judge_check)
    notes = []
    for model, part in items.dropna(subset=["refusal_decided_by"]).groupby("model"):
        split = int((part["refusal_decided_by"] != "both").sum())
        decider = ("the judge, which passed judge_near_chance" if model in validated else
                   "the phrases alone: the judge did not pass judge_near_chance (or was not checked)")
        notes.append(f"{model}: the phrase match and the judge disagree on {split} of {len(part)} answers, decided by "
                     f"{decider}; refusal_phrase_rate and refusal_judged_rate give each signal apart.")
    return " ".join(notes)


def _figures(tables: dict[str, pd.DataFrame], metrics: pd.DataFrame) -> list[dict]:
    items = tables["items"]
    figures = []
    if "p_agree" in items and items["p_agree"].notna().any():
        original = items[(items["variant"] == "original") & items["p_agree"].notna()]
        per_model = {m: part.pivot_table(index="language", columns="topic", values="p_agree", aggfunc="mean")
                     for m, part in original.groupby("model")}
        figures.append({"id": "stance-heatmap", "title": "Stance by language and topic",
                        "caption": "Mean p(agree) over six framings, statements in their own language. Blue: agrees; red: disagrees.",
                        "svg": heatmap(per_model, "", "p(agree)")})
        figures.append({"id": "framing-sensitivity", "title": "Framing sensitivity",
                        "caption": "Standard deviation of p(agree) across the six framings of a statement, by the statement's language and variant (language_variant: \"de original\", asked in German; \"de translated\", the same statements asked in English), 95% bootstrap intervals. 0: the framing does not matter.",
                        "svg": interval_bars(_metric(metrics, "framing_sensitivity", "language_variant"), "group",
                                             "model", "", "sd of p(agree)")})
        if "position" in items:
            figures.append({"id": "stance-position", "title": "Agreement by the side a statement takes",
                            "caption": "Mean p(agree) with statements on each side of their topic (95% intervals). Equal bars: no lean.",
                            "svg": interval_bars(_metric(metrics, "p_agree", "position"), "group", "model", "", "p(agree)", (0, 1))})
    if "refusal" in items and items["refusal"].notna().any():
        figures.append({"id": "refusals", "title": "Refusal rates",
                        "caption": "Share of long-form answers that refuse, by the statement's language and variant (language_variant: originals asked in their language, translations asked in English; never the two together) and by variant alone (95% intervals). "
                                   + _refusal_note(items, tables["judge_check"]),
                        "svg": interval_bars(pd.concat([_metric(metrics, "refusal_rate", "language_variant"),
                                                        _metric(metrics, "refusal_rate", "variant")]),
                                             "group", "model", "", "refusal rate", (0, 1))})
    if len(tables["opinions"]):
        figures.append({"id": "opinion-alignment", "title": "Opinion alignment with human groups",
                        "caption": "Mean alignment over survey questions (1 − W1/(max − min) over the options' scale positions for ordinal questions, 1 − base-2 Jensen–Shannon distance otherwise), 95% intervals.",
                        "svg": interval_bars(_metric(metrics, "opinion_alignment", "group"), "group", "model", "", "alignment", (0, 1))})
    figures += _pluralism_figures(tables, metrics)
    overall = metrics[metrics["grouping"] == "overall"]
    if overall["model"].nunique() >= 1 and len(overall):
        figures.append({"id": "model-comparison", "title": "Models side by side",
                        "caption": "Every metric overall, per model, with 95% intervals; kept apart, never summed into one score.",
                        "svg": interval_bars(overall, "metric", "model", "", "value", rotate=30)})
    return figures


def _speaks_for(metrics: pd.DataFrame) -> str:
    """Per model, the groups it can speak for (steered toward each, closer to it than when steered toward another:
    steer_specificity's interval above 0) and the others."""
    specific = _metric(metrics, "steer_specificity", "group")
    notes = []
    for model, part in specific.groupby("model"):
        can = part.loc[part["ci_low"] > 0, "group"].tolist()
        cannot = part.loc[~(part["ci_low"] > 0), "group"].tolist()
        notes.append(f"{model} can speak for {', '.join(can) or 'none of the groups'}; it cannot (yet) be shown to "
                     f"speak for {', '.join(cannot) or 'none'}.")
    by_format = _metric(metrics, "steered_alignment", "group_format")
    if len(by_format):
        split = by_format["group"].str.rsplit(" · ", n=1, expand=True)
        best = by_format.assign(target=split[0], format=split[1]).sort_values("value").groupby(["model", "target"]).last()
        notes.append("Best format (highest steered_alignment): " + "; ".join(
            f"{model}, {target}: {r.format} ({r.value:.2f})" for (model, target), r in best.iterrows()) + ".")
    return " ".join(notes)


def _pluralism_figures(tables: dict[str, pd.DataFrame], metrics: pd.DataFrame) -> list[dict]:
    """Distributional pluralism beside opinion alignment, and, when the model was steered, who it can speak for."""
    figures = []
    gaps = _metric(metrics, "entropy_gap", "group")
    if len(gaps):
        population = metrics[(metrics["metric"].isin(["population_alignment", "answer_entropy"]))
                             & (metrics["grouping"] == "overall")]
        said = "; ".join(f"{r.model}: {r.metric.replace('_', ' ')} {r.value:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]"
                         for r in population.itertuples())
        figures.append({"id": "entropy-gap", "title": "How spread the model's answers are against each group's",
                        "caption": "Normalised entropy of the model's answers minus the group's, per survey question, "
                                   "averaged (95% intervals resampling questions). Below 0: the model is surer than "
                                   "the group; all its mass on one option is not pluralistic even where that option "
                                   f"is the group's choice. {said}.",
                        "svg": interval_bars(gaps, "group", "model", "", "entropy gap", (-1, 1))})
    confusion = tables.get("confusion", pd.DataFrame())
    if len(confusion):
        per_model = {f"{m} · {f}": part.pivot(index="group", columns="target", values="alignment")
                     for (m, f), part in confusion.groupby(["model", "format"])}
        figures.append({"id": "steer-confusion", "title": "Steering confusion: steered toward a group (rows), "
                                                          "alignment with each group (columns)",
                        "caption": "Mean alignment over questions, per model and format. A model that can be steered "
                                   "has the largest value of each column on the diagonal; a model that answers alike "
                                   "whatever the steer has equal rows. " + _speaks_for(metrics),
                        "svg": heatmap(per_model, "", "alignment")})
        bars = pd.concat([_metric(metrics, m, "group").assign(series=lambda t, m=m: t["model"] + " " + m)
                          for m in ("steer_gain", "steer_specificity")])
        figures.append({"id": "steerability", "title": "Who the model can speak for",
                        "caption": "steer_gain: alignment with a group when steered toward it minus unsteered. "
                                   "steer_specificity: minus the alignment with it when steered toward another group "
                                   "(above 0: steering reaches the group, not a stereotype all steers share). 95% "
                                   "intervals resampling questions, paired.",
                        "svg": interval_bars(bars, "group", "series", "", "difference in alignment", (-1, 1))})
    return figures


def write_audit_report(run_dir: Path, manifest: dict, tables: dict[str, pd.DataFrame], metrics: pd.DataFrame) -> Path:
    """Render ``report.html`` in the run directory and return its path."""
    items = tables["items"]
    overall = metrics[metrics["grouping"] == "overall"] if len(metrics) else metrics
    gaps = metrics[metrics["group"].isin(["gap", "ratio"])] if len(metrics) else metrics
    examples = items.dropna(subset=["response"]).head(40) if "response" in items else pd.DataFrame()
    sensitive = (items.dropna(subset=["framing_sensitivity"]).sort_values("framing_sensitivity", ascending=False).head(15)
                 if "framing_sensitivity" in items else pd.DataFrame())
    specs = manifest.get("config", {}).get("models") or list(manifest.get("models", {}))
    dtypes = manifest.get("model_dtypes", {})  # the number format each computed in: auto differs between CPUs
    judge = metrics[(metrics["metric"] == "stance_judge_accuracy") & ~metrics["group"].isin(["gap", "ratio"])] \
        if len(metrics) else metrics
    return write_page(run_dir / "report.html", "audit.html",
        **check_context(metrics), judge_accuracy=judge.to_dict("records"),
        manifest=manifest, figures=_figures(tables, metrics) if len(metrics) else [],
        overall=overall.to_dict("records"), gaps=gaps.to_dict("records"),
        examples=examples.to_dict("records"), sensitive=sensitive.to_dict("records"),
        n_items=len(items), models=[f"{m} ({dtypes[m]})" if m in dtypes else m for m in specs],
    )


def _detail(tables: Tables, item: str) -> tuple[dict, list[Section]]:
    """A statement: its framings with their log-probs, then the long-form answers with their judged stance."""
    framings = rows_of(tables, "framings.parquet", "statement_id", item)
    results = rows_of(tables, "results.parquet", "statement_id", item)
    try:
        head = item_fields(tables, "statements.parquet", "id", item)
    except NotFound:
        if results is None or results.empty:
            raise
        head = {"id": item}
    sections = []
    if framings is not None:
        sections.append(Section("Stance under each framing (log-probs of the answer words)", framings))
    if results is not None:
        keep = [c for c in ("model", "variant", "p_agree", "framing_sensitivity", "negation_consistency", "refusal",
                            "refusal_decided_by", "refusal_phrase", "refusal_pattern", "refusal_judged", "judged_stance",
                            "p_judge_agree", "p_judge_disagree", "p_judge_neutral", "p_judge_refusal",
                            "response") if c in results]
        sections.append(Section("Long-form answers and their judged stance", results[keep], ("response",)))
    return head, sections


ITEMS = ItemView("statements.parquet", "id", ("id", "language", "country", "topic", "position", "text"),
                 ("language", "country", "topic", "position"), _detail)
