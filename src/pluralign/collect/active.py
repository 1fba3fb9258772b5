"""Which prompt a person gets next, and why, with what probability: the fixed overlap design (``core.next_prompt``),
or, in an active study after the person's warm-up, the prompt whose answer is expected to teach the most about their
weights (``estimators.acquire``), chosen only among the prompts the overlap guarantees allow. Pure: the refit
(``refit.py``) keeps what the rule needs in the database, and the store passes it in
(docs/methods.md#active-assignment).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..estimators.acquire import pick, rewards_posterior
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
    their ``log_prior`` (H,), and the ``target`` to reduce, ``entropy`` of the type or ``variance`` of the mix) and
    the ``rewards`` (P, k, K) of each first-turn set's candidates under the K rewards, row ``prompts[prompt_id]``;
    NaN where a set offers fewer than k."""

    id: int
    target: str
    points: np.ndarray
    log_prior: np.ndarray
    prompts: dict[str, int]
    rewards: np.ndarray

    def payload(self) -> dict:
        """As JSON (NaN as null), for the ``fits`` table."""
        rewards = np.where(np.isnan(self.rewards), None, self.rewards.astype(object)).tolist()
        return {"target": self.target, "points": self.points.tolist(), "log_prior": self.log_prior.tolist(),
                "prompts": list(self.prompts), "rewards": rewards}

    @classmethod
    def from_payload(cls, fit_id: int, payload: dict) -> "ActiveFit":
        rewards = np.array(payload["rewards"], dtype=np.float64)  # None reads back as NaN
        return cls(fit_id, payload["target"], np.array(payload["points"], dtype=np.float64),
                   np.array(payload["log_prior"], dtype=np.float64),
                   {p: i for i, p in enumerate(payload["prompts"])}, rewards.reshape(len(payload["prompts"]), -1,
                                                                                      len(payload["points"][0])))


def person_weights(fit: ActiveFit, answered: Sequence[tuple[str, int]]) -> np.ndarray:
    """(H,) the posterior over the fit's hypotheses given a person's first-turn answers, (prompt id, index of the
    chosen candidate) each; answers on prompts the fit has no rewards for are left out."""
    kept = [(fit.prompts[p], c) for p, c in answered if p in fit.prompts]
    rows = np.array([r for r, _ in kept], dtype=np.int64)
    return rewards_posterior(fit.rewards[rows], np.array([c for _, c in kept], dtype=np.int64), fit.points,
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


def assign(rule: Rule, prompts: Sequence[tuple[str, bool]], people: dict[str, int], done: set[str],
           fit: ActiveFit | None, answered: Sequence[tuple[str, int]], rng: np.random.Generator
           ) -> tuple[str, str, float] | None:
    """The next prompt for a person who has had conversations on ``done`` (and these first-turn ``answered``): the
    prompt, why (``REASONS``) and the probability with which the rule gave it; None when no prompt is left.

    The overlap guarantees come first: every shared prompt, and a prompt short of ``min_people`` before any other.
    After the warm-up an active rule with a fit chooses among the prompts those guarantees allow (all open ones when
    no prompt is short) by ``pick``; otherwise the fixed design (``next_prompt``) chooses, with probability 1."""
    design = next_prompt(prompts, people, done, rule.min_people)
    if design is None:
        return None
    shared = dict(prompts)
    warm = len(done) < rule.warmup
    if warm or shared[design] or not rule.active or fit is None:
        short = people.get(design, 0) < rule.min_people
        return design, WARM_UP if warm else GUARANTEE if shared[design] or short else DESIGN, 1.0
    open_ = [p for p, s in prompts if not s and p not in done]
    short = [p for p in open_ if people.get(p, 0) < rule.min_people]
    pool = [p for p in short or open_ if p in fit.prompts]
    if not pool:  # none of the allowed prompts had a ready set at the last refit
        return design, GUARANTEE if short else DESIGN, 1.0
    rows = np.array([fit.prompts[p] for p in pool], dtype=np.int64)
    chosen = pick(fit.rewards[rows], fit.points, person_weights(fit, answered), fit.target, epsilon=rule.epsilon,
                  rng=rng)
    return pool[chosen.task], GUARANTEE if short else RANDOM if chosen.explored else ACTIVE, chosen.probability
