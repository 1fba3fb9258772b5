"""The assignment rule of a study, pure: the overlap guarantees first, then (after the warm-up, in an active study)
the prompt whose answer tells the types apart, each with why and the probability it was drawn with."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from pluralign.collect.active import ActiveFit, Rule, assign, gathered, person_weights, pool_tasks, uncertainty

# Two types. On "split" each type wants its own answer; on "same" both want answer 0; "flat" offers two answers only.
REWARDS = {"split": [[3.0, 0.0], [0.0, 3.0], [0.0, 0.0]],
           "same": [[3.0, 3.0], [0.0, 0.0], [0.0, 0.0]],
           "flat": [[1.0, 1.0], [0.0, 0.0], [np.nan, np.nan]]}
FIT = ActiveFit(1, "entropy", np.eye(2), np.log([0.5, 0.5]), {p: i for i, p in enumerate(REWARDS)},
                np.array(list(REWARDS.values())))
PROMPTS = [("shared", True), ("same", False), ("split", False), ("flat", False)]
FULL = {"shared": 5, "same": 2, "split": 2, "flat": 2}  # every prompt has its least people
ACTIVE = Rule(active=True, warmup=1, epsilon=0.0, min_people=2)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_a_persons_first_conversations_are_a_warm_up_on_the_shared_prompts():
    assert assign(ACTIVE, PROMPTS, FULL, set(), FIT, [], rng()) == ("shared", "warm-up", 1.0, None)


def test_after_the_warm_up_a_shared_prompt_not_yet_answered_is_a_guarantee():
    rule = Rule(active=True, warmup=0, epsilon=0.0, min_people=2)
    assert assign(rule, PROMPTS, FULL, set(), FIT, [], rng()) == ("shared", "guarantee", 1.0, None)


def test_after_the_warm_up_an_active_study_asks_the_prompt_that_tells_the_types_apart():
    assert assign(ACTIVE, PROMPTS, FULL, {"shared"}, FIT, [], rng()) == ("split", "active", 1.0, [0, 1, 2])


def test_a_prompt_short_of_its_least_people_comes_before_any_other_even_in_an_active_study():
    short = {**FULL, "same": 1}
    assert assign(ACTIVE, PROMPTS, short, {"shared"}, FIT, [], rng()) == ("same", "guarantee", 1.0, [0, 1, 2])


def test_a_random_study_or_one_not_yet_fitted_follows_the_fixed_design():
    random_rule = Rule(active=False, warmup=1, epsilon=0.1, min_people=2)
    assert assign(random_rule, PROMPTS, FULL, {"shared"}, FIT, [], rng()) == ("same", "design", 1.0, None)
    assert assign(ACTIVE, PROMPTS, FULL, {"shared"}, None, [], rng()) == ("same", "design", 1.0, None)
    assert assign(ACTIVE, PROMPTS, FULL, {p for p, _ in PROMPTS}, FIT, [], rng()) is None  # all answered


def test_each_prompt_is_drawn_as_often_as_the_probability_the_rule_records():
    rule = Rule(active=True, warmup=0, epsilon=0.3, min_people=2)
    draws = [assign(rule, PROMPTS, FULL, {"shared"}, FIT, [], rng(seed)) for seed in range(3000)]
    recorded = {prompt: probability for prompt, _, probability, _ in draws}
    assert recorded == pytest.approx({"split": 0.3 / 3 + 0.7, "same": 0.1, "flat": 0.1})
    assert {why for _, why, *_ in draws} == {"active", "random"}
    for prompt, probability in recorded.items():
        seen = sum(p == prompt for p, *_ in draws)
        assert binom.ppf(0.0005, 3000, probability) <= seen <= binom.ppf(0.9995, 3000, probability)


def test_a_persons_answers_make_their_type_more_certain():
    prior = uncertainty(FIT, person_weights(FIT, []))
    assert prior == pytest.approx(np.log(2))
    weights = person_weights(FIT, [("split", 1, [0, 1, 2]), ("unknown prompt", 0, [0, 1])])  # a prompt the fit has not seen is left out
    assert weights[1] > 0.9 and uncertainty(FIT, weights) < prior / 2


def test_ideal_point_uncertainty_is_the_posterior_variance_of_the_mix():
    fit = ActiveFit(1, "variance", np.array([[1.0, 0.0], [0.0, 1.0]]), np.log([0.5, 0.5]), FIT.prompts, FIT.rewards)
    assert uncertainty(fit, np.array([0.5, 0.5])) == pytest.approx(0.5)
    assert uncertainty(fit, np.array([1.0, 0.0])) == pytest.approx(0.0)


def test_a_fit_reads_back_from_its_json_with_the_missing_answers_still_missing():
    back = ActiveFit.from_payload(7, FIT.payload())
    assert back.id == 7 and back.target == FIT.target and back.prompts == FIT.prompts
    np.testing.assert_array_equal(back.rewards, FIT.rewards)  # NaN where "flat" offers two answers
    np.testing.assert_array_equal(back.points, FIT.points)
    np.testing.assert_array_equal(back.log_prior, FIT.log_prior)


# A pool of four answers, two of them shown. On "wide" answers 0 and 1 tell the types apart and 2, 3 say nothing; on
# "narrow" every answer is the same to both types.
POOL = ActiveFit(2, "entropy", np.eye(2), np.log([0.5, 0.5]), {"wide": 0, "narrow": 1},
                 np.array([[[3.0, 0.0], [0.0, 3.0], [0.0, 0.0], [0.0, 0.0]], [[1.0, 1.0]] * 4]), k=2)
POOL_PROMPTS = [("shared", True), ("wide", False), ("narrow", False)]
POOL_FULL = {"shared": 5, "wide": 2, "narrow": 2}


def test_a_fits_tasks_are_every_way_to_show_k_of_each_pool_and_a_short_set_whole():
    rewards = np.array([[[1.0], [np.nan], [2.0]], [[1.0], [2.0], [np.nan]]])  # an answer the checks left out: NaN
    rows, shown = pool_tasks(rewards, 2)
    assert rows.tolist() == [0, 1] and shown.tolist() == [[0, 2], [0, 1]]
    rows, shown = pool_tasks(rewards, 3)  # fewer answers than k: the set, padded
    assert shown.tolist() == [[0, 2, -1], [0, 1, -1]]
    assert np.isnan(gathered(rewards, rows, shown)[:, 2]).all()
    assert len(POOL.tasks[0]) == 2 * 6  # C(4, 2) = 6 per prompt


def test_an_active_study_shows_the_answers_of_the_pool_that_tell_the_types_apart():
    assert assign(ACTIVE, POOL_PROMPTS, POOL_FULL, {"shared"}, POOL, [], rng()) == ("wide", "active", 1.0, [0, 1])


def test_each_prompt_and_answers_shown_are_drawn_as_often_as_the_probability_the_rule_records():
    rule = Rule(active=True, warmup=0, epsilon=0.3, min_people=2)
    draws = [assign(rule, POOL_PROMPTS, POOL_FULL, {"shared"}, POOL, [], rng(seed)) for seed in range(3000)]
    recorded = {(prompt, tuple(shown)): probability for prompt, _, probability, shown in draws}
    assert recorded[("wide", (0, 1))] == pytest.approx(0.3 / 12 + 0.7)  # 12 tasks: 2 prompts, 6 pairs each
    assert all(p == pytest.approx(0.3 / 12) for task, p in recorded.items() if task != ("wide", (0, 1)))
    for task, probability in recorded.items():
        seen = sum((p, tuple(s)) == task for p, _, _, s in draws)
        assert binom.ppf(0.0005, 3000, probability) <= seen <= binom.ppf(0.9995, 3000, probability)


def test_a_choice_teaches_what_the_answers_shown_tell_apart_not_the_whole_pool():
    prior = person_weights(POOL, [])
    # answer 2 chosen over 3: neither type prefers either, so nothing is learnt (over the pool it would say much)
    np.testing.assert_allclose(person_weights(POOL, [("wide", 2, [3, 2])]), prior)
    assert person_weights(POOL, [("wide", 1, [0, 1])])[1] > 0.9


def test_a_fit_reads_back_with_its_k():
    back = ActiveFit.from_payload(3, POOL.payload())
    older = {key: value for key, value in FIT.payload().items() if key != "k"}  # a fit from before pools
    assert back.k == 2 and ActiveFit.from_payload(1, older).k is None
    np.testing.assert_array_equal(back.tasks[1], POOL.tasks[1])
