"""Inverse-probability weights of an adaptive design: what they are, and that a weighted fit recovers the
population's reward where the naive fit recovers the design's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pluralign.data.choices import Choices, design_weights
from pluralign.data.comparisons import load_comparisons
from pluralign.data.schema import DatasetError
from pluralign.learn import BradleyTerry, GroupBradleyTerry, IdealPoint, MixtureBradleyTerry

ANSWERS = np.eye(6)  # one-hot answers: a BradleyTerry reward is one number per answer
PROBE, SPLIT, BLAND = [2, 3], [0, 1], [4, 5]


def _adaptive_study(people: int, seed: int, probes: int = 1) -> tuple[Choices, np.ndarray]:
    """Half the people are of type 0 (choose answer 0 over 1, and 2 over 3, nine times in ten), half of type 1 (the
    reverse). Each is asked the probe (2 or 3) ``probes`` times first, then the split task (0 or 1) with probability
    0.9 if they chose 3 the first time and 0.1 if they chose 2, else a bland task: type 1 is asked the split task far
    more often. Their choices and each comparison's recorded probability."""
    rng = np.random.default_rng(seed)
    kind = rng.random(people) < 0.5
    probe = (rng.random((probes, people)) < 0.1) ^ kind  # 1: chose answer 3
    split_probability = np.where(probe[0], 0.9, 0.1)
    asked_split = rng.random(people) < split_probability
    second = np.where(asked_split[:, None], SPLIT, BLAND)
    chosen = np.where(asked_split, (rng.random(people) < 0.1) ^ kind, rng.random(people) < 0.5)
    choices = Choices(ANSWERS, np.concatenate([np.tile(PROBE, (probes * people, 1)), second]),
                      np.concatenate([probe.ravel(), chosen]).astype(int), np.tile(np.arange(people), probes + 1))
    probability = np.concatenate([np.ones(probes * people),
                                  np.where(asked_split, split_probability, 1 - split_probability)])
    return choices, probability


def _share_preferring_0(model: BradleyTerry) -> float:
    """The fitted probability that answer 0 is chosen over answer 1."""
    return float(1 / (1 + np.exp(-(model.coef_[0] - model.coef_[1]))))


def test_weights_recover_the_populations_preference_that_the_naive_fit_misses():
    """Under a uniform design, half the population is asked the split task and 0.5 × 0.9 + 0.5 × 0.1 = 0.5 of them
    prefer answer 0; those the adaptive design asks are 82% type 1, so a naive fit finds 0.18 × 0.9 + 0.82 × 0.1 =
    0.24. Weighted by 1 / probability, the split task's answers count as a uniform sample's. 8,000 people: the
    weighted share's standard error is about 0.013 (Kish's effective size, ~1,400 of the 4,000 split answers), so
    0.05 is four of them."""
    choices, probability = _adaptive_study(8000, seed=0)
    assigned = np.where(np.arange(len(choices)) < 8000, "warm-up", "active")
    naive = _share_preferring_0(BradleyTerry(alpha=1e-4).fit(choices))
    choices.weight = design_weights(probability, assigned)
    weighted = _share_preferring_0(BradleyTerry(alpha=1e-4).fit(choices))
    assert naive == pytest.approx(0.244, abs=0.05)
    assert weighted == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize("make", [lambda: MixtureBradleyTerry(n_types=2, alpha=1e-4),
                                  lambda: IdealPoint(n_prototypes=2, alpha=1e-4)],
                         ids=["mixture", "ideal"])
def test_the_population_choice_a_model_of_types_implies_is_the_populations_where_one_reward_is_the_designs(make):
    """The same design, each person probed twice so their type shows: fitted by likelihood, a mixture or ideal points
    need no weights (the design depends only on observed choices), and the population's choice they imply,
    ``population_proba``, finds the share preferring answer 0 near the population's 0.5 while one BradleyTerry on the
    same choices finds the design's 0.24. 1,000 people; measured with seeds 0-3 (1,000 and 2,000 people, 2-4 probes):
    the mixture 0.47-0.54, ideal points 0.47-0.57 (their mixes shrink toward the mean), one reward 0.23-0.29; this
    seed 0.490, 0.528 and 0.250. 2-4 s of CPU for ideal points on a loaded 2-core machine, under 1 for the mixture."""
    choices, _ = _adaptive_study(1000, seed=0, probes=2)
    split = Choices(ANSWERS, [SPLIT], [0], ["someone"])
    assert BradleyTerry(alpha=1e-4).fit(choices).predict_proba(split)[0, 0] == pytest.approx(0.244, abs=0.06)
    assert make().fit(choices).population_proba(split)[0, 0] == pytest.approx(0.5, abs=0.08)


def test_design_weights_are_inverse_probabilities_normalised_within_each_reason():
    weights = design_weights([0.5, 0.1, 0.05, 1.0, 1 / 6, None, np.nan],
                             ["active", "random", "active", "warm-up", "design", "active", None])
    # the active rule's rows (active and random) are one stratum: 2, 10, 20 over their mean 32 / 3
    np.testing.assert_allclose(weights, [6 / 32, 30 / 32, 60 / 32, 1, 1, 1, 1])
    # a known reference design: its probability over the design's, 0.5 and 1, over their mean 0.75
    np.testing.assert_allclose(design_weights([0.2, 0.8], reference=[0.1, 0.8]), [2 / 3, 4 / 3])
    with pytest.raises(ValueError, match="row 2: probability 0.0 is not in"):
        design_weights([0.5, 0.0])


@pytest.mark.parametrize("make", [lambda: BradleyTerry(), lambda: GroupBradleyTerry(),
                                  lambda: MixtureBradleyTerry(n_types=2, n_init=1, n_iter=20)])
def test_a_comparison_of_weight_two_fits_as_that_comparison_asked_twice(make):
    choices, _ = _adaptive_study(60, seed=1)
    choices.group = np.where(choices.annotator % 2 == 0, "a", "b")
    twice = np.arange(len(choices)) % 3 == 0
    doubled = choices.subset(np.concatenate([np.arange(len(choices)), np.flatnonzero(twice)]))
    choices.weight = np.where(twice, 2.0, 1.0)
    np.testing.assert_allclose(make().fit(choices).coef_, make().fit(doubled).coef_, atol=1e-6)


def test_a_weight_below_zero_names_its_row():
    with pytest.raises(DatasetError, match="row 2.*weight"):
        Choices(ANSWERS, [[0, 1], [2, 3]], [0, 1], [0, 0], weight=[1.0, -1.0])


def test_a_comparisons_file_keeps_its_design_and_names_a_bad_probability(tmp_path):
    rows = [{"annotator_id": "a", "context": "q", "candidates": ["x", "y"], "chosen": 0, "assigned": "active",
             "probability": 0.25},
            {"annotator_id": "a", "context": "q2", "candidates": ["x", "y"], "chosen": 1, "assigned": "warm-up",
             "probability": None}]
    path = tmp_path / "c.jsonl"
    pd.DataFrame(rows).to_json(path, orient="records", lines=True)
    comparisons, _ = load_comparisons(path)
    assert comparisons["assigned"].tolist() == ["active", "warm-up"]
    assert comparisons["probability"].iloc[0] == 0.25 and np.isnan(comparisons["probability"].iloc[1])
    rows[1]["probability"] = 1.5
    pd.DataFrame(rows).to_json(path, orient="records", lines=True)
    with pytest.raises(DatasetError, match="probability 1.5 is not a number in \\(0, 1\\]") as error:
        load_comparisons(path)
    assert error.value.row == 2 and error.value.column == "probability"


def test_learn_weighs_a_comparisons_export_by_its_recorded_probabilities_when_asked(tmp_path):
    from pluralign.learn.job import LearnConfig, load_choices

    path = tmp_path / "export.jsonl"
    pd.DataFrame([{"annotator_id": "a", "context": "Which is kinder?", "candidates": ["Say it gently.", "Say nothing."],
                   "chosen": 0, "assigned": assigned, "probability": p}
                  for assigned, p in (("active", 0.5), ("random", 0.125), ("warm-up", 1.0))]
                 ).to_json(path, orient="records", lines=True)
    weighted = load_choices(LearnConfig(data=f"comparisons:{path}", design_weights=True)).choices
    np.testing.assert_allclose(weighted.weight, [0.4, 1.6, 1.0])  # 2 and 8 over their mean 5; warm-up alone
    assert load_choices(LearnConfig(data=f"comparisons:{path}")).choices.weight is None  # off unless asked


def _active_export(path, people: int = 15, prompts: int = 6) -> None:
    """A comparisons export of an active study: each person chose between two answers to each of ``prompts``
    prompts (one conversation each), the first two as the warm-up, the rest assigned by the rule (active, every
    fifth random); half the people prefer the first answer nine times in ten, half the second."""
    rng = np.random.default_rng(0)
    pd.DataFrame([{"annotator_id": f"p{a}", "context": f"What should I say about {topic}?",
                   "candidates": [f"Be frank about {topic}.", f"Be gentle about {topic}."],
                   "chosen": int((rng.random() < 0.1) ^ (a % 2 == 1)),
                   "assigned": "warm-up" if i < 2 else "random" if (a + i) % 5 == 0 else "active",
                   "probability": 1.0 if i < 2 else 0.5}
                  for a in range(people) for i, topic in enumerate(["work", "money", "health", "family", "friends",
                                                                    "school"][:prompts])]
                 ).to_json(path, orient="records", lines=True)


def test_learn_on_an_active_study_shows_the_population_choice_and_warns_that_one_reward_is_the_designs(tmp_path):
    from pluralign.learn.job import LearnConfig, run_learn

    path = tmp_path / "export.jsonl"
    _active_export(path)
    run_learn(LearnConfig(data=f"comparisons:{path}", estimator="mixture", k=2), tmp_path / "mixture")
    metrics = pd.read_parquet(tmp_path / "mixture" / "metrics.parquet")
    accuracy = metrics[(metrics.metric == "accuracy") & (metrics.grouping == "overall")].set_index(["model", "split"])
    population = "MixtureBradleyTerry (population)"
    assert set(accuracy.loc[population].index) == set(accuracy.loc["MixtureBradleyTerry"].index)
    # a mixture predicts a person it never saw by the population's choice: the two agree on unseen people
    assert (accuracy.loc[(population, "unseen people, 0-shot"), "value"]
            == accuracy.loc[("MixtureBradleyTerry", "unseen people, 0-shot"), "value"])
    ruled = (pd.read_json(path, lines=True)["assigned"] != "warm-up").sum()
    with pytest.warns(UserWarning, match=f"{ruled} comparisons were assigned by an active rule.*the design's"):
        run_learn(LearnConfig(data=f"comparisons:{path}", estimator="bt"), tmp_path / "bt")
