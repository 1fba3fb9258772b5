"""Which prompt a person gets next, and why, with what probability: the fixed overlap design (``core.next_prompt``),
or, in an active study after the person's warm-up, the prompt and the k answers of its pool whose choice is expected to
teach the most about their weights (``estimators.acquire``), chosen only among the prompts the overlap guarantees
allow. Pure: the refit
(``refit.py``) keeps what the rule needs in the database, and the store passes it in
(docs/methods.md#active-assignment).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import combinations
from typing import NamedTuple, Sequence

import numpy as np

from ..estimators.acquire import pick, rewards_posterior
from ..estimators.pooled import PooledTasks
from .core import next_prompt

# Why a prompt was assigned, kept with its conversation.
WARM_UP = "warm-up"  # one of the person's first conversations, by the fixed design
GUARANTEE = "guarantee"  # a shared prompt, or one still short of the study's least people per prompt
DESIGN = "design"  # the fixed design's next prompt (a random study, or an active one before its first refit)
ACTIVE = "active"  # the most informative open prompt
RANDOM = "random"  # the ε share: an open prompt drawn uniformly
REASONS = (WARM_UP, GUARANTEE, DESIGN, ACTIVE, RANDOM)


@dataclass(frozen=True)
class ActiveFit:
    """What the assignment rule reads of a refit: the hypotheses about a person's weights (``points`` (H, K) with
    their ``log_prior`` (H,), and the ``target`` to reduce, ``entropy`` of the type or ``variance`` of the mix), the
    ``rewards`` (P, N, K) of each first-turn set's pool of N candidates under the K rewards, row
    ``prompts[prompt_id]``, NaN where a set offers fewer than N; and ``k``, the answers a person is shown (None: the
    whole set, as in fits from before a pool was kept)."""

    id: int
    target: str
    points: np.ndarray
    log_prior: np.ndarray
    prompts: dict[str, int]
    rewards: np.ndarray
    k: int | None = None

    @cached_property
    def tasks(self) -> tuple[np.ndarray, np.ndarray, PooledTasks]:
        """Every task the fit can score, made once per fit: (T,) its prompt's row, (T, k) the answers it shows
        (``pool_tasks``) and their rewards as ``PooledTasks``, each pool answer's once (-1: a set has fewer than k)."""
        rows, shown = pool_tasks(self.rewards, self.k or self.rewards.shape[1])
        width = self.rewards.shape[1]
        return rows, shown, PooledTasks(self.rewards.reshape(-1, self.rewards.shape[2]),
                                        np.where(shown >= 0, rows[:, None] * width + shown, -1))

    def payload(self) -> dict:
        """As JSON (NaN as null), for the ``fits`` table."""
        rewards = np.where(np.isnan(self.rewards), None, self.rewards.astype(object)).tolist()
        return {"target": self.target, "points": self.points.tolist(), "log_prior": self.log_prior.tolist(),
                "prompts": list(self.prompts), "rewards": rewards, "k": self.k}

    @classmethod
    def from_payload(cls, fit_id: int, payload: dict) -> "ActiveFit":
        rewards = np.array(payload["rewards"], dtype=np.float64)  # None reads back as NaN
        return cls(fit_id, payload["target"], np.array(payload["points"], dtype=np.float64),
                   np.array(payload["log_prior"], dtype=np.float64),
                   {p: i for i, p in enumerate(payload["prompts"])}, rewards.reshape(len(payload["prompts"]), -1,
                                                                                      len(payload["points"][0])),
                   payload.get("k"))


def pool_tasks(rewards: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Every way to show k answers of each set's pool (its answers with rewards in ``rewards`` (P, N, K)): (T,) each
    task's row and (T, k) the answers' indices in the set, ascending; a set of fewer than k is one task showing all
    of them, padded with -1."""
    pools = [np.flatnonzero(~np.isnan(r[:, 0])).tolist() for r in rewards]
    tasks = [(row, [*shown, *[-1] * (k - len(shown))]) for row, pool in enumerate(pools)
             for shown in combinations(pool, min(k, len(pool)))]
    return (np.array([row for row, _ in tasks], dtype=np.int64),
            np.array([shown for _, shown in tasks], dtype=np.int64).reshape(len(tasks), k))


def gathered(rewards: np.ndarray, rows: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """(T, k, K) the ``rewards`` (P, N, K) of the answers ``shown`` (T, k) of the sets ``rows`` (T,); NaN where
    ``shown`` is -1."""
    out = rewards[rows[:, None], np.maximum(shown, 0)]
    out[shown < 0] = np.nan
    return out


def person_weights(fit: ActiveFit, answered: Sequence[tuple[str, int, Sequence[int]]]) -> np.ndarray:
    """(H,) the posterior over the fit's hypotheses given a person's first-turn answers, (prompt id, index of the
    chosen candidate in the set, the indices of the candidates shown) each: the choice is among the answers shown,
    not the whole pool. Answers on prompts the fit has no rewards for are left out."""
    kept = [(fit.prompts[p], c, sorted(shown)) for p, c, shown in answered if p in fit.prompts]
    width = max((len(shown) for *_, shown in kept), default=1)
    shown = np.array([[*s, *[-1] * (width - len(s))] for *_, s in kept], dtype=np.int64).reshape(len(kept), width)
    rewards = gathered(fit.rewards, np.array([r for r, *_ in kept], dtype=np.int64), shown)
    return rewards_posterior(rewards, np.array([s.index(c) for _, c, s in kept], dtype=np.int64), fit.points,
                             fit.log_prior)


def uncertainty(fit: ActiveFit, weights: np.ndarray) -> float:
    """How uncertain a person's type is: the posterior entropy of their type in nats (a mixture), or the trace of
    their mix's posterior variance (ideal points)."""
    if fit.target == "entropy":
        kept = weights[weights > 0]
        return float(-(kept * np.log(kept)).sum())
    mean = weights @ fit.points
    return float(weights @ ((fit.points - mean) ** 2).sum(1))


@dataclass(frozen=True)
class Rule:
    """A study's assignment rule: ``active`` or the fixed design, the ``warmup`` conversations every person has by
    the fixed design first, the share ``epsilon`` of random prompts, and the least ``min_people`` per prompt."""

    active: bool
    warmup: int
    epsilon: float
    min_people: int


class Assigned(NamedTuple):
    """A new conversation's prompt, why it was assigned (``REASONS``), the probability with which the rule gave it
    (the prompt and, where ``shown`` is given, those answers together) and ``shown``: the indices in its set of the
    answers to show, or None where the rule chose the prompt only (the store then draws k of its set uniformly,
    ``core.shown_subset``, and multiplies their probability in)."""

    prompt: str
    why: str
    probability: float
    shown: list[int] | None = None


def assign(rule: Rule, prompts: Sequence[tuple[str, bool]], people: dict[str, int], done: set[str],
           fit: ActiveFit | None, answered: Sequence[tuple[str, int, Sequence[int]]], rng: np.random.Generator
           ) -> Assigned | None:
    """The next task for a person who has had conversations on ``done`` (and these first-turn ``answered``, as
    ``person_weights`` reads them); None when no prompt is left.

    The overlap guarantees come first: every shared prompt, and a prompt short of ``min_people`` before any other.
    After the warm-up an active rule with a fit chooses the prompt and the k answers of its pool together, among the
    prompts those guarantees allow (all open ones when no prompt is short), by ``pick``; otherwise the fixed design
    (``next_prompt``) chooses the prompt, with probability 1."""
    design = next_prompt(prompts, people, done, rule.min_people)
    if design is None:
        return None
    shared = dict(prompts)
    warm = len(done) < rule.warmup
    if warm or shared[design] or not rule.active or fit is None:
        short = people.get(design, 0) < rule.min_people
        return Assigned(design, WARM_UP if warm else GUARANTEE if shared[design] or short else DESIGN, 1.0)
    open_ = [p for p, s in prompts if not s and p not in done]
    short = [p for p in open_ if people.get(p, 0) < rule.min_people]
    allowed = [fit.prompts[p] for p in short or open_ if p in fit.prompts]
    if not allowed:  # none of the allowed prompts had a ready set at the last refit
        return Assigned(design, GUARANTEE if short else DESIGN, 1.0)
    rows, shown, rewards = fit.tasks
    chosen = pick(rewards, fit.points, person_weights(fit, answered), fit.target, available=np.isin(rows, allowed),
                  epsilon=rule.epsilon, rng=rng)
    return Assigned(list(fit.prompts)[rows[chosen.task]], GUARANTEE if short else RANDOM if chosen.explored else ACTIVE,
                    chosen.probability, [int(c) for c in shown[chosen.task] if c >= 0])
