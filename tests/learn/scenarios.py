"""Seeded simulations of people who rank answers, with lower ranks that carry signal or are pure noise, shared by
``test_rankings.py`` and ``benchmarks/rankings_gain.py``.

People share a linear taste (each with a personal deviation) over answers' features; each prompt offers its own four
answers to every person. A person's first choice follows Plackett–Luce on their utilities; the rest of their ranking
follows it too (``signal``) or is a random order of the answers left (``noise``: the extreme of Hausman & Ruud's
noisier lower ranks). The same estimator is fitted on the rankings and on the first choices alone, and
``rankings_gain`` scores both on unseen people answering unseen prompts. The true gain is the two fitted models'
expected difference over 100,000 fresh people, each on a fresh prompt, from their true choice probabilities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pluralign.data.choices import Choices, with_rankings
from pluralign.learn import BradleyTerry, ChoiceEstimator
from pluralign.estimators.evaluate import rankings_gain

FEATURES, ANSWERS, SPREAD = 8, 4, 0.5  # answer features, answers per prompt, sd of a person's taste about the shared


def _crossed(people: int, prompts: int) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``people`` answers each of ``prompts``: the person and the prompt of every comparison."""
    return tuple(a.ravel() for a in np.meshgrid(np.arange(people), np.arange(prompts), indexing="ij"))


def _ranked(rng: np.random.Generator, taste: np.ndarray, person: np.ndarray, prompt: np.ndarray, lower_ranks: str
            ) -> tuple[Choices, np.ndarray, np.ndarray]:
    """Comparisons of ``person`` on ``prompt``: the first choices, each one's ranking (positions best first) and the
    people's choice probabilities."""
    tastes = taste + SPREAD * rng.standard_normal((person.max() + 1, FEATURES))
    answers = rng.standard_normal((prompt.max() + 1, ANSWERS, FEATURES))
    utility = np.einsum("nkd,nd->nk", answers[prompt], tastes[person])
    order = np.argsort(-(utility + rng.gumbel(size=utility.shape)), axis=1)
    if lower_ranks == "noise":
        order[:, 1:] = rng.permuted(order[:, 1:], axis=1)
    probability = np.exp(utility - utility.max(axis=1, keepdims=True))
    choices = Choices(answers[prompt].reshape(-1, FEATURES), np.arange(len(person) * ANSWERS).reshape(-1, ANSWERS),
                      order[:, 0], person, prompt=prompt)
    return choices, order, probability / probability.sum(axis=1, keepdims=True)


def _expected(model: ChoiceEstimator, choices: Choices, probability: np.ndarray) -> tuple[float, float]:
    """The model's expected accuracy and log-loss over the people's true choice probabilities (answers' features
    are continuous, so the model's top answer is never tied)."""
    p = model.predict_proba(choices)
    correct = probability[np.arange(len(p)), p.argmax(axis=1)]
    return float(correct.mean()), float(-(probability * np.log(p)).sum(axis=1).mean())


def rankings_gain_run(seed: int, lower_ranks: str, train: tuple[int, int] = (10, 20),
                      test: tuple[int, int] = (40, 60), n_boot: int = 200) -> pd.DataFrame:
    """``rankings_gain``'s rows for one simulated study (``train`` and ``test``: people × prompts), with ``truth``."""
    rng = np.random.default_rng(seed)
    taste = rng.standard_normal(FEATURES)
    choices, order, _ = _ranked(rng, taste, *_crossed(*train), lower_ranks)
    ranked = BradleyTerry().fit(with_rankings(choices, list(order)))
    first = BradleyTerry().fit(choices)
    held, _, _ = _ranked(rng, taste, *_crossed(*test), lower_ranks)
    each = np.arange(100_000)  # a new person on a new prompt each: the truth within a few thousandths
    fresh, _, probability = _ranked(rng, taste, each, each, lower_ranks)
    (ranked_right, ranked_loss), (first_right, first_loss) = (_expected(m, fresh, probability) for m in (ranked, first))
    truth = {"rankings_accuracy_gain": ranked_right - first_right, "rankings_log_loss_gain": first_loss - ranked_loss}
    rows = rankings_gain(ranked, first, held, n_boot=n_boot, seed=seed)
    return rows.assign(truth=rows["metric"].map(truth))
