"""A simulation of align's evaluation with a known answer, without a language model: a Bradley-Terry reward is learned
from one set of simulated people, a policy picks, for each held-out prompt, the best of k answers under
it (selection stands in for training on that reward's pairs), and the policy's answer is compared with a base answer
under the same reward, under a reward learned on other people (cross-fit), and under the people's true reward. The
cross-fitted reward's verdict is judged twice: by the sign test over the held-out prompts alone, and as align judges a
learned independent reward (``align/refit.py``): refits on resamples of its people crossed with their prompts
(``crossed_resample``), with the held-out prompts resampled too."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pluralign.align.core import ALPHA
from pluralign.align.outcome import gain_p_value
from pluralign.align.refit import refit_tests
from pluralign.data.choices import Choices
from pluralign.estimators.crossfit import crossed_resample


def choice_data(true: np.ndarray, people: int, choices: int, rng: np.random.Generator, learn_prompts: int | None = None,
                person_sd: float = 0.0, prompt_sd: float = 0.0) -> Choices:
    """``people`` × ``choices`` pairwise choices between answers with features N(0, I), each made with the
    Bradley-Terry probability of the chooser's reward: the true reward ``true`` plus, per person, N(0, ``person_sd``²)
    on each feature (people differ; the population's reward is still ``true``). Without ``learn_prompts`` each choice
    is between answers of its own; with it, a pool of that many prompts each offers one pair that everyone who
    answers it sees, with a logit shift N(0, ``prompt_sd``²) shared by all of them (what the features miss about that
    prompt), and each person answers ``choices`` of them, drawn at random (people × prompts crossed)."""
    n = people * choices
    annotator = np.repeat(np.arange(people), choices)
    if learn_prompts is None:
        first, second, prompt, shift = rng.normal(size=(n, len(true))), rng.normal(size=(n, len(true))), None, 0.0
    else:
        pool_a, pool_b = rng.normal(size=(learn_prompts, len(true))), rng.normal(size=(learn_prompts, len(true)))
        prompt = np.concatenate([rng.choice(learn_prompts, choices, replace=False) for _ in range(people)])
        first, second, shift = pool_a[prompt], pool_b[prompt], rng.normal(scale=prompt_sd, size=learn_prompts)[prompt]
    own = true + (rng.normal(scale=person_sd, size=(people, len(true)))[annotator] if person_sd else 0.0)
    picked_first = rng.random(n) < 1 / (1 + np.exp(-((first - second) * own).sum(axis=1) - shift))
    features = np.stack([first, second], axis=1).reshape(2 * n, len(true))
    return Choices(features, np.arange(2 * n).reshape(n, 2), np.where(picked_first, 0, 1), annotator, prompt=prompt)


def fitted_rewards(data: Choices, weights: np.ndarray | None = None, iterations: int = 12) -> np.ndarray:
    """Bradley-Terry rewards' coefficients fitted on pairwise ``data``, one per row of ``weights`` (how many times a
    resample takes each choice; one fit on the data as it is without): for two answers Bradley-Terry is a logistic
    regression on their difference without intercept, here with an L2 penalty of ½|w|² as sklearn's default
    (C = 1), fitted by Newton's method for every resample at once. sklearn's fit took 13 ms a resample under load,
    so 200 refits per run were 3 s; this takes milliseconds for all of them."""
    difference = data.features[data.candidates[:, 0]] - data.features[data.candidates[:, 1]]
    first = (data.chosen == 0).astype(float)
    weights = np.ones((1, len(first))) if weights is None else np.asarray(weights, dtype=float)
    fits, d = len(weights), difference.shape[1]
    outer = (difference[:, :, None] * difference[:, None, :]).reshape(len(first), d * d)
    coef = np.zeros((fits, d))
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-coef @ difference.T))  # (fits, n)
        gradient = (weights * (p - first)) @ difference + coef
        hessian = ((weights * p * (1 - p)) @ outer).reshape(fits, d, d) + np.eye(d)
        coef -= np.linalg.solve(hessian, gradient[..., None])[..., 0]
    return coef


def evaluations(signal: float, seed: int, prompts: int = 40, k: int = 4, people: int = 8, choices: int = 25,
                d: int = 6, held_out: int | None = None, replicates: int = 0, **design) -> dict[str, float]:
    """One simulated run: the win rate of the policy's answers over the base's (ties a half) under the true reward
    (``truth``), the reward that picked them (``same``, learned on ``people``) and one learned on ``held_out`` other
    people (``cross``; as many by default), and the sign test's one-sided p-value of a gain under each learned reward
    (``p_same``, ``p_cross``). With ``replicates``, also the cross-fitted reward's verdict as align gives it
    (``refit_tests``' ``gain_p`` as ``p_refit``, ``refit_low`` its interval's lower end, ``gained_refit`` whether it
    is at most ``ALPHA``: none below ``FEW_PEOPLE`` judging people) and what the bootstrap alone would say without
    that rule (``gained_bare``). ``signal`` is the true reward's length (0: no answer serves the people better);
    ``design`` goes to ``choice_data``."""
    rng = np.random.default_rng(seed)
    true = signal * np.eye(d)[0]
    training = fitted_rewards(choice_data(true, people, choices, rng, **design))[0]
    other = choice_data(true, held_out or people, choices, rng, **design)
    cross = fitted_rewards(other)[0]
    candidates = rng.normal(size=(prompts, k, d))
    tuned = candidates[np.arange(prompts), (candidates @ training).argmax(axis=1)]
    difference = tuned - rng.normal(size=(prompts, d))
    margins = pd.DataFrame({"truth": difference @ true, "same": difference @ training, "cross": difference @ cross})
    rates = (np.sign(margins) / 2 + 0.5).mean()
    out = {**rates.to_dict(), "p_same": gain_p_value(margins["same"]), "p_cross": gain_p_value(margins["cross"])}
    if replicates:
        resample = np.random.default_rng([seed, 1])
        refits = fitted_rewards(other, np.stack([np.bincount(crossed_resample(other, resample), minlength=len(other))
                                                 for _ in range(replicates)]))
        signs = np.sign(difference @ refits.T).T[:, :, None]  # (replicates, prompts, 1)
        observed = np.sign(margins[["cross"]].to_numpy())
        rows, tests = refit_tests(observed, signs, ["cross"], 0.0, seed, people=[held_out or people])
        bare = refit_tests(observed, signs, ["cross"], 0.0, seed)[1].gain_p.iloc[0]
        out.update(p_refit=tests.gain_p.iloc[0], refit_low=rows.ci_low.iloc[0],
                   gained_refit=tests.gain_p.iloc[0] <= ALPHA, gained_bare=bare <= ALPHA)
    return out


def simulate(signal: float, runs: int, seed: int = 0, **sizes) -> pd.DataFrame:
    """``evaluations`` of ``runs`` seeded runs, one row each."""
    return pd.DataFrame([evaluations(signal, seed + r, **sizes) for r in range(runs)])
