"""The acquisition rule on its own: what it scores, what it picks and with what probability, on seeded populations
whose informative tasks are known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from pluralign.data.choices import Choices
from pluralign.learn import IdealPoint, MixtureBradleyTerry
from pluralign.estimators.acquire import (REFERENCE, SHORTLIST, _task_scores, acquire, assignment_probabilities,
                                           hypotheses, k_subsets, pick, posterior, prediction_gains, task_scores)
from pluralign.estimators.pooled import PooledTasks, task_rewards
from pluralign.learn.replay import replay_orders

# two answers people split on (rows 0, 1) and two near copies of the first (rows 2, 3): a task of 0 and 1 tells the
# two types apart, a task of 2 and 3 cannot
ANSWERS = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.02], [1.0, -0.02]])
INFORMATIVE, BLAND = [0, 1], [2, 3]


def _people(n: int, rng: np.random.Generator) -> tuple[Choices, np.ndarray]:
    """``n`` people, 70% of type 0 (picks answer 0 over answer 1 nine times in ten) and 30% of type 1 (the reverse),
    each asked 6 informative and 6 bland tasks (a bland choice is a coin flip); their choices and true types."""
    types = (rng.random(n) < 0.3).astype(int)
    tasks = np.array([INFORMATIVE] * 6 + [BLAND] * 6)
    candidates = np.tile(tasks, (n, 1))
    person = np.repeat(np.arange(n), len(tasks))
    informative = (candidates == INFORMATIVE).all(1)
    chosen = np.where(informative, (rng.random(len(person)) < 0.1) ^ types[person], rng.random(len(person)) < 0.5)
    return Choices(ANSWERS, candidates, chosen.astype(int), person), types


@pytest.fixture(scope="module")
def mixture() -> tuple[MixtureBradleyTerry, Choices, np.ndarray]:
    """A mixture of two types fitted on 60 simulated people (4-7 s on a loaded 2-core machine), and 20 unseen people
    with their types."""
    rng = np.random.default_rng(0)
    seen, _ = _people(60, rng)
    unseen, types = _people(20, rng)
    return MixtureBradleyTerry(n_types=2, n_init=1, n_iter=30, alpha=1e-3).fit(seen), unseen, types


def test_a_task_every_type_answers_alike_teaches_nothing_and_one_they_split_on_gives_its_mutual_information(mixture):
    model, _, _ = mixture
    rewards = task_rewards(model, ANSWERS, np.array([INFORMATIVE, [2, 2]]))
    points, log_prior, target = hypotheses(model)
    scores = task_scores(rewards, points, np.exp(log_prior), target, dtype=np.float64)
    assert target == "entropy" and scores[1] == pytest.approx(0, abs=1e-12)
    # the closed form for two answers: H(π p + (1 - π) q) - π H(p) - (1 - π) H(q), p and q each type's P(answer 0)
    p, q = 1 / (1 + np.exp(-(model.coef_ @ (ANSWERS[0] - ANSWERS[1]))))
    pi = model.proportions_[0]

    def h(x):
        return -x * np.log(x) - (1 - x) * np.log(1 - x)

    assert scores[0] == pytest.approx(h(pi * p + (1 - pi) * q) - pi * h(p) - (1 - pi) * h(q), rel=1e-9)
    assert scores[0] > 0.3  # the fitted types disagree sharply (0.9 against 0.1): most of a bit of the type's entropy


def test_active_asks_the_informative_tasks_first_and_learns_each_type_faster_than_random(mixture):
    model, unseen, types = mixture
    orders = replay_orders(model, unseen, steps=4, epsilon=0.0, seed=1)
    informative = (unseen.candidates == INFORMATIVE).all(1)
    assert informative[orders["active"] < 4].all()  # with ε = 0, never a bland task while an informative one is left
    assert informative[orders["random"] < 4].mean() < 0.75  # random asks bland ones about half the time
    points, log_prior, _ = hypotheses(model)
    leaning = model.coef_ @ (ANSWERS[0] - ANSWERS[1])  # the fitted type that prefers answer 0 is simulated type 0
    true_type = np.where(types == 0, np.argmax(leaning), np.argmin(leaning))
    on_truth = {}
    for policy, order in orders.items():
        asked = order < 2
        on_truth[policy] = np.mean([posterior(model, unseen.subset(asked & (unseen.annotator == a)), points,
                                              log_prior)[true_type[a]] for a in range(len(types))])
    assert on_truth["active"] > 0.9 and on_truth["active"] > on_truth["random"] + 0.1


def test_probabilities_sum_to_one_and_keep_an_epsilon_share_random():
    scores = np.array([0.1, 0.5, 0.5, 0.2, 0.9])
    available = np.array([True, True, True, True, False])
    p = assignment_probabilities(scores, available, epsilon=0.2)
    assert p.sum() == pytest.approx(1) and p[4] == 0
    # the two tied best share 1 - ε; every available task gets ε / 4 besides
    assert p == pytest.approx([0.05, 0.45, 0.45, 0.05, 0])
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        assignment_probabilities(scores, available, epsilon=1.5)


def test_acquire_draws_tasks_with_the_probability_it_reports(mixture):
    model, _, _ = mixture
    rewards = task_rewards(model, ANSWERS, np.array([BLAND, INFORMATIVE, [0, 2], [1, 3]]))
    rng = np.random.default_rng(7)
    draws = [acquire(model, rewards, None, epsilon=0.3, rng=rng) for _ in range(2000)]
    tasks = np.array([d.task for d in draws])
    assert {d.task: d.probability for d in draws}[1] == pytest.approx(0.7 + 0.3 / 4)
    for task in range(4):
        expected = {d.task: d.probability for d in draws}[task]
        # each task's count lies within the central 99.9% of its binomial under the probability acquire reports
        assert binom.ppf(0.0005, 2000, expected) <= (tasks == task).sum() <= binom.ppf(0.9995, 2000, expected)
    explored = np.mean([d.explored for d in draws])
    assert binom.ppf(0.0005, 2000, 0.3) <= explored * 2000 <= binom.ppf(0.9995, 2000, 0.3)


def test_ideal_points_score_the_expected_fall_of_the_mix_variance():
    """Against the definition: the posterior variance's trace now, minus its expectation after the answer, from
    the posterior updated by hand for each answer."""
    rng = np.random.default_rng(3)
    seen, _ = _people(40, rng)
    model = IdealPoint(n_prototypes=2, max_iter=200).fit(seen)
    rewards = task_rewards(model, ANSWERS, np.array([INFORMATIVE, [0, 2], [2, 2]]))
    points, log_prior, target = hypotheses(model)
    weights = posterior(model, seen.subset(seen.annotator == 0), points, log_prior)
    scores = task_scores(rewards, points, weights, target, dtype=np.float64)

    def spread(w):
        return (w @ points**2 - (w @ points) ** 2).sum()

    for task, score in enumerate(scores):
        p = np.exp(rewards[task] @ points.T)
        p /= p.sum(0)  # (answers, people)
        after = sum((p[j] * weights).sum() * spread(p[j] * weights / (p[j] * weights).sum()) for j in range(2))
        assert score == pytest.approx(spread(weights) - after, rel=1e-9, abs=1e-15)
    assert target == "variance" and scores[2] == pytest.approx(0, abs=1e-15) and scores[0] > scores[1]


def test_k_subsets_lists_every_way_to_show_k_of_each_prompts_candidates():
    tasks, prompt = k_subsets([[0, 1, 2, 3], [4, 5]], 2)
    assert len(tasks) == 6 + 1 and prompt.tolist() == [0] * 6 + [1] and tasks[-1].tolist() == [4, 5]
    with pytest.raises(ValueError, match="no prompt has 3 candidates"):
        k_subsets([[0, 1]], 3)


def test_a_task_offering_fewer_candidates_scores_as_the_same_task_unpadded(mixture):
    model, _, _ = mixture
    points, log_prior, target = hypotheses(model)
    padded = task_rewards(model, ANSWERS, np.array([[0, 1, -1], [0, 1, 2]]))
    plain = task_rewards(model, ANSWERS, np.array([INFORMATIVE]))
    assert np.isnan(padded[0, 2]).all()
    scores = task_scores(padded, points, np.exp(log_prior), target)
    assert scores[0] == pytest.approx(task_scores(plain, points, np.exp(log_prior), target)[0], rel=1e-12)
    assert np.isfinite(scores).all()


def _pool_of_eight(seed: int) -> tuple[PooledTasks, np.ndarray, np.ndarray]:
    """Every 4 of 8 answers of 60 prompts (4,200 tasks) with rewards under K = 3 prototypes, 64 hypotheses (mixes)
    and a posterior over them, as a live study's pool of 8 has them."""
    rng = np.random.default_rng(seed)
    tasks, _ = k_subsets(np.arange(480).reshape(60, 8), 4)
    return (PooledTasks(rng.normal(scale=2.0, size=(480, 3)), tasks), rng.dirichlet(np.ones(3), 64),
            rng.dirichlet(np.full(64, 0.5)))


@pytest.mark.parametrize("target", ["variance", "entropy"])
def test_scores_composed_from_each_candidate_in_float32_choose_as_the_per_task_definition(target):
    for seed in range(5):
        tasks, points, weights = _pool_of_eight(seed)
        exact = _task_scores(tasks.gathered(), points, weights, target)
        np.testing.assert_allclose(task_scores(tasks, points, weights, target, dtype=np.float64), exact, rtol=1e-10,
                                   atol=1e-13 * exact.max())
        fast = task_scores(tasks, points, weights, target)
        assert np.abs(fast - exact).max() < 1e-5 * exact.max()
        # the task float32 picks is the exact best, or within a millionth of it
        assert exact.max() - exact[fast.argmax()] <= 1e-6 * exact.max()


def test_a_task_whose_answers_all_lie_far_below_another_tasks_is_scored_exactly():
    """Composed scores shift every hypothesis's utilities by the best candidate of all tasks; a task whose answers
    all lie 500 nats below it would underflow to 0 / 0, and is scored per task instead."""
    tasks, points, weights = _pool_of_eight(0)
    far = PooledTasks(np.vstack([tasks.rewards, [[300.0, 0, 0]], [[-300.0, 0, 0], [-300.5, 0, 0]]]),
                      np.vstack([tasks.shown, [[480, 0, 1, 2], [481, 482, -1, -1]]]))
    for target in ("variance", "entropy"):
        scores = task_scores(far, points, weights, target)
        exact = _task_scores(far.gathered(), points, weights, target)
        assert np.isfinite(scores).all() and scores[-1] > 0
        assert scores[-1] == pytest.approx(exact[-1], rel=1e-12)  # scored per task, in float64
        assert np.abs(scores - exact).max() < 1e-5 * exact.max()  # the others composed in float32


def test_pick_chooses_alike_from_pooled_rewards_in_float32_and_gathered_ones_in_float64():
    tasks, points, weights = _pool_of_eight(1)
    available = np.arange(len(tasks)) % 3 > 0
    pooled = pick(tasks, points, weights, "variance", available=available, rng=np.random.default_rng(2))
    gathered = pick(tasks.gathered(), points, weights, "variance", available=available, rng=np.random.default_rng(2))
    assert (pooled.task, pooled.probability, pooled.explored) == (gathered.task, gathered.probability, gathered.explored)
    assert available[pooled.task] and pooled.score == pytest.approx(gathered.score, rel=1e-5)


def test_prediction_gain_is_the_mutual_information_between_a_tasks_answer_and_a_reference_tasks_averaged():
    """Against the definition, the joint of the two answers summed over hypotheses by hand; a task of 3 answers
    against reference tasks of 2 and 3 (one padded)."""
    rng = np.random.default_rng(4)
    rewards, reference = rng.normal(size=(5, 3, 2)), rng.normal(size=(4, 3, 2))
    reference[0, 2] = np.nan
    points, weights = rng.dirichlet(np.ones(2), 7), rng.dirichlet(np.ones(7))

    def given(task):  # (answers, hypotheses) p(answer | hypothesis), offered answers only
        offered = task[~np.isnan(task[:, 0])]
        p = np.exp(offered @ points.T)
        return p / p.sum(0)

    for t, gain in enumerate(prediction_gains(rewards, reference, points, weights)):
        mutual = []
        for other in reference:
            joint = np.einsum("ah,bh,h->ab", given(rewards[t]), given(other), weights)
            mutual.append((joint * np.log(joint / np.outer(joint.sum(1), joint.sum(0)))).sum())
        assert gain == pytest.approx(np.mean(mutual), rel=1e-9)


def test_a_task_splitting_mixes_that_answer_every_reference_task_alike_gains_nothing_though_it_lowers_the_variance():
    """Two pure mixes; the reference tasks' answers score the same under both prototypes, so no answer the person
    gives there depends on which mix is theirs: a task that tells the mixes apart teaches the variance criterion
    the most and the prediction criterion nothing, and a task the reference depends on is preferred by neither."""
    points, weights = np.eye(2), np.array([0.5, 0.5])
    splits = [[1.0, 0.0], [0.0, 1.0]]
    reference = np.array([[[1.0, 1.0], [0.0, 0.0]], [[-0.5, -0.5], [2.0, 2.0]]])
    rewards = np.array([splits, [[1.0, 1.0], [0.0, 0.0]]])
    variance = task_scores(rewards, points, weights, "variance", dtype=np.float64)
    assert variance[0] > 0.05 and variance[1] == pytest.approx(0, abs=1e-15)
    np.testing.assert_allclose(prediction_gains(rewards, reference, points, weights), 0, atol=1e-12)
    # a reference that does depend on the mix: the splitting task now tells about it
    assert prediction_gains(rewards, np.array([splits]), points, weights)[0] > 0.01


def test_ideal_points_pick_the_task_of_highest_prediction_gain_among_those_that_most_lower_the_variance():
    """Greedy draws take the shortlist's best prediction gain; explored ones (ε) any available task, scored by its
    own gain. Seeds 5-8 give both."""
    tasks, points, weights = _pool_of_eight(2)
    available = np.arange(len(tasks)) % 4 > 0
    variance = np.where(available, task_scores(tasks, points, weights, "variance"), -np.inf)
    shortlist = np.argsort(-variance, kind="stable")[:SHORTLIST]
    draws = [pick(tasks, points, weights, "variance", available=available, epsilon=0.2,
                  rng=np.random.default_rng(seed)) for seed in range(5, 9)]
    assert {d.explored for d in draws} == {True, False}
    for seed, chosen in zip(range(5, 9), draws):
        reference = tasks.subset(np.random.default_rng(seed).choice(len(tasks), REFERENCE, replace=False)).gathered()
        gains = prediction_gains(tasks.subset(shortlist).gathered(), reference, points, weights)
        best = shortlist[gains.argmax()]
        assert chosen.explored or chosen.task == best
        own = prediction_gains(tasks.subset([chosen.task]).gathered(), reference, points, weights)[0]
        assert chosen.score == pytest.approx(own, rel=1e-9)
        assert chosen.probability == pytest.approx(0.2 / available.sum() + 0.8 * (chosen.task == best))
