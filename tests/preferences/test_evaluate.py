"""Evaluation: splits, calibration, per-group metrics and the unseen-annotator learning curve."""

from __future__ import annotations

import numpy as np
import pytest

from pluralign.preferences import BradleyTerry, IdealPoint, MixtureBradleyTerry
from pluralign.preferences.evaluate import evaluate, expected_calibration_error, split_choices, unseen_learning_curve
from pluralign.simulate import simulate_population


@pytest.fixture(scope="module")
def split():
    pop = simulate_population(n_annotators=200, comparisons_per_annotator=40, random_state=1)
    return split_choices(pop.choices, test_share=0.25, unseen_share=0.2, random_state=0)


def test_split_keeps_unseen_people_out_of_training(split):
    assert not set(split.train.annotator) & set(split.unseen.annotator)
    assert set(split.test.annotator) == set(split.train.annotator)
    assert len(split.unseen) == 40 * 40 and len(split.test) == 160 * 10 and len(split.train) == 160 * 30


def test_calibration_error_on_known_cases():
    assert expected_calibration_error(np.full(100, 1.0), np.r_[np.ones(50), np.zeros(50)]) == pytest.approx(0.5)
    assert expected_calibration_error(np.full(100, 0.75), np.r_[np.ones(75), np.zeros(25)]) == pytest.approx(0.0)


def test_metrics_table_has_groups_worst_group_and_calibration(split):
    table = evaluate(MixtureBradleyTerry(n_types=4).fit(split.train), split.test, n_boot=200)
    groups = table[(table.metric == "accuracy") & (table.grouping == "group") & ~table.group.isin(["gap", "ratio"])]
    worst = table[table.metric == "worst_group_accuracy"].iloc[0]
    assert worst["value"] == pytest.approx(groups["value"].min())
    assert worst["group"] == groups.loc[groups["value"].idxmin(), "group"]
    assert (groups["ci_low"] <= groups["value"]).all() and (groups["value"] <= groups["ci_high"]).all()
    assert 0 <= table[table.metric == "ece"]["value"].iloc[0] < 0.2


def test_learning_curve_rises_with_shots_for_adaptive_models(split):
    model = IdealPoint(n_prototypes=4).fit(split.train)
    curve = unseen_learning_curve(model, split.unseen, shots=(0, 5, 10, 20))
    assert curve["shots"].tolist() == [0, 5, 10, 20]
    assert curve["n"].nunique() == 1
    assert curve["accuracy"].iloc[2] > curve["accuracy"].iloc[0] + 0.1
    baseline = BradleyTerry().fit(split.train).score(split.unseen)
    assert curve["accuracy"].iloc[-1] > baseline
