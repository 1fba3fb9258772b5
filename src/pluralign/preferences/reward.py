"""A learned reward as scalar functions of (context, response), one per group, latent type or prototype: what a judge
scores answers with and what a trainer optimises.

The estimators learn a linear reward over a candidate's features (``features.interaction_features``: the response's
embedding and its product with the context's). Under a Bradley-Terry model only differences between candidates for
the same context are identified, so compare rewards of answers to the same prompt: ``sigmoid(r(a) - r(b))`` is the
probability that the group prefers a to b.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..embed import Embedder
from ..runs import RunError, read_manifest
from .base import ChoiceEstimator
from .bradley_terry import BradleyTerry, GroupBradleyTerry
from .features import context_text, interaction_features
from .latent import SharedRewards

Context = str | Sequence[dict]  # a prompt, or the chat messages before the response


def reward_heads(model: ChoiceEstimator) -> tuple[list[str], np.ndarray, np.ndarray]:
    """A fitted estimator's rewards: their names, their coefficients (G, d) and the population's weight of each.

    Latent types and prototypes weigh by their share of the people seen in training; groups weigh equally (the learn
    run keeps no group sizes); one shared reward is called ``everyone``."""
    if isinstance(model, SharedRewards):
        return list(model.reward_names_), np.asarray(model.coef_), np.asarray(model.proportions_, dtype=float)
    if isinstance(model, GroupBradleyTerry):
        coef = model.coef_[None, :] + model.group_coef_
        return [str(g) for g in model.groups_], coef, np.ones(len(coef))
    if isinstance(model, BradleyTerry):
        return ["everyone"], np.asarray(model.coef_)[None, :], np.ones(1)
    raise TypeError(f"{type(model).__name__} has no reward to score answers with")


class GroupRewards:
    """The rewards of a fitted estimator over texts: ``rewards(contexts, responses)`` is (n, G), one column per group,
    type or prototype (``names``), weighed in the population by ``weights`` (summing to 1).

    Args:
        model: a fitted estimator learned on embedded texts (not on simulated feature vectors).
        embedder: the embedder its features came from (the learn job's: the embedded MiniLM).
    """

    def __init__(self, model: ChoiceEstimator, embedder: Embedder) -> None:
        self.model, self.embedder = model, embedder
        self.names, self.coef, weights = reward_heads(model)
        self.weights = weights / weights.sum()

    @classmethod
    def from_run(cls, run_dir: str | Path, embedder: Embedder | None = None) -> "GroupRewards":
        """The reward a ``learn`` run fitted (``model.npz``); RunError when the run is not a learn run on texts."""
        manifest = read_manifest(run_dir)
        if manifest.get("job") != "learn":
            raise RunError(f"{run_dir} is a '{manifest.get('job')}' run; a reward comes from a 'learn' run")
        if manifest["config"].get("data") == "simulated":
            raise RunError(f"{run_dir} learned from simulated feature vectors, not from texts, so its reward cannot "
                           "score answers; learn from comparisons of texts (ca:, comparisons:, collect:, trl:, prism:)")
        path = Path(run_dir) / "model.npz"
        if not path.exists():
            raise RunError(f"{run_dir} has no fitted model (model.npz): let `pluralign learn` finish first")
        if embedder is None:
            from ..embed import SentenceEmbedder

            embedder = SentenceEmbedder()
        return cls(ChoiceEstimator.load(path), embedder)

    def features(self, contexts: Sequence[Context], responses: Sequence[str]) -> np.ndarray:
        """Each response's feature row, as the learn job made them (``interaction_features``)."""
        if len(contexts) != len(responses):
            raise ValueError(f"{len(contexts)} contexts for {len(responses)} responses")
        # a prompt is the one user message it was in the comparisons the reward learned from
        texts = [context_text([{"role": "user", "content": c}] if isinstance(c, str) else list(c)) for c in contexts]
        vectors = self.embedder.embed([*responses, *texts])
        return interaction_features(vectors[: len(responses)], vectors[len(responses) :])

    def __call__(self, contexts: Sequence[Context], responses: Sequence[str]) -> np.ndarray:
        """(n, G) reward of each response to its context under each group's reward."""
        if not len(responses):
            return np.zeros((0, len(self.names)))
        return self.features(contexts, responses) @ self.coef.T
