"""Replay comparisons already collected as if they had been asked actively: how many choices would active assignment
have saved on this data? (docs/methods.md#active-replay)

Each unseen person's last conversations are held out to score on, as in the learning curve; the rest of their
comparisons are the tasks they could have been asked. ``random`` asks them in a random order; ``active`` asks each
next one by ``acquire`` (with its ε share of random ones), answered by what the person actually chose. After s
choices under each policy the model adapts to them and is scored on the same held-out comparisons.
"""

from __future__ import annotations

from typing import Iterator, NamedTuple, Sequence

import numpy as np
import pandas as pd

from ..data.choices import Choices
from ..metrics import MetricFrame
from ..estimators.acquire import acquire
from ..estimators.pooled import pooled_rewards
from ..estimators.evaluate import in_last_conversations, per_comparison, with_clusters
from ..estimators.latent import SharedRewards

REPLAY_SHOTS = (0, 2, 4, 6, 8, 10, 15, 20)
REPLAY_COLUMNS = ["policy", "shots", "accuracy", "ci_low", "ci_high", "log_loss", "n", "comparisons"]
GAIN = "active − random"  # the paired difference's policy name
POLICIES = ("random", "active", GAIN)


class ReplayDesign(NamedTuple):
    """What ``replay_design`` replayed, per row of its ``pool``: for ``random`` and ``active`` the step at which the
    row is asked of its person (``steps`` or more where it is not asked within ``steps``); the probability with which
    active assignment asked it and the probability a uniformly random order gave it at that step (1 / the tasks
    left), ``design_weights``' ``probability`` and ``reference`` (NaN where active did not ask it within ``steps``);
    and whether active drew it from its ε share of uniformly random tasks (``explored``: the rows the design did not
    choose, an unweighted random sample)."""

    orders: dict[str, np.ndarray]
    probability: np.ndarray
    reference: np.ndarray
    explored: np.ndarray


def replay_orders(model: SharedRewards, pool: Choices, steps: int, epsilon: float = 0.1, seed: int = 0
                  ) -> dict[str, np.ndarray]:
    """For ``random`` and ``active``, (n,) the step at which each row of ``pool`` is asked of its person (a ranking's
    later choices with their comparison), ``steps`` or more where it is not asked within ``steps``."""
    return replay_design(model, pool, steps, epsilon, seed).orders


def replay_design(model: SharedRewards, pool: Choices, steps: int, epsilon: float = 0.1, seed: int = 0
                  ) -> ReplayDesign:
    """``replay_orders``, with what active assignment recorded of each row it asked (``ReplayDesign``)."""
    # two streams: the random orders do not move when the active rule draws more or fewer numbers, so two rules
    # replayed with one seed are compared against the same random curve
    shuffle, rng = (np.random.default_rng([seed, stream]) for stream in (0, 1))
    comparison = pool.comparison
    first = np.flatnonzero(pool.first)
    orders = {"random": np.full(len(first), steps), "active": np.full(len(first), steps)}
    probability, reference = np.full(len(first), np.nan), np.full(len(first), np.nan)
    explored = np.zeros(len(first), dtype=bool)
    rewards = pooled_rewards(model, pool.features, pool.candidates[first])
    for person in pd.unique(pool.annotator):
        tasks = np.flatnonzero(pool.annotator[first] == person)  # this person's comparisons, by number
        orders["random"][tasks] = shuffle.permutation(len(tasks))
        asked = np.zeros(len(tasks), dtype=bool)
        for step in range(min(steps, len(tasks))):
            history = pool.subset(np.isin(comparison, tasks[asked])) if asked.any() else None
            chosen = acquire(model, rewards.subset(tasks), history, available=~asked, epsilon=epsilon, rng=rng)
            probability[tasks[chosen.task]], reference[tasks[chosen.task]] = chosen.probability, 1 / (~asked).sum()
            explored[tasks[chosen.task]] = chosen.explored
            asked[chosen.task] = True
            orders["active"][tasks[chosen.task]] = step
    return ReplayDesign({policy: order[comparison] for policy, order in orders.items()}, probability[comparison],
                        reference[comparison], explored[comparison])


def replay_points(model: SharedRewards, unseen: Choices, shots: Sequence[int] = REPLAY_SHOTS, test_share: float = 0.25,
                  epsilon: float = 0.1, n_boot: int = 1000, seed: int = 0) -> Iterator[dict]:
    """The replay's learning curves (``REPLAY_COLUMNS``), one point at a time: for each number of choices, the
    held-out accuracy of unseen people under random and active assignment, and their paired difference (policy
    ``GAIN``), each with a 95% interval resampling people crossed with prompts. ``n`` counts people. The model's
    adaptation is reset after each point."""
    test_rows = in_last_conversations(unseen, test_share)
    if not test_rows.any():
        return
    test, pool = unseen.subset(test_rows), unseen.subset(~test_rows)
    orders = replay_orders(model, pool, max(shots), epsilon, seed)
    try:
        for s in shots:
            rows = {}
            for policy, order in orders.items():
                model.reset_adaptation().adapt(pool.subset(order < s))
                rows[policy], cluster = with_clusters(per_comparison(model, test), test, "people")
            rows[GAIN] = rows["active"].assign(correct=rows["active"]["correct"] - rows["random"]["correct"],
                                               log_loss=rows["active"]["log_loss"] - rows["random"]["log_loss"])
            for policy, part in rows.items():
                frame = MetricFrame(part.assign(_all="all"), "correct", by="_all", cluster=cluster, n_boot=n_boot,
                                    seed=seed, paired=policy == GAIN)
                accuracy = frame.overall
                yield {"policy": policy, "shots": s, "accuracy": accuracy["value"], "ci_low": accuracy["ci_low"],
                       "ci_high": accuracy["ci_high"], "log_loss": part["log_loss"].mean(),
                       "n": int(part["annotator"].nunique()), "comparisons": len(part)}
    finally:
        model.reset_adaptation()


def choices_saved(curve: pd.DataFrame) -> dict:
    """What the replay's curve (``REPLAY_COLUMNS``) says active assignment saves: random's accuracy after its most
    choices, and the fewest choices after which active reached it (None if it never did)."""
    random, active = (curve[curve.policy == p].sort_values("shots") for p in ("random", "active"))
    most = random.iloc[-1]
    reached = active[active.accuracy >= most.accuracy]
    return {"random_shots": int(most.shots), "random_accuracy": float(most.accuracy),
            "active_shots": int(reached.shots.iloc[0]) if len(reached) else None}
