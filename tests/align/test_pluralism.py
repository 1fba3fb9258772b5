"""Align's before and after for the three kinds of pluralism: a tuned model whose steering the test controls loses
steerability for the groups it no longer speaks for, a tuned model like the base moves nothing, the paired intervals
hold their level on simulated questions, and compare shows each measure as its own metric."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pluralign.align.before_after import audit_both
from pluralign.align.pluralism import degenerate_shifts, overton_units, pluralism_shift, unit_checks
from pluralign.align.report import write_align_report
from pluralign.align.results import pluralism_results
from pluralign.align.summary import pluralism_notes, pluralism_table
from pluralign.data import builtin_survey
from pluralign.metrics import read_metrics
from pluralign.metrics.checks import fired
from pluralign.metrics.compare import scorecard
from pluralign.runs import Run

from ..steered_models import SteeredBySurvey
from .pluralism_sim import overton_coverage, shift_coverage

BASE, TUNED = "hf:test/base", "hf:test/tuned"
OTHERS = ["age 35-54", "age 55+"]


def _measured(tmp_path, tuned: str, like: str = "age 18-34", questions: int | None = None) -> pd.DataFrame:
    """An align run's pluralism measures of a base that follows the steer and a tuned model behaving as ``tuned``
    (the judge's answers name the two models, as after training), its shifts as ``pluralism_results`` writes them."""
    survey = builtin_survey()
    run = Run(tmp_path / tuned, "align", {"target": "test"}, "test")
    (run.path / "judge").mkdir()
    pd.DataFrame({"role": ["against", "model"], "model": [BASE, TUNED]}).to_parquet(run.path / "judge" / "answers.parquet")
    audit_both(run.path, BASE, TUNED, statements=None, statement_limit=None, survey="builtin", questions=questions,
               seed=0, progress=False, use_cache=False,
               models={BASE: SteeredBySurvey(survey, "follows"), TUNED: SteeredBySurvey(survey, tuned, like)})
    return pluralism_results(run.path, {}, seed=0)


def _shift(shifts: pd.DataFrame, measure: str) -> pd.DataFrame:
    rows = shifts[(shifts["measure"] == measure) & (shifts["group"] != "gap")]
    return rows.set_index("group")[["value", "ci_low", "ci_high", "n"]]


def test_a_model_tuned_to_answer_like_one_group_loses_steerability_for_the_others(tmp_path):
    shifts = _measured(tmp_path, "like")
    steered = _shift(shifts, "steered_alignment")
    assert steered.loc["age 18-34", "value"] == pytest.approx(0, abs=1e-4)  # it still answers like the group it took
    assert (steered.loc[OTHERS, "ci_high"] < 0).all(), steered  # and can no longer be steered toward the others
    specificity = _shift(shifts, "steer_specificity")
    assert (specificity.loc[["all", "age 18-34", *OTHERS], "ci_high"] < 0).all(), specificity  # toward no one apart
    distributional = _shift(shifts, "opinion_alignment")
    assert distributional.loc["age 18-34", "ci_low"] > 0  # unsteered, it now answers like its group
    assert set(shifts["kind"]) == {"steerable", "distributional"} and (shifts["degenerate"] == "").all()
    assert steered.loc["all", "n"] == 6 * 3  # every question of the built-in survey, once per group


def test_a_tuned_model_that_answers_as_the_base_shifts_nothing(tmp_path):
    shifts = _measured(tmp_path, "follows", questions=3)
    rows = shifts[shifts["group"] != "gap"]
    assert np.allclose(rows["value"], 0) and ((rows["ci_low"] <= 0) & (rows["ci_high"] >= 0)).all()
    assert _shift(shifts, "steered_alignment").loc["all", "n"] == 3 * 3  # --pluralism-questions 3: the first three
    assert (shifts["degenerate"] == f"few_survey_questions ({TUNED})").all()  # 3 questions: below the check's 4


def test_compare_shows_each_kind_of_pluralism_as_its_own_metric_with_its_tensions(tmp_path):
    _measured(tmp_path, "like")
    metrics = read_metrics(tmp_path / "like")
    card = scorecard(metrics)
    assert set(card.matrix.units) == {BASE, TUNED}
    shown = set(card.matrix.values.columns)
    assert {"steered_alignment", "steer_specificity", "opinion_alignment", "answer_entropy", "steered_alignment_shift",
            "steer_specificity_shift", "opinion_alignment_shift", "answer_entropy_shift"} <= shown
    assert not any("pluralism" in m for m in shown)  # never one folded score
    pairs = {frozenset(p) for p in zip(card.agreement["metric_a"], card.agreement["metric_b"])}
    assert {"steered_alignment", "opinion_alignment"} in pairs  # the tension between two kinds, over the two models


def test_the_report_and_the_summary_show_each_measures_shift_and_what_makes_one_uninformative(tmp_path):
    shifts = _measured(tmp_path, "like").assign(degenerate=lambda t: np.where(
        t["measure"] == "answer_entropy", "opinion_one_letter (hf:test/tuned)", ""))
    table = pluralism_table(shifts)
    assert set(table["measure"]) == {"steered_alignment", "steer_specificity", "opinion_alignment", "answer_entropy"}
    assert "gap" not in set(table["group"])
    row = table[(table["measure"] == "steered_alignment") & (table["group"] == "age 55+")].iloc[0]
    assert row["tuned − base"].startswith("-") and row["n"] == "6"
    assert table[table["measure"] == "answer_entropy"]["n"].str.endswith(" *").all()
    assert not table[table["measure"] != "answer_entropy"]["n"].str.endswith("*").any()
    assert pluralism_notes(shifts) == ["* answer_entropy: no information, opinion_one_letter (hf:test/tuned) fired"]
    summary = pd.DataFrame([{"reward": "a", "value": 0.6, "ci_low": 0.5, "ci_high": 0.7, "n": 8, "worst": None,
                             "p": 0.03, "target": True, "verdict": "gained", "evaluation": "training reward",
                             "judged_by": "the reward a"}])
    curve = pd.DataFrame({"step": [1, 2], "loss": [0.7, 0.6], "margin": [None, None]})
    manifest = {"config": {"target": "a", "model": "embedded", "prompts": "builtin", "k": 4, "beta": 0.1,
                           "lora_r": 8, "steps": 2, "tolerance": 0.05}, "status": "complete", "created": "today"}
    page = write_align_report(tmp_path, manifest, summary, curve, 4, pluralism=shifts).read_text()
    assert "Three kinds of pluralism, before and after" in page and "steer_specificity" in page
    assert page.count('title="no information: opinion_one_letter (hf:test/tuned)"') == len(
        shifts[shifts["measure"] == "answer_entropy"])


def test_overton_coverage_per_prompt_is_the_share_of_the_map_each_models_answer_covers():
    entries = pd.DataFrame([{"situation_id": p, "answer_set": model, "answer_id": "1", "kind": "Value",
                             "text": f"entry {e}", "valence": "supports" if e else "opposes", "relevance": 0.9,
                             "p_covered": 0.9 if e < covered else 0.1}
                            for p in ("p1", "p2", "p3") for model, covered in ((BASE, 1), (TUNED, 3)) for e in range(3)])
    units = overton_units(entries)
    hard = units[units["measure"] == "overton_coverage"].pivot(index="unit", columns="model", values="value")
    assert hard[BASE].tolist() == pytest.approx([1 / 3] * 3) and hard[TUNED].tolist() == [1.0] * 3
    shift = pluralism_shift(units, BASE, TUNED).set_index("metric").loc["overton_coverage_shift"]
    assert shift["value"] == pytest.approx(2 / 3) and shift["kind"] == "overton" and shift["n"] == 3


def _overton(shares: dict[str, list[float]]) -> pd.DataFrame:
    """``overton_units`` of each model's overton_coverage on prompts p0, p1, ..."""
    return pd.DataFrame([{"model": model, "measure": "overton_coverage", "unit": f"p{i}", "group": np.nan, "value": v}
                         for model, values in shares.items() for i, v in enumerate(values)])


def test_an_overton_shift_on_two_prompts_keeps_its_interval_within_minus_one_and_one():
    shift = pluralism_shift(_overton({BASE: [1.0, 0.5], TUNED: [0.0, 0.5]}), BASE, TUNED).iloc[0]
    assert shift["value"] == pytest.approx(-0.5)
    assert shift["ci_low"] == -1 and shift["ci_high"] <= 1  # unclipped, 2 prompts stretch it to [−5.87, 4.90]


def test_a_shift_on_fewer_than_four_prompts_or_questions_is_marked_by_a_check():
    few = _overton({BASE: [0.2, 0.4, 0.6], TUNED: [0.1, 0.4, 0.3]})
    enough = _overton({BASE: [0.2, 0.4, 0.6, 0.5], TUNED: [0.1, 0.4, 0.3, 0.5]})
    for units, fires in ((few, True), (enough, False)):
        checks = unit_checks(units, BASE, TUNED).assign(model=TUNED)
        assert checks[["metric", "value"]].values.tolist() == [["few_overton_prompts", len(units) / 2]]
        marked = degenerate_shifts(pluralism_shift(units, BASE, TUNED), fired(checks))
        assert marked.tolist() == [f"few_overton_prompts ({TUNED})" if fires else ""]


@pytest.mark.parametrize("prompts", [2, 4, 12])
def test_overton_shift_intervals_cover_the_true_shift_on_simulated_prompts(prompts):
    """Seeded: 200 simulated runs (``pluralism_sim``: maps of 2 to 6 entries, coverage shares 0.1 lower after tuning).
    The 95% interval, clipped to [−1, 1], covers the true shift 90-99% of the time however few the prompts; at 2 it
    does so by spanning nearly the whole range, which the few_overton_prompts check says."""
    table = overton_coverage(prompts, 200).iloc[0]
    assert 0.88 <= table["coverage"] <= 0.99 and table["width"] <= 2
    assert (table["width"] > 1.5) == (prompts == 2)


@pytest.mark.parametrize("questions, lowest", [(6, 0.85), (30, 0.90)])
def test_pluralism_shift_intervals_cover_the_true_shift_on_simulated_questions(questions, lowest):
    """Seeded: 200 simulated surveys (``pluralism_sim``) of 6 questions (the built-in survey's size) and of 30. The 95%
    intervals cover each group's true shift, and the overall one, close to 95% of the time at 30 questions; at 6 they
    fall a little short (89.5-93% when this was written), which docs/methods.md says."""
    coverage = shift_coverage(questions, 200)
    assert all(lowest <= c <= 0.99 for c in coverage.values()), coverage
