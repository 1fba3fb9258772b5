"""reward_tension: Spearman's ρ between the target's margins and another reward's over prompts, with a bootstrap
interval that holds its coverage on data with a known answer."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from pluralign.align.core import _rho_p_value, prompts_to_read, reward_tensions, smallest_rho_p, tension_reading

from .verdict_sim import reads_a_relation, tension_tables


@pytest.mark.filterwarnings("error")  # a degenerate bootstrap (the rival's) must not leak scipy's warning to the CLI
def test_rho_is_spearmans_and_a_reward_that_never_moves_gives_nothing():
    rng = np.random.default_rng(1)
    target = rng.normal(size=40)
    margins = pd.DataFrame({"t": target, "ally": target + rng.normal(scale=0.5, size=40), "rival": -target ** 3,
                            "flat": np.zeros(40)})
    table = reward_tensions(margins, "t").set_index("group")
    assert list(table.index) == ["ally", "rival", "flat"] and (table.n == 40).all()
    assert table.loc["ally", "value"] == pytest.approx(spearmanr(margins.t, margins.ally).statistic)
    assert table.loc["rival", "value"] == pytest.approx(-1.0) and table.loc["ally", "ci_low"] > 0
    # every resample of exactly opposed margins gives ρ = -1: BCa is undefined there, the interval is that ρ
    assert table.loc["rival", "ci_low"] == table.loc["rival", "ci_high"] == pytest.approx(-1.0)
    assert np.isnan(table.loc["flat", ["value", "ci_low", "ci_high"]].astype(float)).all()


def test_the_interval_covers_the_true_rho_at_its_stated_rate():
    """Margins drawn from a bivariate normal with correlation r have Spearman's ρ = (6/π)·asin(r/2); 400 runs of 32
    prompts: the 95% intervals cover it in 92–98% of runs (±2.7 binomial standard errors)."""
    r, n, runs = -0.5, 32, 400
    truth = 6 / np.pi * np.arcsin(r / 2)
    rng = np.random.default_rng(0)
    covered = 0
    for run in range(runs):
        x, y = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], size=n).T
        row = reward_tensions(pd.DataFrame({"t": x, "o": y}), "t", n_boot=1000, seed=run).iloc[0]
        covered += row.ci_low <= truth <= row.ci_high
    assert 0.92 <= covered / runs <= 0.98, covered / runs


def test_when_no_relation_exists_and_half_the_answers_are_unchanged_no_pair_is_read_as_one():
    """Three rewards whose margins are independent on the 16 of 32 prompts whose answers changed (the target and a
    gaining on average, b losing), 0 on the rest: in 300 runs, any reading other than "no clear relation" (across the
    two pairs with the target) is at most 5% (+2.7 binomial standard errors). Read from every prompt's interval, the
    shared zeros made 50% of such runs read one (gain together in 32%, a trade-off in 31%)."""
    runs, read = 300, 0
    for table in tension_tables(runs, 32, 0.5, seed=5):
        assert (table.n == 16).all()
        read += reads_a_relation(table)
    assert read / runs <= 0.05 + 2.7 * np.sqrt(0.05 * 0.95 / runs), read / runs


def test_without_a_target_every_pair_of_rewards_is_read_and_corrected_together():
    """Max-min has no one reward to focus on: every pair is read, so none is chosen after seeing the results; a real
    trade-off is still read as one after Holm's correction across the three pairs."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=30)
    margins = pd.DataFrame({"a": x, "b": -x + rng.normal(scale=0.3, size=30), "c": rng.normal(size=30)})
    table = reward_tensions(margins, None, n_boot=200)
    assert list(zip(table.focus, table.group)) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert tension_reading(*table.loc[0, ["value", "p"]]) == "trade-off"
    assert (table.p >= reward_tensions(margins[["a", "b"]], "a", n_boot=200).p.iloc[0]).all()


def test_the_fewest_differing_prompts_to_read_come_from_the_permutation_tests_smallest_p_value():
    """Perfectly ordered margins give the permutation test's smallest p-value; ``smallest_rho_p`` is what the test
    itself returns there, and ``prompts_to_read`` is the first size at which Holm's first step can reach 5%."""
    for n in range(3, 7):  # 6! = 720 orderings, within 1000 resamples: exact
        x = np.arange(n, dtype=float)
        assert _rho_p_value(x, x ** 3, 1000, 0) == pytest.approx(smallest_rho_p(n, 1000)), n
    # random orderings from 7 prompts on: the observed one counts among them, and a draw may repeat it
    assert all(_rho_p_value(np.arange(7.0), np.arange(7.0), 1000, seed) >= 2 / 1001 for seed in range(5))
    assert smallest_rho_p(4, 1000) == pytest.approx(2 / 24) and smallest_rho_p(7, 1000) == pytest.approx(2 / 1001)
    assert [prompts_to_read(pairs, 1000) for pairs in (1, 2, 3, 6, 15, 25, 26)] == [5, 5, 5, 6, 6, 7, None]
    assert prompts_to_read(2, 100) == 5 and prompts_to_read(3, 100) is None  # 6/101 > 0.05: never


@pytest.mark.parametrize("target, rewards, needed", [("t", ["t", "a", "b"], 5), (None, ["a", "b", "c", "d"], 6)])
def test_below_the_prompts_where_any_reading_is_attainable_no_rho_is_given_and_the_run_says_why(target, rewards,
                                                                                                needed):
    """Before, a ρ was read from 3 differing prompts on, though below 5 (2 or 3 pairs; 6 for max-min over four
    rewards, 6 pairs) even perfectly ordered margins could only read "no clear relation"."""
    def tensions(differing: int) -> pd.DataFrame:
        ordered = np.arange(1, differing + 1, dtype=float)
        margins = pd.DataFrame({r: ordered * (i + 1) for i, r in enumerate(rewards)})
        return reward_tensions(pd.concat([margins, pd.DataFrame(0.0, index=range(6), columns=rewards)],
                                         ignore_index=True), target, n_boot=1000)

    with pytest.warns(UserWarning, match=f"only {needed - 1} prompts whose answers differ.*at least {needed}"):
        few = tensions(needed - 1)
    assert few["value"].isna().all() and few["p"].isna().all() and (few["n"] == needed - 1).all()
    assert few["refused"].str.contains("no reward_tension is read").all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enough = tensions(needed)
    assert (enough["value"] == 1).all() and (enough["refused"] == "").all()
    assert all(tension_reading(r.value, r.p) == "gain together" for r in enough.itertuples())
