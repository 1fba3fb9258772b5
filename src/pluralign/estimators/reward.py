"""A learned reward as scalar functions of (context, response), one per group, latent type or prototype: what a judge
scores answers with and what a trainer optimises.

The estimators learn a linear reward over a candidate's features (``features.interaction_features``: the response's
embedding and its product with the context's). Under a Bradley-Terry model only differences between candidates for
the same context are identified, so compare rewards of answers to the same prompt: ``sigmoid(r(a) - r(b))`` is the
probability that the group prefers a to b.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..data import comparisons_from, to_trl_pairwise, warn_left_out
from ..embed import Embedder
from ..errors import InputError
from ..runs import RunError, learned_model_file, read_manifest
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


def learned_model(run_dir: str | Path) -> ChoiceEstimator:
    """The estimator a ``learn`` run on texts fitted; RunError for another job's run, a run on simulated feature
    vectors, or one that has not finished fitting (``runs.learned_model_file``)."""
    return ChoiceEstimator.load(learned_model_file(run_dir))


def trl_pairs(run_dir: str | Path) -> pd.DataFrame:
    """The comparisons a learn run learned from, in TRL's pairwise shape (``to_trl_pairwise``: every person's columns
    kept), and for a mixture or ideal-point run each person's weight on every type or prototype (``weight: <name>``)
    and the heaviest (``type``). People the run held out of fitting get the population's weights."""
    model = learned_model(run_dir)
    config = read_manifest(run_dir)["config"]
    comparisons, annotators = comparisons_from(config["data"], config.get("annotators"))
    warn_left_out(comparisons, config["data"])
    pairs = to_trl_pairwise(comparisons, annotators)
    if isinstance(model, SharedRewards) and len(pairs):
        weights = model.mixing_weights(pairs["annotator_id"].astype(str).to_numpy())
        pairs["type"] = np.asarray(model.reward_names_, dtype=object)[weights.argmax(1)]
        pairs = pairs.assign(**{f"weight: {name}": weights[:, j] for j, name in enumerate(model.reward_names_)})
    return pairs


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
        """The reward a ``learn`` run fitted (``model.npz``), scoring with ``embedder`` (default: the embedded MiniLM);
        RunError when the run is not a learn run on texts, or when its features came from another embedder (their
        rewards would score a different space: the same check as a trained value scorer's)."""
        model = learned_model(run_dir)
        if embedder is None:
            from ..embed import SentenceEmbedder

            embedder = SentenceEmbedder()
        learned = read_manifest(run_dir).get("embedder")
        if learned != embedder.fingerprint:
            said = f"embeddings of {learned}" if learned else "embeddings it did not record (an older pluralign)"
            raise RunError(f"{run_dir} learned its reward on {said}, not on {embedder.fingerprint}: score with the "
                           "embedder it learned with, or run `pluralign learn` again")
        return cls(model, embedder)

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

    def reward_function(self, name: str) -> Callable[..., list[float]]:
        """The reward ``name`` as a TRL reward function (``GRPOTrainer(reward_funcs=...)``, ``RLOOTrainer``): it takes a
        batch's ``prompts`` and ``completions``, plain strings or chat messages, and returns a float per completion.
        TRL logs it as ``rewards/pluralign_<name>``."""
        if name not in self.names:
            raise InputError(f"no reward named {name!r}; there are: {', '.join(self.names)}")
        column = self.names.index(name)

        def reward(prompts: Sequence[Context], completions: Sequence[str | Sequence[dict]], **_) -> list[float]:
            texts = [c if isinstance(c, str) else c[-1]["content"] for c in completions]
            return self(list(prompts), texts)[:, column].tolist()

        reward.__name__ = "pluralign_" + "_".join(name.split())
        return reward
