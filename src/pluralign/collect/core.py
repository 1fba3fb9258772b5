"""Pure parts of collection: which prompt a person gets next, which answers of a pool they see and in what order, and
the admin page's measures (agreement where people saw the same set, effort flags). No database, no model."""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np


def next_prompt(prompts: Sequence[tuple[str, bool]], people_per_prompt: dict[str, int], done: set[str],
                min_people: int) -> str | None:
    """The next prompt for a person who has answered ``done``: the shared prompts first, in order; then a prompt
    still short of ``min_people`` (the one closest to it, so overlap sets fill up), then the least answered one."""
    for prompt_id, shared in prompts:
        if shared and prompt_id not in done:
            return prompt_id
    open_ = [(i, p) for i, (p, shared) in enumerate(prompts) if not shared and p not in done]
    if not open_:
        return None
    def rank(item: tuple[int, str]) -> tuple:
        i, p = item
        n = people_per_prompt.get(p, 0)
        return (n >= min_people, -n if n < min_people else n, i)
    return min(open_, key=rank)[1]


def shown_order(seed: int, person_id: int, set_id: int, k: int) -> list[int]:
    """The order a person sees a set's k candidates in: random, but the same on every reload (a page refresh must
    not move the answer someone was about to click)."""
    digest = hashlib.sha256(f"{seed}:{person_id}:{set_id}".encode()).digest()
    order = list(range(k))
    random.Random(digest).shuffle(order)
    return order


def shown_subset(n: int, k: int, rng: np.random.Generator) -> tuple[list[int], float]:
    """Which k of a set's n answers a person is shown when the rule chose only the prompt: a uniform random k
    (ascending), with the probability of drawing exactly them, 1 / C(n, k); all n, with probability 1, when n ≤ k."""
    if n <= k:
        return list(range(n)), 1.0
    return sorted(int(i) for i in rng.choice(n, size=k, replace=False)), 1 / math.comb(n, k)


def screen_order(seed: int, person_id: int, set_id: int, shown: Sequence[int]) -> list[int]:
    """The indices of the answers ``shown`` (of a set's pool) in the order the person sees them (``shown_order``)."""
    return [shown[i] for i in shown_order(seed, person_id, set_id, len(shown))]


@dataclass(frozen=True)
class EffortRule:
    """When a person's choices look like low effort: a median time per task under ``min_seconds``, or every one of
    at least ``min_tasks`` choices at the same screen position."""

    min_seconds: float = 4.0
    min_tasks: int = 5


def effort_flags(seconds: Sequence[float | None], positions: Sequence[int], rule: EffortRule = EffortRule()) -> list[str]:
    """The low-effort flags of one person's choices (empty when none applies)."""
    flags = []
    times = [s for s in seconds if s is not None]
    if times and float(np.median(times)) < rule.min_seconds:
        flags.append(f"fast: median {np.median(times):.1f} s per task")
    if len(positions) >= rule.min_tasks and len(set(positions)) == 1:
        flags.append(f"always position {positions[0] + 1}")
    return flags


def pairwise_agreement(chosen_by_set: dict[int, list[int]]) -> tuple[float, int]:
    """Share of pairs of people who saw the same candidate set and chose the same candidate, over every set seen by
    two or more people; with the number of such pairs. NaN when there are none."""
    same = pairs = 0
    for chosen in chosen_by_set.values():
        n = len(chosen)
        pairs += n * (n - 1) // 2
        same += sum(c * (c - 1) // 2 for c in Counter(chosen).values())
    return (same / pairs if pairs else float("nan")), pairs
