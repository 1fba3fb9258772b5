"""One reward for everyone (BradleyTerry), and one per group with shared strength (GroupBradleyTerry)."""

from __future__ import annotations

import numpy as np

from ..data.choices import Choices
from .base import ChoiceEstimator


class BradleyTerry(ChoiceEstimator):
    """A linear reward r(x) = w·x learned from best-of-k choices (Plackett-Luce first choice; k = 2 is
    Bradley-Terry). The baseline every pluralistic method is measured against.

    Args:
        alpha: L2 penalty on w, added to the summed negative log-likelihood (choix's convention).
        max_iter: L-BFGS iterations.

    ``fit`` weighs each comparison's log-likelihood by ``choices.weight`` where it is given (e.g. ``design_weights``
    of an active study: the reward of the population the reference design samples, docs/methods.md#design-weights).
    """

    _state = ("coef_",)

    def __init__(self, alpha: float = 1e-2, max_iter: int = 500, dtype: str = "float64") -> None:
        self.alpha = alpha
        self.max_iter = max_iter
        self.dtype = dtype

    def fit(self, choices: Choices) -> "BradleyTerry":
        import torch  # in each method that computes, not at the top (see _fit.py)

        from ._fit import chosen_log_probs, choice_log_probs, comparison_weights, lbfgs, project, tensors, weighted

        features, cand, mask, chosen = tensors(choices, self._dtype())
        weight = comparison_weights(choices, features.dtype)
        w = torch.zeros(features.shape[1], dtype=features.dtype, requires_grad=True)

        def loss():
            lp = chosen_log_probs(choice_log_probs(project(features, w), cand, mask), chosen)
            return -weighted(lp, weight).sum() + self.alpha * (w**2).sum()

        self.objective_ = lbfgs([w], loss, self.max_iter)
        self.coef_ = w.detach().numpy().copy()
        return self

    def reward(self, features: np.ndarray) -> np.ndarray:
        """The learned reward of each row of ``features``."""
        self._check_fitted()
        return np.asarray(features) @ self.coef_

    def predict_proba(self, choices: Choices) -> np.ndarray:
        import torch

        from ._fit import choice_log_probs, tensors

        self._check_fitted()
        features, cand, mask, _ = tensors(choices, self._dtype())
        with torch.no_grad():
            return choice_log_probs(features @ torch.as_tensor(self.coef_, dtype=features.dtype), cand, mask).exp().numpy()


class GroupBradleyTerry(ChoiceEstimator):
    """A reward per group (e.g. country or age band) = a shared part + a group deviation shrunk toward zero, so
    small groups borrow strength from the rest.

    Args:
        shrinkage: L2 penalty on each group's deviation; large values give one shared reward.
        alpha: L2 penalty on the shared part.
    """

    _state = ("coef_", "group_coef_", "groups_")

    def __init__(self, shrinkage: float = 1.0, alpha: float = 1e-2, max_iter: int = 500, dtype: str = "float64") -> None:
        self.shrinkage = shrinkage
        self.alpha = alpha
        self.max_iter = max_iter
        self.dtype = dtype

    def fit(self, choices: Choices) -> "GroupBradleyTerry":
        if choices.group is None:
            raise ValueError("GroupBradleyTerry needs a group for each comparison (Choices.group)")
        import torch

        from ._fit import chosen_log_probs, comparison_weights, lbfgs, masked_log_softmax, project, tensors, weighted

        features, cand, mask, chosen = tensors(choices, self._dtype())
        groups, codes = np.unique(choices.group.astype(str), return_inverse=True)
        codes, weight = torch.from_numpy(codes), comparison_weights(choices, features.dtype)
        d = features.shape[1]
        shared = torch.zeros(d, dtype=features.dtype, requires_grad=True)
        deviation = torch.zeros((len(groups), d), dtype=features.dtype, requires_grad=True)

        def loss():
            # Every item scored under every group's reward, then each comparison reads its own group's column.
            item = project(features, (shared.unsqueeze(0) + deviation).T)  # (m, G)
            lp = masked_log_softmax(item[cand, codes.unsqueeze(1)], mask)
            return (-weighted(chosen_log_probs(lp, chosen), weight).sum() + self.alpha * (shared**2).sum()
                    + self.shrinkage * (deviation**2).sum())

        self.objective_ = lbfgs([shared, deviation], loss, self.max_iter)
        self.coef_ = shared.detach().numpy().copy()
        self.group_coef_ = deviation.detach().numpy().copy()
        self.groups_ = groups
        return self

    def predict_proba(self, choices: Choices) -> np.ndarray:
        """Probabilities under each comparison's group reward (the shared reward for groups not seen in fit)."""
        import torch

        from ._fit import masked_log_softmax, tensors

        self._check_fitted()
        features, cand, mask, _ = tensors(choices, self._dtype())
        index = {g: i for i, g in enumerate(self.groups_)}
        coef = np.tile(self.coef_, (len(choices), 1))
        if choices.group is not None:
            for i, g in enumerate(choices.group.astype(str)):
                if g in index:
                    coef[i] += self.group_coef_[index[g]]
        with torch.no_grad():
            scores = (features[cand] * torch.as_tensor(coef, dtype=features.dtype).unsqueeze(1)).sum(-1)
            return masked_log_softmax(scores, mask).exp().numpy()
