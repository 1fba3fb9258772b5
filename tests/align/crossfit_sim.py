"""A simulation of align's evaluation with a known answer, without a language model: a Bradley-Terry reward is learned
from one set of simulated people, a policy picks, for each held-out prompt, the best of k answers under
it (selection stands in for training on that reward's pairs), and the policy's answer is compared with a base answer
under the same reward, under a reward learned on other people (cross-fit), and under the people's true reward."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sklearn.linear_model import LogisticRegression

from pluralign.align.outcome import gain_p_value


def learned_reward(true: np.ndarray, people: int, choices: int, rng: np.random.Generator) -> np.ndarray:
    """A Bradley-Terry reward's coefficients fitted on ``people`` × ``choices`` pairwise choices of random answers
    (features N(0, I)), each chosen with the Bradley-Terry probability of the true reward ``true``. For two answers
    Bradley-Terry is a logistic regression on their difference without intercept (fitted with sklearn's, L2 as
    BradleyTerry's: milliseconds, where a torch fit takes a second under load)."""
    n = people * choices
    difference = rng.normal(size=(n, len(true))) - rng.normal(size=(n, len(true)))
    first = rng.random(n) < 1 / (1 + np.exp(-difference @ true))
    return LogisticRegression(fit_intercept=False).fit(difference, first).coef_[0]


def evaluations(signal: float, seed: int, prompts: int = 40, k: int = 4, people: int = 8, choices: int = 25,
                d: int = 6) -> dict[str, float]:
    """One simulated run: the win rate of the policy's answers over the base's (ties a half) under the true reward
    (``truth``), the reward that picked them (``same``) and one learned on other people (``cross``), and the sign
    test's one-sided p-value of a gain under each learned reward (``p_same``, ``p_cross``). ``signal`` is the true
    reward's length (0: people choose at random, and no answer serves them better)."""
    rng = np.random.default_rng(seed)
    true = signal * np.eye(d)[0]
    training, other = (learned_reward(true, people, choices, rng) for _ in range(2))
    candidates = rng.normal(size=(prompts, k, d))
    tuned = candidates[np.arange(prompts), (candidates @ training).argmax(axis=1)]
    difference = tuned - rng.normal(size=(prompts, d))
    margins = pd.DataFrame({"truth": difference @ true, "same": difference @ training, "cross": difference @ other})
    rates = (np.sign(margins) / 2 + 0.5).mean()
    return {**rates.to_dict(), "p_same": gain_p_value(margins["same"]), "p_cross": gain_p_value(margins["cross"])}


def simulate(signal: float, runs: int, seed: int = 0, **sizes) -> pd.DataFrame:
    """``evaluations`` of ``runs`` seeded runs, one row each."""
    return pd.DataFrame([evaluations(signal, seed + r, **sizes) for r in range(runs)])
