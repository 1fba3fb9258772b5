"""One reward for everyone (BradleyTerry), and one per group with shared strength (GroupBradleyTerry)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..data.choices import Choices
from .base import ChoiceEstimator

if TYPE_CHECKING:
    import torch


def _iterations(max_iter: int, times: np.ndarray | None) -> int:
    """L-BFGS's iterations for one fit, or for B resamples fitted at once as many as their B fits together may take:
    the sum's curvature has B times the directions, so it takes more than one fit (704 evaluations for 200 resamples
    of 80 choices of 768 simulated features, 187 a separate fit: benchmarks/RESULTS.md); stopped at ``max_iter`` it
    would stop short of the separate fits, which its tolerances, on the sum, otherwise hold each resample to."""
    return max_iter * (1 if times is None else len(times))


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
        self.objective_, self.coef_ = self._minimise(choices)
        return self

    def fit_resamples(self, choices: Choices, times: np.ndarray) -> list["BradleyTerry"]:
        """One fitted copy per row of ``times`` ((B, n): how many times a resample takes each comparison, e.g. a
        bootstrap replicate's draws), each the fit ``fit`` gives on that resample's rows, all B fitted at once: their
        objectives' sum is one L-BFGS problem whose minimum is every resample's own (``CrossFit.refits``)."""
        return [self._copy(coef_=coef) for coef in self._minimise(choices, times)[1]]

    def _minimise(self, choices: Choices, times: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """The objective's minimum on ``choices`` and the coefficients (d,) there; with ``times``, the sum of the B
        resamples' minima and their coefficients (B, d)."""
        import torch  # in each method that computes, not at the top (see _fit.py)

        from ._fit import comparison_weights, lbfgs, tensors

        data = tensors(choices, self._dtype())
        weight = comparison_weights(choices, data[0].dtype, times)
        batch = () if times is None else (len(times),)
        w = torch.zeros((*batch, data[0].shape[1]), dtype=data[0].dtype, requires_grad=True)
        objective = lbfgs([w], lambda: self._loss(data, weight, w), _iterations(self.max_iter, times))
        return objective, w.detach().numpy().copy()

    def _loss(self, data: tuple[torch.Tensor, ...], weight: torch.Tensor | None, w: torch.Tensor) -> torch.Tensor:
        """The objective ``fit`` minimises at coefficients ``w`` (d,) with ``weight`` (n,) or None; at (B, d) with
        (n, B), the sum of B fits' objectives, row b of ``w`` and column b of ``weight`` one fit's."""
        from ._fit import chosen_log_probs, choice_log_probs, project, weighted

        features, cand, mask, chosen = data
        lp = chosen_log_probs(choice_log_probs(project(features, w.movedim(0, -1)), cand, mask), chosen)
        return -weighted(lp, weight).sum() + self.alpha * (w**2).sum()

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
        self.objective_, self.coef_, self.group_coef_, self.groups_ = self._minimise(choices)
        return self

    def fit_resamples(self, choices: Choices, times: np.ndarray) -> list["GroupBradleyTerry"]:
        """One fitted copy per row of ``times`` ((B, n) counts of each comparison in each resample), all fitted at
        once, as ``BradleyTerry.fit_resamples``. Each knows every group of ``choices``: a group its resample leaves
        out keeps a deviation of 0 (the shared reward, as ``predict_proba`` gives a group it did not see)."""
        _, shared, deviation, groups = self._minimise(choices, times)
        return [self._copy(coef_=coef, group_coef_=group_coef, groups_=groups)
                for coef, group_coef in zip(shared, deviation)]

    def _minimise(self, choices: Choices, times: np.ndarray | None = None
                  ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """The objective's minimum on ``choices``, the shared coefficients (d,) and deviations (G, d) there, and the
        groups; with ``times``, the sum of the B resamples' minima and their coefficients (B, d) and (B, G, d)."""
        import torch

        from ._fit import comparison_weights, lbfgs, tensors

        groups, codes = self._groups(choices)
        data = tensors(choices, self._dtype())
        weight, batch = comparison_weights(choices, data[0].dtype, times), () if times is None else (len(times),)
        shared = torch.zeros((*batch, data[0].shape[1]), dtype=data[0].dtype, requires_grad=True)
        deviation = torch.zeros((*batch, len(groups), data[0].shape[1]), dtype=data[0].dtype, requires_grad=True)
        objective = lbfgs([shared, deviation], lambda: self._loss(data, codes, weight, shared, deviation),
                          _iterations(self.max_iter, times))
        return objective, shared.detach().numpy().copy(), deviation.detach().numpy().copy(), groups

    @staticmethod
    def _groups(choices: Choices) -> tuple[np.ndarray, torch.Tensor]:
        """The distinct groups and each comparison's group's index among them."""
        if choices.group is None:
            raise ValueError("GroupBradleyTerry needs a group for each comparison (Choices.group)")
        import torch

        groups, codes = np.unique(choices.group.astype(str), return_inverse=True)
        return groups, torch.from_numpy(codes)

    def _loss(self, data: tuple[torch.Tensor, ...], codes: torch.Tensor, weight: torch.Tensor | None,
              shared: torch.Tensor, deviation: torch.Tensor) -> torch.Tensor:
        """The objective ``fit`` minimises at ``shared`` (d,) and ``deviation`` (G, d) with ``weight`` (n,) or None;
        at (B, d) and (B, G, d) with (n, B), the sum of B fits' objectives (``fit_resamples``)."""
        from ._fit import chosen_log_probs, masked_log_softmax, project, weighted

        features, cand, mask, chosen = data
        coef = shared.unsqueeze(-2) + deviation  # (G, d) or (B, G, d)
        # Every item scored under every reward ((m, G), or (m, G, B)), then each comparison reads its group's.
        item = project(features, coef.reshape(-1, coef.shape[-1]).T).view(len(features), *coef.shape[:-1])
        lp = masked_log_softmax(item.movedim(1, -1)[cand, codes.unsqueeze(1)], mask)
        return (-weighted(chosen_log_probs(lp, chosen), weight).sum() + self.alpha * (shared**2).sum()
                + self.shrinkage * (deviation**2).sum())

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
