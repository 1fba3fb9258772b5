"""The audit's degeneracy checks (see ``metrics/checks.py``): one row per check and model, from the run's tables."""

from __future__ import annotations

import pandas as pd

from ..metrics.checks import CHECKS, NEAR_UNIFORM, check_row, group_sizes, smallest_group, stance_checks


def audit_checks(tables: dict[str, pd.DataFrame], metrics: pd.DataFrame, groupings: list[str],
                 judge: str | None = None) -> pd.DataFrame:
    """Every audit check that has something to look at, per model: the stance judge (``judge``, or the model
    itself: one option for nearly all answers, choices that follow the options' order, accuracy on labelled
    answers), the answer mass, the spread of stance, the survey answers (one place in the list, spread evenly), and
    the smallest group behind any grouping. ``metrics`` are the
    run's metrics (the judge's accuracy comes from there, with its interval)."""
    items, opinions = tables["items"], tables.get("opinions", pd.DataFrame())
    models = set(items["model"]) if "model" in items else set()
    models |= set(opinions["model"]) if "model" in opinions else set()
    rows = []
    for model in sorted(models):
        part = items[items["model"] == model] if "model" in items else items
        asked = opinions[opinions["model"] == model] if "model" in opinions else opinions
        measured = metrics[metrics["model"] == model] if "model" in metrics else metrics
        sizes = group_sizes(part, groupings, "statement_id") + group_sizes(asked, ["group"], "question_id")
        rows += [{"model": model, **r} for r in [*_judge(part, measured, judge or model), *stance_checks(part),
                                                  *_survey(tables, model), *smallest_group(sizes)]]
    return pd.DataFrame(rows)


def validated_judges(judge_check: pd.DataFrame) -> set[str]:
    """The audited models whose stance judge passed ``judge_near_chance`` on the labelled answers (``judge_check``
    table): only their judge may decide a refusal that the phrases and the judge disagree on."""
    accuracy = judge_check.groupby("model")["correct"].mean()
    return {model for model, a in accuracy.items() if not CHECKS["judge_near_chance"].fires(a)}


def _judge(items: pd.DataFrame, metrics: pd.DataFrame, judge: str) -> list[dict]:
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
    accuracy = metrics[(metrics["metric"] == "stance_judge_accuracy") & (metrics["grouping"] == "overall")] if len(metrics) else metrics
    for r in accuracy.itertuples(index=False):
        rows.append(check_row("judge_near_chance", r.value, r.n, judge, r.ci_low, r.ci_high))
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
