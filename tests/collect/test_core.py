"""The pure parts of collection, against hand counts and simulation."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np

from pluralign.collect.core import effort_flags, next_prompt, pairwise_agreement, shown_order


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
