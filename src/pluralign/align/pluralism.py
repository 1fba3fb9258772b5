"""Did tuning make the model less pluralistic? The three kinds of pluralism (Sorensen et al. 2024: steerable,
distributional, Overton) measured on the base and the tuned model with the same questions and prompts, and each
change (``pluralism_shift``) with a paired interval. Pure tables: the survey's tables come from the audit run that
asked both models (``audit.results.audit_tables``), the Overton rows from ``valuemaps.overton.overton_rows``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import disaggregate
from ..metrics.checks import check_row
from ..valuemaps.overton import overton_measures

# measure -> (kind of pluralism, the audit table and its column per question and group)
SURVEY_MEASURES = {
    "steered_alignment": ("steerable", "steer", "steered_alignment"),
    "steer_specificity": ("steerable", "steer", "specificity"),
    "opinion_alignment": ("distributional", "opinions", "alignment"),
    "answer_entropy": ("distributional", "population", "answer_entropy"),
}
OVERTON_MEASURES = {"overton_coverage": "overton", "overton_coverage_soft": "overton"}
KINDS = {**{m: kind for m, (kind, _, _) in SURVEY_MEASURES.items()}, **OVERTON_MEASURES}
UNIT_COLUMNS = ["model", "measure", "unit", "group", "value"]


def shift_metric(measure: str) -> str:
    """The metric name of a measure's change from the base to the tuned model (``steer_specificity_shift``)."""
    return f"{measure}_shift"


def survey_units(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The survey measures per model, question (``unit``) and human group (NaN for ``answer_entropy``, a question's
    own), from the audit's tables (``opinions``, ``population`` and, when the models were steered, ``steer``): a
    steered measure is averaged over the steering formats asked, so a question counts once per group."""
    parts = []
    for measure, (_, name, column) in SURVEY_MEASURES.items():
        table = tables.get(name)
        if table is None or column not in table or table.empty:
            continue
        by = ["model", "question_id", "group"] if "group" in table else ["model", "question_id"]
        values = table.groupby(by, sort=False)[column].mean().reset_index()
        parts.append(values.rename(columns={"question_id": "unit", column: "value"}).assign(measure=measure))
    return pd.concat(parts, ignore_index=True).reindex(columns=UNIT_COLUMNS) if parts else \
        pd.DataFrame(columns=UNIT_COLUMNS)


def overton_units(entries: pd.DataFrame) -> pd.DataFrame:
    """Overton coverage per model and prompt (``unit``) from ``overton_rows``' entries, whose ``answer_set`` is the
    answering model's spec: overton_coverage and overton_coverage_soft (``overton_measures``)."""
    if entries.empty:
        return pd.DataFrame(columns=UNIT_COLUMNS)
    measures = overton_measures(entries).rename(columns={"answer_set": "model", "situation_id": "unit"})
    long = measures.melt(id_vars=["model", "unit"], value_vars=list(OVERTON_MEASURES), var_name="measure")
    return long.assign(group=np.nan).reindex(columns=UNIT_COLUMNS)


def paired_shifts(units: pd.DataFrame, base: str, tuned: str) -> pd.DataFrame:
    """Per measure, unit and group: the tuned model's value minus the base's (``shift``), where both have one."""
    key = ["measure", "unit", "group"]
    keyed = units.assign(group=units["group"].astype(object).where(units["group"].notna(), ""))
    wide = keyed.pivot_table(index=key, columns="model", values="value", aggfunc="first", dropna=False)
    if not {base, tuned} <= set(wide.columns):
        return pd.DataFrame(columns=[*key, "shift"])
    shifts = (wide[tuned] - wide[base]).rename("shift").dropna().reset_index()
    return shifts.assign(group=shifts["group"].replace("", np.nan))


def unit_checks(units: pd.DataFrame, base: str, tuned: str) -> pd.DataFrame:
    """The ``few_survey_questions`` and ``few_overton_prompts`` check rows (``metrics.checks``): the fewest questions,
    or prompts, that both models answered behind any one measure's shift; none for a kind the run did not measure."""
    shifts = paired_shifts(units, base, tuned)
    survey = shifts["measure"].isin(list(SURVEY_MEASURES))
    counts = [(name, part.groupby("measure")["unit"].nunique().min())
              for name, part in (("few_survey_questions", shifts[survey]), ("few_overton_prompts", shifts[~survey]))
              if len(part)]
    return pd.DataFrame([check_row(name, n, n) for name, n in counts],
                        columns=["metric", "grouping", "group", "value", "ci_low", "ci_high", "n"])


def pluralism_shift(units: pd.DataFrame, base: str, tuned: str, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Each measure's change from ``base`` to ``tuned`` (``units``: ``survey_units`` and ``overton_units`` stacked),
    overall and by human group: metric ``<measure>_shift``, its ``measure`` and ``kind`` (steerable, distributional,
    overton), value, ci_low, ci_high and n (question × group rows, or prompts). Both models answered the same
    questions and prompts, so the interval resamples them with each pair of answers kept together (a question with
    every group's row: the groups are the survey's, fixed, not a sample); it is clipped to the shift's registered
    range (a change of shares to [−1, 1]), never to [0, 1]."""
    shifts = paired_shifts(units, base, tuned)
    parts = [disaggregate(part, {shift_metric(measure): "shift"}, ["group"], cluster="unit", n_boot=n_boot, seed=seed,
                          paired=True).assign(measure=measure, kind=KINDS[measure])
             for measure, part in shifts.groupby("measure", sort=False)]
    columns = ["measure", "kind", "metric", "grouping", "group", "value", "ci_low", "ci_high", "n"]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)[columns]
    return table[table["group"] != "ratio"].reset_index(drop=True)  # a ratio of differences that can be negative


def level_metrics(units: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Each model's own value of the ``units``' measures (one metrics row per model and measure, overall; the
    interval resamples the units): the Overton measures of the align run, which no audit run writes."""
    parts = [disaggregate(part, {measure: "value"}, [], keys=["model"], cluster="unit", n_boot=n_boot, seed=seed)
             for measure, part in units.groupby("measure", sort=False)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["model", "metric"])


def degenerate_shifts(shifts: pd.DataFrame, fired: pd.DataFrame) -> pd.Series:
    """Per row of ``pluralism_shift``, the fired checks (``check_results`` rows that fire, of either model) whose
    affected metrics include its measure or its shift, as "opinion_one_letter (embedded)"; "" where none does. A
    change between two numbers either of which carries no information carries none, and neither does an interval on
    too few questions or prompts (``unit_checks``)."""
    named = {m: "; ".join(sorted({f"{r.check} ({r.model})" for r in fired.itertuples()
                                  if {m, shift_metric(m)} & set(r.affects.split(", "))}))
             for m in shifts["measure"].unique()}
    return shifts["measure"].map(named).fillna("")
