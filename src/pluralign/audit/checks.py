"""The audit's degeneracy checks (see ``metrics/checks.py``): one row per check and model, from the run's tables."""

from __future__ import annotations

import pandas as pd

from ..metrics.checks import CHECKS, NEAR_UNIFORM, check_row, group_sizes, smallest_group, stance_checks


def audit_checks(tables: dict[str, pd.DataFrame], metrics: pd.DataFrame, groupings: list[str],
                 judge: str | None = None) -> pd.DataFrame:
    """Every audit check that has something to look at, per model: the stance judge (``judge``, or the model
    itself: one option for nearly all answers, choices that follow the options' order, accuracy on labelled
    answers), the answer mass, the spread of stance, the survey answers (one place in the list, spread evenly), and
    the smallest group behind any grouping. ``metrics`` are the run's metrics (the interval of the judge's
    accuracy comes from there; the accuracy itself, and whether it passed, from ``judge_accuracy``)."""
    items, opinions = tables["items"], tables.get("opinions", pd.DataFrame())
    accuracy = judge_accuracy(tables.get("judge_check", pd.DataFrame(columns=["model", "correct"])))
    models = set(items["model"]) if "model" in items else set()
    models |= set(opinions["model"]) if "model" in opinions else set()
    rows = []
    for model in sorted(models):
        part = items[items["model"] == model] if "model" in items else items
        asked = opinions[opinions["model"] == model] if "model" in opinions else opinions
        measured = metrics[metrics["model"] == model] if "model" in metrics else metrics
        sizes = group_sizes(part, groupings, "statement_id") + group_sizes(asked, ["group"], "question_id")
        rows += [{"model": model, **r} for r in [*_judge(part, measured, accuracy, model, judge or model),
                                                  *stance_checks(part),
                                                  *_survey(tables, model), *smallest_group(sizes)]]
    return pd.DataFrame(rows)


def judge_accuracy(judge_check: pd.DataFrame) -> pd.DataFrame:
    """Per audited model (the index), the stance judge's accuracy on pluralign's labelled answers (``judge_check``
    table: ``value``, ``n``) and whether it passed ``judge_near_chance`` (``passed``): the one place that decides
    it, for the refusal rule (``validated_judges``) and for the check's row in the metrics alike."""
    accuracy = judge_check.dropna(subset=["correct"]).groupby("model")["correct"].agg(value="mean", n="size")
    return accuracy.assign(passed=[not CHECKS["judge_near_chance"].fires(v) for v in accuracy["value"]])


def validated_judges(judge_check: pd.DataFrame) -> set[str]:
    """The audited models whose stance judge passed ``judge_near_chance`` (``judge_accuracy``): only their judge may
    decide a refusal that the phrases and the judge disagree on."""
    accuracy = judge_accuracy(judge_check)
    return set(accuracy.index[accuracy["passed"]])


def _judge(items: pd.DataFrame, metrics: pd.DataFrame, accuracy: pd.DataFrame, model: str, judge: str) -> list[dict]:
    """The stance judge's checks for one audited ``model``: one option for nearly all answers, choices that follow the
    options' order, and ``judge_near_chance`` from ``judge_accuracy`` (its interval from ``metrics``)."""
    rows = []
    judged = items["judged_stance"].dropna() if "judged_stance" in items else pd.Series(dtype=str)
    if len(judged):
        counts = judged.value_counts()
        rows.append(check_row("judge_one_option", counts.iloc[0] / len(judged), len(judged), str(counts.index[0])))
    if "judged_stance_reversed" in items:
        both = items.dropna(subset=["judged_stance", "judged_stance_reversed"])
        if len(both):
            rows.append(check_row("judge_order_consistency",
                                  (both["judged_stance"] == both["judged_stance_reversed"]).mean(), len(both), judge))
    if model in accuracy.index:
        interval = metrics[(metrics["metric"] == "stance_judge_accuracy") & (metrics["grouping"] == "overall")] \
            if len(metrics) else metrics
        bounds = interval[["ci_low", "ci_high"]].iloc[0].tolist() if len(interval) else []
        rows.append(check_row("judge_near_chance", accuracy.at[model, "value"], accuracy.at[model, "n"], judge,
                              *bounds))
    return rows


def _survey(tables: dict[str, pd.DataFrame], model: str) -> list[dict]:
    """The survey answers' checks: answers spread almost evenly (unsteered), and, among the others, most mass on one
    place in the options' list (unsteered and steered answers together)."""
    answers = tables.get("population", pd.DataFrame())
    answers = answers[answers["model"] == model] if "model" in answers else answers
    if answers.empty:
        return []
    steer = tables.get("steer", pd.DataFrame())
    top = pd.concat([answers["top_option"], steer.loc[steer["model"] == model, "top_option"] if len(steer) else None])
    counts = top.dropna().value_counts()  # answers spread almost evenly have no top option
    rows = [check_row("opinion_near_uniform", float((answers["answer_entropy"] >= NEAR_UNIFORM).mean()), len(answers))]
    if len(counts):
        rows.append(check_row("opinion_one_letter", counts.iloc[0] / counts.sum(), counts.sum(),
                              chr(ord("A") + int(counts.index[0]))))
    return rows
