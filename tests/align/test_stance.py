"""Stances before and after aligning: a group where either model's stances are degenerate is marked and left out of
the verdicts, and the verdicts on the others keep their stated error across every group read (Holm)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ttest_1samp

from pluralign.align.core import stance_shift
from pluralign.align.report import write_align_report
from pluralign.metrics.checks import check_row
from pluralign.metrics.bootstrap_t import bootstrap_t_p_value

from .verdict_sim import shift_verdict_runs, stance_items, statements


def _audit(mass_in_german: float, seed: int = 0) -> pd.DataFrame:
    """Both models' stance items on 12 statements of each language: the base puts 0.9 of its probability on the
    answer words everywhere, the tuned model ``mass_in_german`` on German originals; tuning moves every stance up 0.2."""
    rng = np.random.default_rng(seed)
    items = stance_items(statements(12))
    base = items.assign(model="base", p_agree=rng.uniform(0.1, 0.7, len(items)), answer_mass=0.9)
    german = (items["language_variant"] == "de original").to_numpy()
    tuned = items.assign(model="tuned", p_agree=base["p_agree"] + 0.2 + rng.normal(0, 0.02, len(items)),
                         answer_mass=np.where(german, mass_in_german, 0.9))
    return pd.concat([base, tuned], ignore_index=True)


def test_a_group_where_either_model_reads_a_sliver_of_mass_is_degenerate_and_left_out_of_the_verdicts():
    """Before, every group's shift was read alike: German originals whose tuned p(agree) rests on 1% of the
    probability showed a shift of +0.2 like any other, with no mark."""
    table = stance_shift(_audit(mass_in_german=0.01), "base", "tuned", n_boot=100).set_index(["grouping", "group"])
    german = table.loc[("language_variant", "de original")]
    assert german["degenerate"] == "low_answer_mass (tuned)" and german["verdict"] == "degenerate"
    assert np.isnan(german["p"])
    assert table.loc[("language_variant", "de translated"), "verdict"] == "moved"
    assert table.loc[("language_variant", "gap"), "degenerate"] == "low_answer_mass (tuned)"
    # 12 of 156 items of the tuned model are below the line: too few for the check to fire on every item together
    assert table.loc[("overall", "all"), "degenerate"] == "" and table.loc[("overall", "all"), "verdict"] == "moved"
    # groups read: overall, 6 topics, 12 language variants, 2 positions; German originals left out
    assert table["p"].notna().sum() == 1 + 6 + 12 + 2


def test_a_group_is_read_when_both_models_put_enough_mass_on_the_answer_words():
    table = stance_shift(_audit(mass_in_german=0.9), "base", "tuned", n_boot=100)
    assert (table["degenerate"] == "").all() and table["p"].notna().sum() == 1 + 6 + 13 + 2


def test_the_bootstrap_t_studentises_each_resample_like_the_t_test():
    """One cluster per row, symmetric shifts: the bootstrap-t's p-value is near the t test's; a shift far from 0 gets
    the smallest p-value the resamples allow; a group of two statements can never be called moved."""
    rng = np.random.default_rng(2)
    shifts = pd.Series(rng.normal(0.02, 0.1, 60))
    t = ttest_1samp(shifts, 0).pvalue
    assert bootstrap_t_p_value(shifts, pd.Series(range(60)), np.random.default_rng(0)) == pytest.approx(t, abs=0.03)
    far = pd.Series(rng.normal(1.0, 0.1, 30))
    assert bootstrap_t_p_value(far, pd.Series(range(30)), np.random.default_rng(0), n_boot=999) == 1 / 1000
    pair = pd.Series([0.5, 0.6])
    assert bootstrap_t_p_value(pair, pd.Series([0, 1]), np.random.default_rng(0)) > 0.4


def test_when_tuning_moves_no_stance_any_group_is_called_moved_in_at_most_5_percent_of_runs():
    """200 seeded runs of the built-in suite's shape (168 statements, 22 groups read), every shift a statement's
    effect plus its item's noise, both centred on 0. Read one by one at 5%, as the report's intervals were, some group
    was called moved in 65% of such runs; with Holm's correction, at most 5%."""
    called = sum((verdicts["verdict"] == "moved").any() for verdicts in shift_verdict_runs(24, 200, seed=7))
    assert called / 200 <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 200), called


def test_with_skewed_statement_effects_any_group_is_still_called_moved_in_at_most_5_percent_of_runs():
    """300 seeded runs of 12 statements per language (84 statements, 22 groups) whose effects are skewed (a centred
    exponential, sd 0.05: tuning moves a few statements far and most a little the other way) plus item noise of sd
    0.04, so a statement's mean shift has skewness 0.95–1.3. The cluster t test (before) called some group moved in
    27 of these very runs (9.0%): its tails are a normal mean's, and at Holm's α/22 the skewed tail is fatter. The
    bootstrap-t: 16 (5.3%), within the bound. (With noise 0.03 it too goes over: 8.7% against the t test's 13.3%;
    benchmarks/RESULTS.md.)"""
    runs = 300
    called = sum((v["verdict"] == "moved").any() for v in shift_verdict_runs(12, runs, seed=3, skewed=True,
                                                                          noise=0.04))
    assert called / runs <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / runs), called / runs


def test_a_move_of_every_stance_by_002_is_called_overall_in_most_runs():
    """Power beside the level: 100 runs of the suite's shape in which tuning moved every item by 0.02 (a third of the
    spread of the statements' shifts): overall is called moved in 86 (the t test: 87)."""
    moved = sum(v.loc[("overall", "all"), "verdict"] == "moved" for v in shift_verdict_runs(24, 100, seed=4, moved=0.02))
    assert moved >= 75, moved


def test_the_align_report_shows_the_audits_checks_and_how_many_groups_it_read(tmp_path):
    """Before, the report rendered none of the audit's checks and read every group one by one."""
    stance = stance_shift(_audit(mass_in_german=0.01), "base", "tuned", n_boot=100)
    checks = pd.DataFrame([{"run": "audit", "model": "tuned", **check_row("low_answer_mass", 0.4, 156, "de")}])
    summary = pd.DataFrame([{"reward": "a", "value": 0.6, "ci_low": 0.5, "ci_high": 0.7, "n": 8, "worst": None,
                             "p": 0.03, "target": True, "verdict": "gained",
                             "evaluation": "training reward", "judged_by": "the reward a"}])
    curve = pd.DataFrame({"step": [1, 2], "loss": [0.7, 0.6], "margin": [None, None]})
    manifest = {"config": {"target": "a", "model": "embedded", "prompts": "builtin", "audit": "builtin", "k": 4,
                           "beta": 0.1, "lora_r": 8, "steps": 2, "tolerance": 0.05}, "status": "complete",
                "created": "today"}
    page = write_align_report(tmp_path, manifest, summary, curve, 4, stance, checks=checks).read_text()
    assert "Numbers here that carry no information" in page and 'data-check="low_answer_mass"' in page
    assert "21 groups were read" in page and "Holm" in page
    assert page.count('<span class="pill refusal">degenerate</span>') == 2  # German originals and their gap
