"""Aggregation rules for one policy over many groups, on hand-built cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from pluralign.learn import (GroupBradleyTerry, IdealPoint, MixtureBradleyTerry, aggregate, group_probabilities,
                                   policy_scores)
from pluralign.simulate import simulate_population

# One comparison, three candidates, two groups: the majority (weight 3) loves A and hates C; the minority
# (weight 1) hates A. B is everyone's acceptable second choice.
PROBS = np.array([[[0.70, 0.05], [0.25, 0.45], [0.05, 0.50]]])
WEIGHTS = np.array([3.0, 1.0])


def test_utilitarian_follows_the_majority():
    scores = aggregate(PROBS, WEIGHTS, "utilitarian")
    assert scores[0] == pytest.approx([0.5375, 0.3, 0.1625])
    assert scores.argmax() == 0


def test_maxmin_picks_the_compromise():
    scores = aggregate(PROBS, WEIGHTS, "maxmin")
    assert scores[0] == pytest.approx([0.05, 0.25, 0.05])
    assert scores.argmax() == 1


def test_borda_counts_weighted_rank_points():
    # Majority ranks A > B > C (points 2, 1, 0); minority ranks C > B > A (points 0, 1, 2).
    scores = aggregate(PROBS, WEIGHTS, "borda")
    assert scores[0] == pytest.approx([1.5, 1.0, 0.5])


def test_padding_never_wins_and_unknown_rules_are_refused():
    mask = np.array([[True, True, False]])
    assert aggregate(PROBS, WEIGHTS, "maxmin", mask)[0, 2] == -np.inf
    with pytest.raises(ValueError, match="choose from utilitarian, maxmin, borda"):
        aggregate(PROBS, WEIGHTS, "dictator")


@pytest.mark.parametrize("make", [lambda: MixtureBradleyTerry(n_types=4, n_init=1), lambda: IdealPoint(n_prototypes=4),
                                  GroupBradleyTerry])
def test_maxmin_policy_serves_the_worst_off_at_least_as_well_as_utilitarian(make):
    pop = simulate_population(n_annotators=120, comparisons_per_annotator=30, random_state=2)
    model = make().fit(pop.choices)
    probs, _, names = group_probabilities(model, pop.choices)
    assert probs.shape == (len(pop.choices), 4, len(names))
    rows = np.arange(len(pop.choices))
    worst = {rule: probs[rows, policy_scores(model, pop.choices, rule).argmax(1)].min(1).mean() for rule in ("utilitarian", "maxmin")}
    assert worst["maxmin"] >= worst["utilitarian"]
