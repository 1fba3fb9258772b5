"""Turn an audit run's records into tables, a long metrics table, and the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..metrics import disaggregate, write_metrics
from ..runs import read_manifest, read_records
from .checks import audit_checks, validated_judges
from .core import language_variant, opinion_alignment, refusal_decision, refusal_judged, stance_label
from .pluralism import entropy_gaps, population_table, steered_alignments, steering_confusion, steering_table
from .report import write_audit_report

GROUPINGS = ("language_variant", "country", "topic", "source", "variant", "position")
STATEMENT_METRICS = {
    "p_agree": "p_agree",
    "framing_sensitivity": "framing_sensitivity",
    "negation_consistency": "negation_consistency",
    "answer_mass": "answer_mass",
    "acquiescence": "p_yes",
    "refusal_rate": "refusal",
    "refusal_phrase_rate": "refusal_phrase",
    "refusal_judged_rate": "refusal_judged",
    "judged_agree_rate": "judged_agree",
}


def audit_tables(run_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The run as tables: ``items`` (model x statement x variant, with its ``language_variant`` group),
    ``framings`` (one row per framing), ``opinions`` (model x question x human group, with alignment) and
    ``judge_check`` (the stance judge on pluralign's answers of known stance, per audited model)."""
    run_dir = Path(run_dir)
    records = pd.DataFrame(read_records(run_dir))
    statements = pd.read_parquet(run_dir / "statements.parquet")
    meta = statements.rename(columns={"id": "statement_id"})[
        ["statement_id", *[c for c in ("language", "country", "topic", "source", "position") if c in statements.columns]]]
    key = ["model", "statement_id", "variant"]
    empty = pd.DataFrame(columns=[*key, "text_language", "prompt_language"])
    stance = _stage(records, "stance", empty)
    long_form = _stage(records, "long_form", empty)
    items = stance.drop(columns=["key", "stage", "framings"], errors="ignore")
    lf = long_form.drop(columns=["key", "stage", "text_language", "prompt_language", "refusal", "refusal_signal"],
                        errors="ignore")
    items = lf if items.empty else (items if lf.empty else items.merge(lf, on=key, how="outer"))
    items = items.merge(meta, on="statement_id", how="left") if len(items) else items
    if "language" in items:
        items["language_variant"] = language_variant(items)
    if "p_agree" in items:
        items["stance"] = [stance_label(p) if pd.notna(p) else None for p in items["p_agree"]]
    framings = pd.DataFrame([{**{k: r[k] for k in key}, **f} for r in stance.to_dict("records") for f in r["framings"]])
    judge_check = _stage(records, "judge_check", pd.DataFrame(columns=["model", "id", "language", "label", "correct"]))
    if "judged_stance" in items:
        items["judged_agree"] = (items["judged_stance"] == "agree").astype(float)
        items = _refusals(items, judge_check)
    return {"items": items, "framings": framings, **_opinions(records, run_dir),
            "judge_check": judge_check.drop(columns=["key", "stage"], errors="ignore")}


def _refusals(items: pd.DataFrame, judge_check: pd.DataFrame) -> pd.DataFrame:
    """Each long-form answer's refusal signals apart (``refusal_phrase``, ``refusal_judged``, 0/1) and the decision
    (``refusal``, with ``refusal_decided_by``: both, judge or phrase), the judge deciding where the signals disagree
    only for models whose judge passed ``judge_near_chance`` (rows of other stages stay empty). Decided here, not when
    recorded, because the judge's check comes later in the run; answers recorded before (with a ``refusal`` decided
    by the first signal that fired, and its ``refusal_signal``) are decided again by this rule."""
    validated = validated_judges(judge_check)
    answered = items["judged_stance"].notna()
    phrase = items.get("refusal_pattern", pd.Series(None, index=items.index)).notna()
    judged = pd.Series([refusal_judged(r) for r in items.to_dict("records")], index=items.index)
    decided = [refusal_decision(p, j, m in validated) for p, j, m in zip(phrase, judged, items["model"])]
    columns = {"refusal_phrase": phrase.astype(float), "refusal_judged": judged.astype(float),
               "refusal": pd.Series([float(r) for r, _ in decided], index=items.index),
               "refusal_decided_by": pd.Series([by for _, by in decided], index=items.index)}
    return items.assign(**{name: column.where(answered) for name, column in columns.items()})


def _stage(records: pd.DataFrame, stage: str, empty: pd.DataFrame) -> pd.DataFrame:
    """The records of one stage, with only the columns that stage writes."""
    if records.empty:
        return empty
    part = records[records["stage"] == stage].dropna(axis=1, how="all")
    return part if len(part) else empty


def _opinions(records: pd.DataFrame, run_dir: Path) -> dict[str, pd.DataFrame]:
    """The survey's tables: ``opinions`` (model x question x group: alignment and entropies), ``population`` (model x
    question: alignment with the whole population, entropy), and with steering ``steer`` (model x question x group x
    format, see ``pluralism.steering_table``) and ``confusion`` (``pluralism.steering_confusion``)."""
    path = run_dir / "survey.parquet"
    answers = _stage(records, "opinions", pd.DataFrame())
    if not path.exists() or answers.empty:
        return {"opinions": pd.DataFrame(columns=["model", "question_id", "group", "alignment"])}
    survey = pd.read_parquet(path)
    if "positions" not in survey:  # saved before surveys had positions: options at 1..N, as they were then
        survey["positions"] = None
    merged = answers[["model", "question_id", "model_distribution"]].merge(survey, on="question_id")
    merged["alignment"] = [opinion_alignment(np.asarray(m), np.asarray(h), bool(o), p) for m, h, o, p in zip(
        merged["model_distribution"], merged["distribution"], merged["ordinal"], merged["positions"])]
    opinions = entropy_gaps(merged[["model", "question_id", "question", "group", "ordinal", "positions", "alignment",
                                    "model_distribution", "distribution"]])
    tables = {"opinions": opinions, "population": population_table(answers, survey)}
    steered = _stage(records, "steer", pd.DataFrame())
    if len(steered):
        pairs = steered_alignments(steered, survey)
        tables |= {"steer": steering_table(pairs, opinions), "confusion": steering_confusion(pairs)}
    return tables


def audit_metrics(tables: dict[str, pd.DataFrame], n_boot: int = 1000, seed: int = 0,
                  judge: str | None = None) -> pd.DataFrame:
    """The long metrics table: model, metric, grouping, group, value, ci_low, ci_high, n; the degeneracy checks'
    rows (grouping ``check``) come last. ``judge``: the run's stance judge spec, when it is not each model itself."""
    items = tables["items"]
    parts = []
    groupings = [g for g in GROUPINGS if g in items.columns]
    if len(items):
        metrics = {m: c for m, c in STATEMENT_METRICS.items() if c in items.columns}
        # a statement's original and translated items are one cluster: resampled together, paired across variants
        parts.append(disaggregate(items, metrics, groupings, keys=["model"], cluster="statement_id", n_boot=n_boot,
                                  seed=seed))
    if len(tables.get("opinions", [])):
        # a question is asked of every human group: one cluster, so groups are compared on paired replicates
        parts.append(disaggregate(tables["opinions"], {"opinion_alignment": "alignment"}, ["group"], keys=["model"],
                                  cluster="question_id", n_boot=n_boot, seed=seed))
        parts += _pluralism_metrics(tables, n_boot, seed)
    if len(tables.get("judge_check", [])):
        parts.append(disaggregate(tables["judge_check"], {"stance_judge_accuracy": "correct"}, ["language"],
                                  keys=["model"], n_boot=n_boot, seed=seed))
    measured = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["model", "metric", "grouping"])
    return pd.concat([measured, audit_checks(tables, measured, groupings, judge)], ignore_index=True)


def _pluralism_metrics(tables: dict[str, pd.DataFrame], n_boot: int, seed: int) -> list[pd.DataFrame]:
    """Distributional and steerable pluralism (``pluralism``), each interval resampling questions; differences
    (entropy gap, steer gain, specificity) as paired values, never clipped to [0, 1]."""
    options = {"keys": ["model"], "cluster": "question_id", "n_boot": n_boot, "seed": seed}
    parts = [disaggregate(tables["opinions"], {"entropy_gap": "entropy_gap"}, ["group"], paired=True, **options),
             disaggregate(tables["population"], {"answer_entropy": "answer_entropy",
                                                 "population_alignment": "population_alignment"}, [], **options)]
    if len(tables.get("steer", [])):
        groupings = ["group", "format", "group_format"]
        parts += [disaggregate(tables["steer"], {"steered_alignment": "steered_alignment"}, groupings, **options),
                  disaggregate(tables["steer"], {"steer_gain": "steer_gain", "steer_specificity": "specificity"},
                               groupings, paired=True, **options)]
    return parts


def write_results(run_dir: str | Path) -> Path:
    """(Re)build ``results.parquet``, ``framings.parquet``, ``opinions.parquet`` (with ``population.parquet``, and
    ``steer.parquet`` and ``confusion.parquet`` when the model was steered), ``metrics.parquet`` and the report."""

    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    tables = audit_tables(run_dir)
    metrics = audit_metrics(tables, seed=manifest.get("seed", 0), judge=manifest.get("config", {}).get("judge"))
    tables["items"].to_parquet(run_dir / "results.parquet", index=False)
    tables["framings"].to_parquet(run_dir / "framings.parquet", index=False)
    for name in ("opinions", "population", "steer", "confusion"):
        if name in tables:
            tables[name].to_parquet(run_dir / f"{name}.parquet", index=False)
    write_metrics(run_dir, metrics)
    return write_audit_report(run_dir, manifest, tables, metrics)
