"""Annotators with latent types (or continuous ideal points) choosing best-of-k among candidates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..data.choices import Choices


@dataclass
class Population:
    """A simulated population and its choices.

    Attributes:
        choices: the comparisons, with features, conversations and prompts, as estimators take them.
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
    turns: int = 4,
    people_per_prompt: int = 10,
    sharpness: float = 3.0,
    group_agreement: float = 0.8,
    ideal_points: bool = False,
    random_state: int = 0,
) -> Population:
    """Simulate annotators of K latent types choosing the best of ``n_candidates`` responses.

    Each type k has a unit reward direction; an annotator's utility for a candidate x is
    ``sharpness * (mix · directions) · x`` plus Gumbel noise, so choices follow a softmax (Plackett-Luce) with
    that temperature. Candidate features are standard normal.

    Comparisons come in conversations of ``turns`` (as Community Alignment's, of up to four turns), each opened by
    a prompt that about ``people_per_prompt`` annotators see. A conversation's first turn offers its prompt's
    candidates, the same for everyone who sees that prompt; later turns offer fresh ones. So comparisons of one
    conversation, and of one prompt across people, are not independent, as in real data.

    Args:
        proportions: share of annotators of each type (the minority types are the small ones).
        turns: comparisons per conversation (an annotator's last conversation may be shorter).
        people_per_prompt: about how many conversations open with each prompt.
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
    position = np.tile(np.arange(comparisons_per_annotator), n_annotators)
    per_person = -(-comparisons_per_annotator // turns)
    conversation = annotator * per_person + position // turns
    n_prompts = max(1, n_annotators * per_person // people_per_prompt)
    prompt = rng.integers(n_prompts, size=n_annotators * per_person)[conversation]
    later = position % turns > 0
    # the first n_prompts blocks of k feature rows are the prompts' shared candidates; each later turn has its own
    block = np.where(later, n_prompts + np.cumsum(later) - 1, prompt)
    candidates = block[:, None] * n_candidates + np.arange(n_candidates)
    features = rng.standard_normal(size=((n_prompts + later.sum()) * n_candidates, n_features), dtype=np.float32)
    weights = sharpness * (mixes @ directions)  # (A, d)
    utility = rng.gumbel(size=(n, n_candidates))
    for start in range(0, n, 50_000):  # in chunks, so memory stays near the size of the features themselves
        rows = slice(start, start + 50_000)
        utility[rows] += np.einsum("nkd,nd->nk", features[candidates[rows]], weights[annotator[rows]])
    chosen = utility.argmax(axis=1)
    table = pd.DataFrame({"annotator": np.arange(n_annotators), "type": types, "group": [f"g{g}" for g in groups]})
    choices = Choices(features, candidates, chosen, annotator, table["group"].to_numpy()[annotator],
                      conversation=conversation, prompt=prompt)
    return Population(choices, table, directions, mixes)
