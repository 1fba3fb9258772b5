"""Coverage and diversity on hand-built sets whose answers are known; distances against scipy."""

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import pdist

from pluralign.candidates import (annotator_positions, coverage, distinct_n, humans_versus_models, mean_pairwise_distance,
                                oracle_correct, pole_accuracy, set_diversity, vendi_score)
from pluralign.simulate.value_axes import simulate_value_choices


def test_coverage_per_pole_per_axis_and_all_four():
    positions = pd.DataFrame({
        "set_id": ["a", "a", "b", "b", "c", "c"],
        "traditional_secular": [-0.5, 0.5, 0.2, 0.4, -0.9, 0.9],
        "survival_self_expression": [-0.3, 0.3, -0.2, 0.6, 0.15, 0.2],
    })
    got = coverage(positions, margin=0.1).set_index("set_id")
    assert got["traditional"].tolist() == [True, False, True]
    assert got["secular_rational"].tolist() == [True, True, True]
    assert got["survival"].tolist() == [True, True, False]
    assert got["self_expression"].tolist() == [True, True, True]
    assert got["traditional_secular"].tolist() == [True, False, True]
    assert got["survival_self_expression"].tolist() == [True, True, False]
    assert got["both"].tolist() == [True, False, False]
    wide = coverage(positions, margin=0.4).set_index("set_id")
    assert wide["secular_rational"].tolist() == [True, False, True] and wide["self_expression"].tolist() == [False, True, False]


def test_a_judge_near_indifference_covers_no_pole():
    # Responses judged at ±0.01 lean to no pole; the old coverage (margin 0) counted this set as covering both axes.
    positions = pd.DataFrame({"set_id": ["s"] * 4, "traditional_secular": [0.01, -0.01, 0.01, -0.01],
                              "survival_self_expression": [-0.01, 0.01, 0.01, -0.01]})
    got = coverage(positions).iloc[0]
    assert not got[["traditional", "secular_rational", "survival", "self_expression", "both"]].any()


def test_oracle_accuracy_is_the_chance_that_people_pick_the_candidate_closest_to_them():
    # Simulated people choose by softmax(-sharpness * distance²); the closest candidate's probability is known, so the
    # mean oracle accuracy must match it within Monte-Carlo error.
    rng = np.random.default_rng(3)
    positions = rng.uniform(-1, 1, size=(40, 2))
    sets = [list(range(i, i + 4)) for i in range(0, 40, 4)]
    annotators, choices = simulate_value_choices(positions, sets, n_annotators=400, sharpness=4.0, random_state=3)
    ideals = annotators[["ideal_traditional_secular", "ideal_survival_self_expression"]].to_numpy()[choices["annotator"]]
    offered = np.array(sets)[choices["set"]]
    correct = oracle_correct(ideals, positions, offered, choices["chosen"].to_numpy())
    logits = -4.0 * ((positions[offered] - ideals[:, None, :]) ** 2).sum(-1)
    expected = (np.exp(logits.max(1)) / np.exp(logits).sum(1)).mean()
    assert abs(correct.mean() - expected) < 3 * correct.std() / np.sqrt(len(correct))
    assert 0.25 < expected < 0.95  # neither chance nor certain: the check has power


def test_oracle_accuracy_breaks_ties_at_random_and_skips_padding():
    positions = np.array([[0.5, 0.5], [0.5, 0.5], [-0.5, -0.5]])
    offered = np.array([[0, 1, 2], [2, 0, -1]])
    got = oracle_correct(np.array([[0.6, 0.6], [0.6, 0.6]]), positions, offered, np.array([1, 1]))
    assert got.tolist() == [0.5, 1.0]


def test_pairwise_distance_matches_scipy():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(5, 8))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    assert mean_pairwise_distance(v) == pytest.approx(pdist(v, "cosine").mean())
    assert mean_pairwise_distance(np.eye(4)) == pytest.approx(1.0)
    assert mean_pairwise_distance(np.ones((3, 2)) / np.sqrt(2)) == pytest.approx(0.0)
    assert mean_pairwise_distance(np.eye(1)) == 0.0


def test_vendi_score_counts_effectively_distinct_items():
    assert vendi_score(np.eye(4)) == pytest.approx(4.0)
    assert vendi_score(np.ones((4, 3)) / np.sqrt(3)) == pytest.approx(1.0)
    two_pairs = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float)
    assert vendi_score(two_pairs) == pytest.approx(2.0)


def test_distinct_n():
    assert distinct_n(["a b a b"], 1) == pytest.approx(2 / 4)
    assert distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)
    assert distinct_n(["Yes", "yes"], 1) == pytest.approx(1 / 2)
    assert distinct_n(["one"], 2) == 0.0


def test_set_diversity_by_set():
    sets = pd.DataFrame({"set_id": ["x", "x", "y", "y"], "text": ["a b", "c d", "a b", "a b"],
                         "traditional_secular": [-1, 1, 0.5, 0.5], "survival_self_expression": [0, 0, 0, 0]})
    vectors = np.array([[1, 0], [0, 1], [1, 0], [1, 0]], dtype=float)
    got = set_diversity(sets, vectors).set_index("set_id")
    assert got.loc["x", "pairwise_distance"] == pytest.approx(1) and got.loc["y", "pairwise_distance"] == pytest.approx(0)
    assert got.loc["x", "vendi"] == pytest.approx(2) and got.loc["y", "vendi"] == pytest.approx(1)
    assert got.loc["x", "distinct_1"] == 1 and got.loc["y", "distinct_1"] == 0.5
    assert got.loc["x", "spread_traditional_secular"] == pytest.approx(1) and got.loc["y", "spread_traditional_secular"] == 0


def test_people_against_models():
    choices = pd.DataFrame({"annotator": [0, 0, 1, 1, 2, 2],
                            "traditional_secular": [0.5, 0.7, -0.4, -0.6, 0.2, 0.4],
                            "survival_self_expression": [0.5, 0.3, 0.2, 0.4, -0.6, -0.2]})
    people = annotator_positions(choices, seed=0).set_index("annotator")
    assert people.loc[0, "traditional_secular"] == pytest.approx(0.6)
    assert people.loc[0, "traditional_secular_low"] <= 0.6 <= people.loc[0, "traditional_secular_high"]
    models = pd.DataFrame({"traditional_secular": [0.3, 0.5], "survival_self_expression": [0.2, 0.4]})
    got = humans_versus_models(people, models)
    assert got["quadrant_match"] == pytest.approx(1 / 3)  # only annotator 0 sits in the models' (+, +) quadrant
    expected = np.var(people["traditional_secular"]) / np.var(models["traditional_secular"])
    assert got["variance_ratio_traditional_secular"] == pytest.approx(expected)


def test_placement_accuracy_from_placed_responses():
    placed = pd.DataFrame({"axis": ["traditional_secular"] * 3 + ["survival_self_expression"],
                           "language": ["en", "en", "de", "en"], "pole": [-1, 1, 1, -1],
                           "traditional_secular": [-0.2, -0.1, 0.3, 0.9], "survival_self_expression": [0.5, 0.5, 0.5, -0.4]})
    got = pole_accuracy(placed).set_index(["axis", "language"])
    assert got.loc[("traditional_secular", "en"), "accuracy"] == 0.5
    assert got.loc[("traditional_secular", "de"), "accuracy"] == 1.0
    assert got.loc[("survival_self_expression", "en"), "accuracy"] == 1.0
    assert got.loc[("all", "all"), ["accuracy", "n"]].tolist() == [0.75, 4]
