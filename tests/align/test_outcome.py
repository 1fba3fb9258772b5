"""Who gained and who lost: align's verdicts come from exact sign tests, Holm-corrected across the rewards, and keep
their stated error in seeded simulations of runs whose tuning changed nothing."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from pluralign.align.core import judge_metrics, verdicts
from pluralign.align.outcome import align_summary, loss_p_value, outcomes, prompts_needed

from .verdict_sim import REWARDS, quiet_outcomes, simulated_verdicts


def _called_lost(runs: int, prompts: int, tolerance: float, seed: int, loss: float = 0.0,
                 unchanged: float = 0.0) -> np.ndarray:
    """Per simulated run (``verdict_margins``), which of the rewards a, b, c are called lost."""
    table = simulated_verdicts(runs, prompts, tolerance, seed, loss=loss, unchanged=unchanged)
    return table[["a", "b", "c"]].eq("lost").to_numpy()


@pytest.mark.parametrize("prompts, tolerance, unchanged", [(7, 0.05, 0.0), (32, 0.0, 0.0), (32, 0.05, 0.5)])
def test_when_tuning_changes_nothing_any_reward_is_called_lost_in_at_most_5_percent_of_runs(prompts, tolerance,
                                                                                            unchanged):
    """400 runs each: the family-wise rate of a false "lost" across three rewards is at most 5% (+2.7 binomial
    standard errors); the point-estimate rule this replaces called one lost in 88–90% of runs of 7 prompts."""
    runs = 400
    rate = _called_lost(runs, prompts, tolerance, seed=prompts, unchanged=unchanged).any(axis=1).mean()
    assert rate <= 0.05 + 2.7 * np.sqrt(0.05 * 0.95 / runs), rate


def test_a_real_loss_is_called_on_as_many_prompts_as_the_warning_asks_for():
    """A reward whose win rate is 0.3 among three rewards that can lose: on prompts_needed(3, 0.05) held-out prompts
    it is called lost in at least 80% of 300 runs (−2.7 standard errors), and the untouched rewards almost never."""
    runs, prompts = 300, prompts_needed(3, 0.05)
    called = _called_lost(runs, prompts, 0.05, seed=3, loss=0.2)
    assert called[:, 0].mean() >= 0.8 - 2.7 * np.sqrt(0.8 * 0.2 / runs), called[:, 0].mean()
    assert called[:, 1:].any(axis=1).mean() <= 0.05


def test_too_few_held_out_prompts_warn_and_enough_do_not():
    margins = np.random.default_rng(0).normal(size=(7, 4))
    prompts = [f"p{i}" for i in range(7)]
    metrics = judge_metrics(verdicts(prompts, margins, np.zeros_like(margins), REWARDS), dict.fromkeys(REWARDS, 0.25),
                            n_boot=100)
    with pytest.warns(UserWarning, match=r"only 7 held-out prompts: .* called lost in 8% of runs; 95 prompts"):
        align_summary(metrics, pd.DataFrame(margins, index=prompts, columns=REWARDS), "target", 0.05)
    enough = np.random.default_rng(0).normal(size=(prompts_needed(3, 0.05), 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outcomes(pd.DataFrame(enough, columns=REWARDS), "target", 0.05)


def test_the_loss_test_is_the_sign_test_on_the_prompts_a_reward_tells_apart():
    margins = pd.Series([-1.0, -2.0, -0.5, 0.0, 0.0, 3.0, -1.0, -4.0, 0.0, -0.1])  # 6 losses, 1 win, 3 ties
    assert loss_p_value(margins, 0.0) == pytest.approx(binomtest(6, 7, 0.5, alternative="greater").pvalue)
    # the tolerance moves the chance of a loss among the 7 differing prompts so the win rate is 0.5 − 0.05
    assert loss_p_value(margins, 0.05) == pytest.approx(binomtest(6, 7, 0.5 + 0.05 * 10 / 7,
                                                                  alternative="greater").pvalue)
    assert loss_p_value(pd.Series(np.zeros(10)), 0.0) == 1.0  # answers unchanged: nothing lost


def test_a_max_min_target_gains_only_when_every_reward_gains():
    rng = np.random.default_rng(2)
    margins = np.abs(rng.normal(size=(40, 4)))  # every reward prefers the tuned answer on every prompt
    both = quiet_outcomes(margins, target="max-min").set_index("reward")
    assert both.loc["worst reward", "target"] and both.loc["worst reward", "verdict"] == "gained"
    margins[:, 2] *= rng.choice([-1, 1], size=40)  # reward b is indifferent
    one = quiet_outcomes(margins, target="max-min").set_index("reward")
    assert one.loc["worst reward", "verdict"] == "no clear gain" and not one.lost.any()
    assert (one.loc[["target", "a", "b", "c"], "verdict"] == "no clear loss").all()
