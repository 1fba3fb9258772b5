"""Coverage and diversity on hand-built sets whose answers are known; distances against scipy."""

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import pdist

from pluralign.sampling import (annotator_positions, coverage, distinct_n, humans_versus_models, mean_pairwise_distance,
                                pole_accuracy, set_diversity, vendi_score)


def test_coverage_needs_a_response_at_each_pole():
    positions = pd.DataFrame({
        "set_id": ["a", "a", "b", "b", "c", "c"],
        "traditional_secular": [-0.5, 0.5, 0.2, 0.4, -0.9, 0.9],
        "survival_self_expression": [-0.3, 0.3, -0.2, 0.6, 0.1, 0.2],
    })
    got = coverage(positions).set_index("set_id")
    assert got["traditional_secular"].tolist() == [True, False, True]
    assert got["survival_self_expression"].tolist() == [True, True, False]
    assert got["both"].tolist() == [True, False, False]
    assert coverage(positions, margin=0.4).set_index("set_id")["traditional_secular"].tolist() == [True, False, True]


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


def test_judge_accuracy_from_placed_responses():
    placed = pd.DataFrame({"axis": ["traditional_secular"] * 3 + ["survival_self_expression"],
                           "language": ["en", "en", "de", "en"], "pole": [-1, 1, 1, -1],
                           "traditional_secular": [-0.2, -0.1, 0.3, 0.9], "survival_self_expression": [0.5, 0.5, 0.5, -0.4]})
    got = pole_accuracy(placed).set_index(["axis", "language"])
    assert got.loc[("traditional_secular", "en"), "accuracy"] == 0.5
    assert got.loc[("traditional_secular", "de"), "accuracy"] == 1.0
    assert got.loc[("survival_self_expression", "en"), "accuracy"] == 1.0
    assert got.loc[("all", "all"), ["accuracy", "n"]].tolist() == [0.75, 4]
