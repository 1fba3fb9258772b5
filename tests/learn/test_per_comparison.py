"""Per-comparison scoring: ties count as a random pick among the tied, and each comparison keeps its language."""

from __future__ import annotations

import numpy as np
import pytest

from pluralign.learn import BradleyTerry
from pluralign.data.choices import Choices
from pluralign.estimators.evaluate import evaluate, per_comparison


@pytest.fixture(scope="module")
def ranked():
    """A reward fitted on items A > B > C (one-hot features), from 20 choices of each pair."""
    pairs = [[0, 1], [1, 2], [0, 2]] * 20
    return BradleyTerry().fit(Choices(np.eye(3), pairs, np.zeros(len(pairs), dtype=int), np.zeros(len(pairs))))


def test_a_tie_at_the_top_counts_one_over_the_number_tied(ranked):
    # Offering the same item several times makes candidates the model cannot tell apart.
    held = Choices(np.eye(3), [[0, 0, 0, 0], [0, 2, 0, -1], [1, 0, -1, -1]], [0, 2, 0], ["p", "q", "r"])
    correct = per_comparison(ranked, held)["correct"].tolist()
    assert correct == pytest.approx([1 / 4, 1 / 2, 0.0])
    assert ranked.score(held) == pytest.approx(np.mean(correct))  # the estimators' own accuracy agrees


def test_a_model_that_cannot_tell_candidates_apart_is_right_one_time_in_k():
    # TRL pairwise data always has the chosen one first: an argmax over identical features would score 1.0.
    k, n = 4, 30
    same = Choices(np.ones((1, 5)), np.zeros((n, k), dtype=int), np.zeros(n, dtype=int), np.arange(n))
    rows = per_comparison(BradleyTerry().fit(same), same)
    assert rows["correct"].mean() == pytest.approx(1 / k)


def test_each_comparison_keeps_its_language(ranked):
    held = Choices(np.eye(3), [[0, 1], [1, 2]], [0, 0], ["p", "q"], language=["fr", "pt"])
    assert per_comparison(ranked, held)["language"].tolist() == ["fr", "pt"]
    assert per_comparison(ranked, held.subset([1]))["language"].tolist() == ["pt"]


def test_learn_metrics_are_read_per_language(ranked):
    rng = np.random.default_rng(0)
    n = 60
    pairs = rng.permuted(np.tile([0, 1, 2], (n, 1)), axis=1)[:, :2]
    held = Choices(np.eye(3), pairs, rng.integers(0, 2, n), np.arange(n) % 12, language=np.where(np.arange(n) % 3, "fr", "pt"))
    table = evaluate(ranked, held, n_boot=100)
    by_language = table[(table.metric == "accuracy") & (table.grouping == "language")].set_index("group")
    expected = per_comparison(ranked, held).groupby("language")["correct"].agg(["mean", "size"])
    assert by_language.loc[["fr", "pt"], "value"].tolist() == pytest.approx(expected["mean"].tolist())
    assert by_language.loc[["fr", "pt"], "n"].tolist() == expected["size"].tolist()
    assert {"gap", "ratio"} <= set(by_language.index)
    unknown = evaluate(ranked, Choices(np.eye(3), pairs, np.zeros(n, dtype=int), np.arange(n) % 12), n_boot=100)
    assert "language" not in set(unknown.grouping)


def test_non_finite_probabilities_are_refused_not_scored():
    from pluralign.estimators.base import expected_correct

    with pytest.raises(ValueError, match="non-finite"):
        expected_correct(np.array([[0.5, np.nan], [0.2, 0.8]]), np.array([0, 1]))
