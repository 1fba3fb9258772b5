"""Evaluation: splits, calibration, per-group metrics and the unseen-annotator learning curve."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from pluralign.embed import SentenceEmbedder
from pluralign.learn import BradleyTerry, IdealPoint, MixtureBradleyTerry
from pluralign.data.choices import Choices
from pluralign.estimators.evaluate import (accuracy_gain, evaluate, expected_calibration_error,
                                            in_last_conversations, resampled_unit, split_choices, unseen_learning_curve)
from pluralign.estimators.features import comparison_choices
from pluralign.simulate import simulate_population


@pytest.fixture(scope="module")
def split():
    """A Community Alignment-shaped population: 200 people, each with ten conversations of four turns, each
    conversation opened by a prompt about ten people see."""
    pop = simulate_population(n_annotators=200, comparisons_per_annotator=40, random_state=1)
    return split_choices(pop.choices, test_share=0.25, prompt_share=0.2, unseen_share=0.2, random_state=0)


def test_no_conversation_prompt_or_person_is_in_both_training_and_a_held_out_split(split):
    # The old split (the last quarter of each person's comparisons) put 160 of its 480 test conversations in
    # training too (turns 1-2 trained on, turns 3-4 tested) and 175 of its 176 prompts.
    train = split.train
    for held in (split.conversations, split.prompts, split.unseen):
        assert not set(train.conversation) & set(held.conversation)
    assert not set(train.prompt) & set(split.prompts.prompt)
    assert not set(train.annotator) & set(split.unseen.annotator)
    assert set(split.conversations.annotator) <= set(train.annotator)  # seen people, unseen conversations
    sizes = [len(split.train), len(split.conversations), len(split.prompts), len(split.unseen)]
    assert sum(sizes) == 200 * 40 and min(sizes) > 0
    assert len(split.unseen) == 40 * 40  # a fifth of the people, every comparison of theirs
    assert len(set(split.prompts.prompt)) == 40  # a fifth of the 200 prompts, each answered by someone seen


def test_a_comparison_table_is_split_by_its_conversations_and_opening_prompts():
    """Six people, four two-turn conversations each, opened by one of three prompts that several people see."""
    rows = []
    for person in range(6):
        for c in range(4):
            context = [{"role": "user", "content": f"Should I tell my friend the truth, case {(person + c) % 3}?"}]
            for turn in (1, 2):
                rows.append({"conversation_id": f"p{person}-c{c}", "annotator_id": f"p{person}", "context": context,
                             "candidates": ["Yes, honesty matters.", "No, spare their feelings."],
                             "chosen": person % 2, "language": "en"})
                context = [*context, {"role": "assistant", "content": "Yes."}, {"role": "user", "content": "Why?"}]
    choices = comparison_choices(pd.DataFrame(rows), SentenceEmbedder(cache=None))
    assert choices.prompt.tolist() == [r["context"][0]["content"] for r in rows]
    assert choices.conversation.tolist() == [r["conversation_id"] for r in rows]
    split = split_choices(choices, test_share=0.25, prompt_share=1 / 3, unseen_share=1 / 6, random_state=0)
    assert min(len(split.conversations), len(split.prompts), len(split.unseen)) > 0
    for held in (split.conversations, split.prompts, split.unseen):
        assert not set(split.train.conversation) & set(held.conversation)
    assert not set(split.train.prompt) & set(split.prompts.prompt)


def test_calibration_error_on_known_cases():
    assert expected_calibration_error(np.full(100, 1.0), np.r_[np.ones(50), np.zeros(50)]) == pytest.approx(0.5)
    assert expected_calibration_error(np.full(100, 0.75), np.r_[np.ones(75), np.zeros(25)]) == pytest.approx(0.0)


def test_metrics_table_has_groups_worst_group_and_calibration(split):
    table = evaluate(MixtureBradleyTerry(n_types=4).fit(split.train), split.conversations, n_boot=200)
    groups = table[(table.metric == "accuracy") & (table.grouping == "group") & ~table.group.isin(["gap", "ratio"])]
    worst = table[table.metric == "worst_group_accuracy"].iloc[0]
    assert worst["value"] == pytest.approx(groups["value"].min())
    assert worst["group"] == groups.loc[groups["value"].idxmin(), "group"]
    assert worst["ci_low"] <= worst["value"] <= worst["ci_high"]
    assert (groups["ci_low"] <= groups["value"]).all() and (groups["value"] <= groups["ci_high"]).all()
    assert 0 <= table[table.metric == "ece"]["value"].iloc[0] < 0.2


def test_choices_of_one_annotator_resample_prompts_and_have_no_groups(split):
    """Without people (a file without annotator ids is one anonymous annotator) a person-resampled interval is
    (-inf, inf); prompts are resampled instead, and there is no group to find the worst of."""
    model = BradleyTerry().fit(split.train)
    held = replace(split.prompts, annotator=np.full(len(split.prompts), "anonymous"), group=None)
    assert resampled_unit(split.prompts) == "people" and resampled_unit(held) == "prompts"
    assert resampled_unit(replace(held, prompt=None)) == "conversations"
    table = evaluate(model, held, n_boot=200, resampled="prompts")
    assert set(table["grouping"]) == {"overall"} and "worst_group_accuracy" not in set(table["metric"])
    accuracy = table.set_index("metric").loc["accuracy"]
    assert np.isfinite([accuracy["ci_low"], accuracy["ci_high"]]).all()
    assert accuracy["ci_low"] < accuracy["value"] < accuracy["ci_high"] and accuracy["n"] == len(held)
    by_person = evaluate(model, held, n_boot=200).set_index("metric").loc["accuracy"]
    assert by_person["value"] == accuracy["value"] and np.isinf(by_person["ci_high"])


def test_a_group_of_one_never_becomes_the_worst_group(split):
    model = MixtureBradleyTerry(n_types=4).fit(split.train)
    test = split.conversations
    wrong = int(np.flatnonzero(model.predict_proba(test).argmax(1) != test.chosen)[0])
    group = test.group.astype(object)
    group[wrong] = "one person, one choice"  # accuracy 0.0 on n=1: the old worst group (0.0 [0.0, 0.0], n=1)
    table = evaluate(model, replace(test, group=group), n_boot=200, min_n=20)
    groups = table[(table.metric == "accuracy") & (table.grouping == "group") & ~table.group.isin(["gap", "ratio"])]
    worst = table[table.metric == "worst_group_accuracy"].iloc[0]
    assert groups.set_index("group").loc["one person, one choice", "value"] == 0.0
    eligible = groups[groups["n"] >= 20]
    assert worst["group"] == eligible.loc[eligible["value"].idxmin(), "group"] and worst["n"] >= 20
    assert worst["value"] == pytest.approx(eligible["value"].min())


def test_learning_curve_rises_with_shots_for_adaptive_models(split):
    model = IdealPoint(n_prototypes=4).fit(split.train)
    curve = unseen_learning_curve(model, split.unseen, shots=(0, 5, 10, 20))
    assert curve["shots"].tolist() == [0, 5, 10, 20]
    assert curve["n"].nunique() == 1
    assert curve["accuracy"].iloc[2] > curve["accuracy"].iloc[0] + 0.1
    baseline = BradleyTerry().fit(split.train).score(split.unseen)
    assert curve["accuracy"].iloc[-1] > baseline


def test_the_learning_curve_has_intervals_and_counts_people_not_comparisons(split):
    """Before, each point was a bare accuracy whose n counted the 400 scored comparisons of the 40 unseen people."""
    curve = unseen_learning_curve(IdealPoint(n_prototypes=4).fit(split.train), split.unseen, shots=(0, 5), n_boot=200)
    assert curve["n"].tolist() == [len(np.unique(split.unseen.annotator))] * 2 == [40, 40]
    assert (curve["comparisons"] > curve["n"]).all()
    assert (curve["ci_low"] < curve["accuracy"]).all() and (curve["accuracy"] < curve["ci_high"]).all()


class _Known:
    """A stand-in model that is right on exactly the comparisons its feature column marks (1 on the chosen one)."""

    def __init__(self, column: int) -> None:
        self.column = column

    def predict_proba(self, choices: Choices) -> np.ndarray:
        scores = choices.features[choices.candidates, self.column] + 0.25
        return scores / scores.sum(axis=1, keepdims=True)


def _two_models_on_crossed_choices(seed: int, people: int = 40, prompts: int = 10) -> Choices:
    """Every person answers every prompt once. Both models find some people and prompts harder (shared effects);
    the estimator beats the shared reward by 0.05 in the population, by more for some people and prompts."""
    rng = np.random.default_rng(seed)
    person, prompt = np.meshgrid(np.arange(people), np.arange(prompts), indexing="ij")
    person, prompt = person.ravel(), prompt.ravel()
    hard = rng.uniform(-0.1, 0.1, people)[person] + rng.uniform(-0.1, 0.1, prompts)[prompt]
    gain = rng.uniform(-0.05, 0.05, people)[person] + rng.uniform(-0.05, 0.05, prompts)[prompt]
    draw = rng.uniform(size=len(person))
    right = np.column_stack([draw < 0.65 + hard + 0.05 + gain, draw < 0.65 + hard]).astype(float)
    features = np.empty((2 * len(person), 2))
    features[0::2], features[1::2] = right, 1 - right  # the chosen candidate, then the other
    return Choices(features, np.arange(2 * len(person)).reshape(-1, 2), np.zeros(len(person), dtype=int),
                   person, prompt=prompt)


def test_accuracy_gain_is_the_paired_difference_and_its_interval_covers_the_true_gain():
    """100 seeded populations of 40 people × 10 prompts: the interval of the estimator's accuracy minus the shared
    reward's, resampling people and prompts crossed, covers the true gain of 0.05 in at least 95% of them (measured
    over 200: 100%, the crossed bootstrap being conservative). The two accuracies' own intervals, what learn showed
    before, overlapped in all 200."""
    covered = []
    for seed in range(100):
        choices = _two_models_on_crossed_choices(seed)
        row = accuracy_gain(_Known(0), _Known(1), choices, n_boot=400, seed=seed).iloc[0]
        assert row["value"] == pytest.approx(choices.features[0::2, 0].mean() - choices.features[0::2, 1].mean())
        covered.append(row["ci_low"] <= 0.05 <= row["ci_high"])
    assert np.mean(covered) >= 0.95


def test_people_with_one_conversation_give_no_learning_curve_and_say_so():
    # A person's only conversation is never held out, so there is nothing to score a curve on: before, the curve
    # came back with accuracy NaN and n = 0 at every point, silently.
    pop = simulate_population(n_annotators=20, comparisons_per_annotator=4, random_state=0)
    split = split_choices(pop.choices, random_state=0)
    assert len(split.conversations) == 0 and len(split.unseen) > 0
    model = IdealPoint(n_prototypes=2, random_state=0).fit(split.train)
    with pytest.warns(UserWarning, match="second conversation"):
        curve = unseen_learning_curve(model, split.unseen)
    assert curve.empty


def test_held_out_prompts_are_drawn_from_those_the_seen_people_answered():
    pop = simulate_population(n_annotators=200, comparisons_per_annotator=40, random_state=1)
    split = split_choices(pop.choices, prompt_share=0.2, unseen_share=0.2, random_state=0)
    seen_prompts = np.unique(pop.choices.prompt[~np.isin(pop.choices.annotator, np.unique(split.unseen.annotator))])
    assert len(np.unique(split.prompts.prompt)) == int(np.floor(0.2 * len(seen_prompts) + 0.5))


def test_intervals_on_held_out_prompts_resample_the_prompts_too(split):
    """One held-out prompt, answered by many people, says nothing about how accurate the model is on new prompts:
    resampling people alone gave [0.22, 0.53] here (64 comparisons by 12 people, before people and prompts were
    crossed); crossed with prompts the interval is unbounded."""
    model = BradleyTerry().fit(split.train)
    prompts = split.prompts
    one = prompts.subset(prompts.prompt == pd.Series(prompts.prompt).value_counts().index[0])
    overall = lambda table: table[(table.metric == "accuracy") & (table.grouping == "overall")].iloc[0]  # noqa: E731
    crossed = overall(evaluate(model, one, n_boot=200))
    people = overall(evaluate(model, replace(one, prompt=None), n_boot=200))  # no prompts known: people alone
    assert (crossed["ci_low"], crossed["ci_high"]) == (-np.inf, np.inf)
    assert np.isfinite([people["ci_low"], people["ci_high"]]).all()


def test_the_held_out_conversations_are_each_persons_last_whole_ones_and_never_their_first():
    """``in_last_conversations``, the test rows of the learning curve and of ``replay``: half of three conversations
    rounds up to two, of two to one, and a person with one keeps it for training."""
    annotator = np.array(["a"] * 5 + ["b"] * 2 + ["c"])
    conversation = np.array([1, 1, 2, 3, 3, 4, 5, 6])
    choices = Choices(np.eye(2), np.tile([0, 1], (8, 1)), np.zeros(8, dtype=int), annotator, conversation=conversation)
    held = in_last_conversations(choices, share=0.5)
    assert held.tolist() == [False, False, True, True, True, False, True, False]
