"""Policies over groups keep their error rates: seeded simulations with known group means (see scenarios.py).

A rule must fail rarely (≤ 5 %) when it holds, even exactly on its line, and often (≥ 80 %) when it is broken by a
real difference of 0.3, at ten groups of 30 items. ``benchmarks/gap_error_rates.py`` runs more replicates and
more group counts.
"""

from __future__ import annotations

import numpy as np
import pytest

from pluralign.metrics import MetricFrame

from .scenarios import fail_rates, items, mc_error, scenario

GROUPS, REPLICATES, POWER_REPLICATES = 10, 150, 100


@pytest.mark.parametrize("name", ["equal", "on the line"])
def test_rules_that_hold_fail_at_most_five_percent_of_the_time(name):
    rates = fail_rates(scenario(name, GROUPS), REPLICATES, seed=1)
    for rule, rate in rates.items():
        assert rate <= 0.05, f"{rule} rule failed {rate:.1%} ± {mc_error(rate, REPLICATES):.1%} of runs ({name})"


@pytest.mark.parametrize("name, rules", [("one 0.3 higher", ["gap", "each"]), ("ratio 0.5", ["ratio"])])
def test_rules_broken_by_a_real_difference_fail_at_least_80_percent_of_the_time(name, rules):
    rates = fail_rates(scenario(name, GROUPS), POWER_REPLICATES, seed=2)
    for rule in rules:
        assert rates[rule] >= 0.8, f"{rule} rule failed only {rates[rule]:.1%} ± {mc_error(rates[rule], POWER_REPLICATES):.1%} of runs"


@pytest.mark.parametrize("groups, n", [(GROUPS, 30), (3, 10)])
def test_gap_at_most_zero_with_all_pairs_on_the_line_fails_at_most_five_percent(groups, n):
    rng = np.random.default_rng(3)
    wrong = [MetricFrame(items(np.full(groups, 0.5), rng, n=n), "p_agree", by="group", seed=r).difference()["ci_low"] > 0
             for r in range(REPLICATES)]
    rate = float(np.mean(wrong))
    assert rate <= 0.05 + 3 * mc_error(0.05, REPLICATES), f"gap ≤ 0 failed {rate:.1%} of runs with equal means"
