"""The pure parts of collection, against hand counts and simulation."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np

from scipy.stats import binom

from pluralign.collect.core import effort_flags, next_prompt, pairwise_agreement, screen_order, shown_order, shown_subset


def test_next_prompt_gives_shared_prompts_first_then_fills_prompts_to_min_people():
    prompts = [("s", True), ("a", False), ("b", False), ("c", False)]
    assert next_prompt(prompts, {}, set(), 2) == "s"
    assert next_prompt(prompts, {"a": 1}, {"s"}, 2) == "a"  # a is one person short of its overlap set
    assert next_prompt(prompts, {"a": 2, "b": 0, "c": 1}, {"s"}, 2) == "c"
    assert next_prompt(prompts, {"a": 3, "b": 2, "c": 2}, {"s"}, 2) == "b"  # all full: the least answered, in order
    assert next_prompt(prompts, {}, {"s", "a", "b", "c"}, 2) is None


def test_the_shown_order_is_a_permutation_stable_per_person_and_uniform_over_people():
    assert shown_order(0, 7, 3, 4) == shown_order(0, 7, 3, 4)
    first = Counter(shown_order(0, person, 1, 4)[0] for person in range(4000))
    assert sorted(first) == [0, 1, 2, 3]
    # each candidate comes first for a quarter of people, within 4 standard errors
    assert all(abs(n / 4000 - 0.25) < 4 * np.sqrt(0.25 * 0.75 / 4000) for n in first.values())
    assert all(sorted(shown_order(1, p, s, 3)) == [0, 1, 2] for p, s in itertools.product(range(20), range(5)))


def test_the_answers_shown_of_a_pool_are_each_k_subset_as_often_as_their_recorded_probability():
    draws = [shown_subset(6, 4, np.random.default_rng(seed)) for seed in range(6000)]
    assert {p for _, p in draws} == {1 / 15}  # C(6, 4) = 15 ways to show 4 of 6
    seen = Counter(tuple(shown) for shown, _ in draws)
    assert sorted(seen) == list(itertools.combinations(range(6), 4))  # ascending, distinct, each way drawn
    low, high = binom.ppf(0.0005, 6000, 1 / 15), binom.ppf(0.9995, 6000, 1 / 15)
    assert all(low <= n <= high for n in seen.values())


def test_a_set_no_larger_than_k_is_shown_whole_without_a_draw():
    rng = np.random.default_rng(0)
    assert shown_subset(3, 4, rng) == ([0, 1, 2], 1.0) and shown_subset(4, 4, rng) == ([0, 1, 2, 3], 1.0)
    assert rng.random() == np.random.default_rng(0).random()  # nothing drawn: the generator is untouched


def test_the_screen_order_shows_the_chosen_answers_only_in_the_persons_order():
    assert screen_order(0, 7, 3, range(4)) == shown_order(0, 7, 3, 4)  # a whole set: the order as before pools
    order = screen_order(0, 7, 3, [1, 4, 5])
    assert sorted(order) == [1, 4, 5] and order == [[1, 4, 5][i] for i in shown_order(0, 7, 3, 3)]


def test_effort_flags():
    assert effort_flags([2.0, 3.0, 30.0], [0, 1, 2]) == ["fast: median 3.0 s per task"]
    assert effort_flags([10.0] * 5, [2] * 5) == ["always position 3"]
    assert effort_flags([10.0] * 4, [2] * 4) == []  # too few choices to say
    assert effort_flags([None, None], [0, 1]) == []


def test_pairwise_agreement_counts_pairs_who_saw_the_same_set():
    agreement, pairs = pairwise_agreement({1: [0, 0, 1], 2: [2, 2], 3: [1]})
    assert pairs == 3 + 1 and agreement == (1 + 1) / 4
    assert np.isnan(pairwise_agreement({1: [0]})[0])
    # people choosing at random among 4 agree a quarter of the time
    rng = np.random.default_rng(0)
    chance, _ = pairwise_agreement({s: list(rng.integers(0, 4, 5)) for s in range(2000)})
    assert abs(chance - 0.25) < 0.02
