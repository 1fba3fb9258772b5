"""What to ask a person next: the task whose answer is expected to teach the most about their weights, with a share
of random tasks kept so that the population model stays unbiased (docs/methods.md#active-assignment).

A task is one comparison a person could be shown (a prompt and which k of its candidates). The fitted model's K
rewards score every candidate once (``task_rewards``); the person's hypotheses are the model's own: for a mixture
its K types, weighed by the fitted proportions; for ideal points the fitted people's mixes, weighed equally (the
empirical Bayes prior ``adapt`` uses). Their choices so far reweigh the hypotheses, and each task is scored by the
expected reduction of the posterior entropy of their type (mixture): what information-gain active learning asks
(Poddar et al., 2024, VPL; Houlsby et al., 2011, BALD). For ideal points the expected reduction of their mix's
posterior variance shortlists the tasks, and the expected information about their answers to a reference sample of
the tasks picks among them (EPIG: Bickford Smith et al., 2023): what held-out accuracy needs, rather than the mix
itself (benchmarks/RESULTS.md, "Ideal points with 3 and 5 types").
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Sequence

import numpy as np
from scipy.special import log_softmax, logsumexp, xlogy

from ..data.choices import Choices
from .latent import MixtureBradleyTerry, SharedRewards
from .pooled import PooledTasks, task_rewards


@dataclass(frozen=True)
class Assignment:
    """The task chosen for a person.

    Attributes:
        task: its index among the tasks scored.
        score: its expected information (nats of type entropy for a mixture; for ideal points, nats about the
            person's answer to a reference task, ``prediction_gains``).
        probability: the probability with which the rule chose it, for inverse-probability weights.
        explored: it was drawn from the ε share of uniformly random tasks (why it was chosen).
    """

    task: int
    score: float
    probability: float
    explored: bool


def k_subsets(pools: Sequence[Sequence[int]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Every way to show k of each prompt's generated candidates: (T, k) candidate rows and (T,) each task's prompt
    (its position in ``pools``), for ``task_rewards``."""
    tasks = [(p, c) for p, pool in enumerate(pools) for c in combinations(pool, k)]
    if not tasks:
        raise ValueError(f"no prompt has {k} candidates to show")
    return np.array([c for _, c in tasks], dtype=np.int64), np.array([p for p, _ in tasks])


def hypotheses(model: SharedRewards) -> tuple[np.ndarray, np.ndarray, str]:
    """What the person's weights could be, under the model's own prior: (H, K) points, (H,) log prior, and what to
    reduce, ``entropy`` (of the type) or ``variance`` (of the mix)."""
    points, prior = model.population()
    target = "entropy" if isinstance(model, MixtureBradleyTerry) else "variance"
    return points, np.log(np.clip(prior, 1e-12, None)), target


def posterior(model: SharedRewards, history: Choices | None, points: np.ndarray, log_prior: np.ndarray) -> np.ndarray:
    """(H,) the hypotheses' posterior given a person's choices so far (``history``, None for none; a ranking's later
    choices count, as in ``adapt``): the weights ``adapt`` gives, before they are averaged into one mix."""
    if history is None or not len(history):
        return np.exp(log_prior - logsumexp(log_prior))
    return rewards_posterior(task_rewards(model, history.features, history.candidates), history.chosen, points,
                             log_prior)


def rewards_posterior(rewards: np.ndarray, chosen: np.ndarray, points: np.ndarray, log_prior: np.ndarray) -> np.ndarray:
    """(H,) the hypotheses' posterior given the ``rewards`` (n, k, K) of the tasks a person answered and the candidate
    they ``chosen`` in each (n,): ``posterior`` on rewards computed once and kept (the collect app's refit keeps
    them)."""
    log_post = log_prior + _log_probs(rewards @ points.T)[np.arange(len(chosen)), np.asarray(chosen)].sum(0)
    return np.exp(log_post - logsumexp(log_post))


def _log_probs(utility: np.ndarray) -> np.ndarray:
    """Log-softmax over each task's offered candidates (axis 1); -inf where padded (NaN utility)."""
    padded = np.isnan(utility)
    out = log_softmax(np.where(padded, -np.inf, utility), axis=1)
    return np.where(padded, -np.inf, out)


def task_scores(rewards: np.ndarray | PooledTasks, points: np.ndarray, weights: np.ndarray, target: str,
                dtype: type = np.float32) -> np.ndarray:
    """(T,) each task's expected information about the person: the mutual information between their answer and
    their hypothesis (``entropy``: expected fall of the posterior entropy), or the variance of the posterior mean mix
    over their answers (``variance``: by the law of total variance, the expected fall of the posterior variance's
    trace). ``rewards`` are ``task_rewards``' (T, k, K) or ``PooledTasks``.

    Composed from each candidate's utility under each hypothesis, computed once: a task's choice probabilities are
    its candidates' exponentials over their sum. The (T, H) arithmetic runs in ``dtype``: float32 halves the memory
    traffic (35,000 tasks × 64 hypotheses), and its rounding moves a score by about 1e-6 of the best one
    (tests/learn/test_acquire.py). A task whose exponentials would underflow is scored again as before, per task, in
    float64; so are all tasks where they share no candidates (``task_rewards``' array, or a pool of k)."""
    keep = weights > 0
    points, weights = points[keep], weights[keep]
    if not isinstance(rewards, PooledTasks) or len(rewards.rewards) >= rewards.shown.size:
        # nothing shared to compose (a pool of k, a few tasks left): per task is as fast, and exact
        return _task_scores(rewards if isinstance(rewards, np.ndarray) else rewards.gathered(), points, weights, target)
    tasks = rewards
    utility = tasks.rewards @ points.T  # (C, H)
    utility = np.vstack([utility - np.nanmax(utility, 0), np.full(len(points), -np.inf)])  # row -1: not offered
    exp = np.nan_to_num(np.exp(utility)).astype(dtype)
    given = [exp[column] for column in tasks.shown.T]  # k × (T, H), each made p(answer j | hypothesis) below
    inverse = given[0].copy()
    for x in given[1:]:
        inverse += x
    low = (inverse < np.finfo(dtype).tiny * 1e8).any(1)  # where a task's smaller probabilities lose their precision
    inverse[low] = 1
    np.reciprocal(inverse, out=inverse)
    for x in given:
        x *= inverse
    if target == "entropy":
        logs = np.where(np.isfinite(utility), utility, 0).astype(dtype)
        own = np.log(inverse)  # -H(answer | hypothesis) = Σ_j p_j log p_j, log p_j = logs_j - log Σ exp
        for x, column in zip(given, tasks.shown.T):
            own += x * logs[column]
        answer = np.stack([x @ weights.astype(dtype) for x in given]).astype(np.float64)  # (k, T) p(answer)
        predictive = -np.where(answer > 0, answer * np.log(np.where(answer > 0, answer, 1)), 0.0).sum(0)
        scores = predictive + own.astype(np.float64) @ weights
    else:
        # centred mixes: E[mix − E[mix]; answer j] = p_j (E[mix | j] − E[mix]), with nothing to cancel in float32
        centred = np.hstack([points - weights @ points, np.ones((len(points), 1))])
        moments = np.stack([x @ (weights[:, None] * centred).astype(dtype) for x in given]).astype(np.float64)
        answer = moments[..., -1]  # (k, T) p(answer j)
        scores = ((moments[..., :-1] ** 2).sum(2) / np.where(answer > 0, answer, np.inf)).sum(0)
    if low.any():
        scores[low] = _task_scores(tasks.subset(low).gathered(), points, weights, target)
    return scores


def _task_scores(rewards: np.ndarray, points: np.ndarray, weights: np.ndarray, target: str) -> np.ndarray:
    """``task_scores`` per task, in float64 from (T, k, K) rewards: for the tasks whose probabilities the composed
    form cannot hold (every candidate far below the best candidate of another task)."""
    utility = rewards @ points.T  # (T, k, H)
    if np.isnan(rewards).any():
        utility[np.isnan(utility)] = -np.inf
    utility -= utility.max(1, keepdims=True)
    p = np.exp(utility)
    total = p.sum(1, keepdims=True)
    p /= total
    joint = p * weights  # p(answer, hypothesis)
    answer = joint.sum(2)  # (T, k) p(answer)
    if target == "entropy":
        with np.errstate(invalid="ignore"):  # 0 · -inf where a task offers fewer than k, set to 0
            own = np.where(p > 0, p * (utility - np.log(total)), 0.0).sum(1)  # (T, H) -H(p(answer | hypothesis))
        predictive = -np.where(answer > 0, answer * np.log(np.where(answer > 0, answer, 1)), 0.0).sum(1)
        return predictive + own @ weights
    mean = weights @ points
    given = (joint @ points) / np.where(answer > 0, answer, 1)[..., None]  # (T, k, K) E[mix | answer]
    return (answer * ((given - mean) ** 2).sum(2)).sum(1)


def prediction_gains(rewards: np.ndarray, reference: np.ndarray, points: np.ndarray, weights: np.ndarray
                     ) -> np.ndarray:
    """(T,) each task's expected information about the person's answers on other tasks: the mutual information
    between their answer to the task and their answer to a ``reference`` task, averaged over the reference tasks
    (EPIG, Bickford Smith et al., 2023, "Prediction-oriented Bayesian active learning"), under hypotheses ``points``
    (H, K) with posterior ``weights`` (H,). ``rewards`` (T, k, K) and ``reference`` (R, k', K) as ``task_rewards``
    gives them (NaN: not offered). Held-out accuracy depends on the person's answers, not on their mix itself: a task
    that splits mixes which answer every reference task alike scores 0 here, though it lowers the mix's variance."""
    keep = weights > 0
    points, weights = points[keep], weights[keep]
    given = np.exp(_log_probs(rewards @ points.T))  # (T, k, H) p(answer | hypothesis)
    other = np.exp(_log_probs(reference @ points.T))  # (R, k', H)
    t, k, h = given.shape
    joint = ((given * weights).reshape(t * k, h) @ other.reshape(-1, h).T).reshape(t, k, -1)  # p(a, b of each r)
    answer, answer_other = given @ weights, other @ weights  # (T, k), (R, k') marginals
    # I = Σ J log J − Σ_a p(a) log p(a) − Σ_b p(b) log p(b), averaged over the reference tasks
    return (xlogy(joint, joint).sum((1, 2)) / len(reference) - xlogy(answer, answer).sum(1)
            - xlogy(answer_other, answer_other).sum() / len(reference))


def assignment_probabilities(scores: np.ndarray, available: np.ndarray, epsilon: float) -> np.ndarray:
    """(T,) the probability that the rule picks each task: ε spread evenly over the available ones, the rest over
    those tied at the highest score; 0 for the unavailable."""
    if not 0 <= epsilon <= 1:
        raise ValueError(f"epsilon is a share of random tasks, in [0, 1]; got {epsilon}")
    best = _best(scores, available)
    return epsilon * available / available.sum() + (1 - epsilon) * best / best.sum()


def _best(scores: np.ndarray, available: np.ndarray) -> np.ndarray:
    """(T,) the available tasks tied at the highest score."""
    if not available.any():
        raise ValueError("no task is available to assign")
    top = np.max(scores[available])
    return available & (scores >= top - 1e-12 * max(1.0, abs(top)))


# ideal points: how many of the tasks that most lower the mix's variance are scored by ``prediction_gains``, and over
# how many reference tasks; a pool of 8 on 500 prompts is 35,000 tasks, where scoring them all would cost ~10× more
SHORTLIST, REFERENCE = 256, 64


def acquire(model: SharedRewards, rewards: np.ndarray | PooledTasks, history: Choices | None = None, *,
            available: np.ndarray | None = None, epsilon: float = 0.1, rng: np.random.Generator | None = None,
            max_hypotheses: int = 64) -> Assignment:
    """The next task for a person: with probability ε one of the ``available`` tasks uniformly at random, else the
    one of highest expected information about their weights given their ``history`` (ties broken at random).

    Args:
        model: the current population fit (a mixture or ideal points).
        rewards: ``task_rewards`` of the candidate tasks, (T, k, K), or ``pooled_rewards`` (faster where tasks share
            candidates).
        history: the person's choices so far (None: none yet; they are scored as the population's average person).
        available: (T,) which tasks may be shown (e.g. not a prompt they answered); all by default.
        epsilon: the share of uniformly random tasks.
        max_hypotheses: ideal points have one hypothesis per fitted person; above this many, this many are drawn
            in proportion to their posterior (systematic resampling), which keeps the cost flat in the population.

    For ideal points the ``SHORTLIST`` available tasks that most lower the mix's posterior variance
    (``task_scores``) are scored again by ``prediction_gains`` over ``REFERENCE`` tasks drawn uniformly from all
    of ``rewards``, and the best of those is chosen: a prediction-oriented choice at the cost of a few hundred tasks.
    """
    points, log_prior, target = hypotheses(model)
    return pick(rewards, points, posterior(model, history, points, log_prior), target, available=available,
                epsilon=epsilon, rng=rng, max_hypotheses=max_hypotheses)


def pick(rewards: np.ndarray | PooledTasks, points: np.ndarray, weights: np.ndarray, target: str, *,
         available: np.ndarray | None = None, epsilon: float = 0.1, rng: np.random.Generator | None = None,
         max_hypotheses: int = 64) -> Assignment:
    """``acquire``'s choice given the person's hypotheses already weighed: ``points`` (H, K) with posterior
    ``weights`` (H,) and the ``target`` to reduce (``hypotheses``); for callers that keep a fit's hypotheses and task
    rewards instead of the model (the collect app reads them from its database)."""
    rng = np.random.default_rng() if rng is None else rng
    available = np.ones(len(rewards), dtype=bool) if available is None else np.asarray(available, dtype=bool)
    if len(points) > max_hypotheses:
        draws = np.searchsorted(np.cumsum(weights), (rng.random() + np.arange(max_hypotheses)) / max_hypotheses)
        points = points[np.minimum(draws, len(points) - 1)]
        weights = np.full(max_hypotheses, 1 / max_hypotheses)
    scores = np.full(len(rewards), -np.inf)
    tasks = rewards if isinstance(rewards, PooledTasks) else PooledTasks.from_gathered(rewards)
    scores[available] = task_scores(tasks.subset(available), points, weights, target)
    if target == "variance":
        reference = tasks.subset(rng.choice(len(tasks), min(REFERENCE, len(tasks)), replace=False)).gathered()
        shortlist = np.flatnonzero(available)
        shortlist = shortlist[np.argsort(-scores[shortlist], kind="stable")[:SHORTLIST]]
        scores = np.full(len(rewards), -np.inf)
        scores[shortlist] = prediction_gains(tasks.subset(shortlist).gathered(), reference, points, weights)
    probabilities = assignment_probabilities(scores, available, epsilon)
    explored = bool(rng.random() < epsilon)
    pool = available if explored else _best(scores, available)
    task = int(rng.choice(np.flatnonzero(pool)))
    score = scores[task]
    if target == "variance" and not np.isfinite(score):  # an explored task off the shortlist: its own gain
        score = prediction_gains(tasks.subset([task]).gathered(), reference, points, weights)[0]
    return Assignment(task, float(score), float(probabilities[task]), explored)
