"""Annotators with latent types (or continuous ideal points) choosing best-of-k among candidates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..preferences.choices import Choices


@dataclass
class Population:
    """A simulated population and its choices.

    Attributes:
        choices: the comparisons, with features, as estimators take them.
        annotators: one row per annotator: ``annotator``, ``type`` (latent, the truth), ``group`` (an observed
            demographic that agrees with the type with the chosen strength).
        directions: (K, d) the reward direction of each type (unit vectors).
        mixes: (A, K) each annotator's mix of the directions (one-hot for pure types).
    """

    choices: Choices
    annotators: pd.DataFrame
    directions: np.ndarray
    mixes: np.ndarray


def simulate_population(
    n_annotators: int = 200,
    proportions: Sequence[float] = (0.4, 0.3, 0.2, 0.1),
    comparisons_per_annotator: int = 40,
    n_candidates: int = 4,
    n_features: int = 16,
    sharpness: float = 3.0,
    group_agreement: float = 0.8,
    ideal_points: bool = False,
    random_state: int = 0,
) -> Population:
    """Simulate annotators of K latent types choosing the best of ``n_candidates`` responses.

    Each type k has a unit reward direction; an annotator's utility for a candidate x is
    ``sharpness * (mix · directions) · x`` plus Gumbel noise, so choices follow a softmax (Plackett-Luce) with
    that temperature. Candidate features are standard normal, fresh for every comparison.

    Args:
        proportions: share of annotators of each type (the minority types are the small ones).
        sharpness: how deterministic choices are (higher: less noise).
        group_agreement: probability that an annotator's observed ``group`` equals their type; the rest are
            spread evenly over the other groups (1/K: demographics say nothing).
        ideal_points: each annotator a Dirichlet mix of the directions around their type, instead of a pure type.
    """
    rng = np.random.default_rng(random_state)
    k = len(proportions)
    directions = rng.normal(size=(k, n_features))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    types = rng.choice(k, size=n_annotators, p=np.asarray(proportions) / np.sum(proportions))
    mixes = np.eye(k)[types]
    if ideal_points:
        mixes = np.vstack([rng.dirichlet(np.where(np.arange(k) == t, 8.0, 1.0)) for t in types])
    others = (types + rng.integers(1, k, size=n_annotators)) % k if k > 1 else types
    groups = np.where(rng.random(n_annotators) < group_agreement, types, others)

    n = n_annotators * comparisons_per_annotator
    annotator = np.repeat(np.arange(n_annotators), comparisons_per_annotator)
    features = rng.standard_normal(size=(n * n_candidates, n_features), dtype=np.float32)
    candidates = np.arange(n * n_candidates).reshape(n, n_candidates)
    weights = sharpness * (mixes @ directions)  # (A, d)
    utility = rng.gumbel(size=(n, n_candidates))
    for start in range(0, n, 50_000):  # in chunks, so memory stays near the size of the features themselves
        rows = slice(start, start + 50_000)
        utility[rows] += np.einsum("nkd,nd->nk", features[candidates[rows]], weights[annotator[rows]])
    chosen = utility.argmax(axis=1)
    table = pd.DataFrame({"annotator": np.arange(n_annotators), "type": types, "group": [f"g{g}" for g in groups]})
    choices = Choices(features, candidates, chosen, annotator, table["group"].to_numpy()[annotator])
    return Population(choices, table, directions, mixes)
