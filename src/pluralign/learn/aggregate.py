"""Whose preferences should a single policy follow? Aggregate the rewards of groups or latent types explicitly,
by a named rule, instead of letting one Bradley-Terry fit average them implicitly (DPL shows it Borda-counts)."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..data.choices import Choices
from ..estimators.bradley_terry import GroupBradleyTerry
from ..estimators.latent import SharedRewards, reward_log_probs

RULES = ("utilitarian", "maxmin", "borda")


def aggregate(probs: np.ndarray, weights: np.ndarray, rule: str, mask: np.ndarray | None = None) -> np.ndarray:
    """Combine per-group choice probabilities (n, k, G) into one score per candidate (n, k).

    Rules:
        utilitarian: the weighted mean probability (the expected share of people who would pick it);
        maxmin: the smallest probability over groups (serve the worst-off group, as MaxMin-RLHF);
        borda: the weighted mean number of offered candidates it beats in each group's ranking.
    Padding candidates (``mask`` False) score -inf.
    """
    if rule not in RULES:
        raise ValueError(f"unknown aggregation rule {rule!r}; choose from {', '.join(RULES)}")
    mask = np.ones(probs.shape[:2], dtype=bool) if mask is None else mask
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    if rule == "utilitarian":
        scores = probs @ weights
    elif rule == "maxmin":
        scores = np.where(mask[:, :, None], probs, np.inf).min(axis=2)
    else:
        filled = np.where(mask[:, :, None], probs, -np.inf)
        beats = (filled[:, :, None, :] > filled[:, None, :, :]).sum(axis=2)  # (n, k, G)
        scores = beats @ weights
    return np.where(mask, scores, -np.inf)


def group_probabilities(model, choices: Choices) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Choice probabilities under each group's or type's reward (n, k, G), their weights, and their names."""
    check_is_fitted(model)
    if isinstance(model, SharedRewards):
        return reward_log_probs(model, choices).exp().numpy(), model.proportions_, model.reward_names_
    if isinstance(model, GroupBradleyTerry):
        per_group = []
        for g in model.groups_:
            relabelled = Choices(choices.features, choices.candidates, choices.chosen, choices.annotator,
                                 np.full(len(choices), g))
            per_group.append(model.predict_proba(relabelled))
        return np.stack(per_group, axis=2), np.ones(len(model.groups_)), [str(g) for g in model.groups_]
    raise TypeError(f"{type(model).__name__} has one reward for everyone; there is nothing to aggregate")


def policy_scores(model, choices: Choices, rule: str, weights: np.ndarray | None = None) -> np.ndarray:
    """(n, k) scores of a policy that follows the model's groups or types by ``rule``; argmax picks its response.

    ``weights`` overrides the model's group weights (type proportions, average mixes, or equal groups)."""
    probs, own, _ = group_probabilities(model, choices)
    return aggregate(probs, own if weights is None else weights, rule, choices.mask)
