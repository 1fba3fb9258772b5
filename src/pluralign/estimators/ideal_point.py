"""Each annotator a mix of K shared preference prototypes, with few-shot adaptation to new people (IdealPoint,
after PAL)."""

from __future__ import annotations

import numpy as np
from scipy.special import softmax

from ..data.choices import Choices
from ._start import spectral_start
from .latent import SharedRewards


def _mix_scale(n_people: int) -> float:
    """What IdealPoint divides its mix logits by while it optimises them. A prototype's weight sums every person's
    comparisons and a person's logit only their own, so the first's curvature is about the number of people times
    the second's; L-BFGS's one step length suits both better when the logits' is scaled up toward it. Measured from
    the spectral start, 52,650 comparisons of 900 people: 382 evaluations to settle unscaled, 181 at 3 (this rule),
    149 at 6 and 151 at 12 (a worse objective); 480 comparisons of 40 people (float64): 674 at 1, 557 at 2, 1,321 at 3."""
    return max(1.0, np.sqrt(n_people) / 10)


class IdealPoint(SharedRewards):
    """Each annotator's reward is their own mix of K shared preference prototypes (PAL's mixture model):
    r_a(x) = sum_k u_ak w_k·x with u_a on the simplex. ``adapt`` finds new annotators' mixes from a few of their
    comparisons with the prototypes fixed; annotators never seen get the population's average mix.

    Adapting is empirical Bayes over the fitted population: a new annotator's mix is the average of the fitted
    annotators' mixes (``weights_``), each weighted by how well it explains the new comparisons. With no comparisons
    it is the population's average; with many it settles on the mixes that fit the person, pure types included.

    Args:
        n_prototypes: K.
        alpha: L2 penalty on the prototypes; gamma: L2 penalty pulling each annotator's mix logits to the mean.
        max_iter: at most this many L-BFGS iterations (it stops sooner once settled). With 200 the simulated
            population's fit had not settled, and its metrics moved by up to 0.01 with the number of CPU threads
            (the order of sums); with 2000 every metric and type recovery agree on one and two threads.
        random_state: seed of the k-means that places the initial prototypes and mixes (``_start.spectral_start``).
    """

    _state = ("coef_", "annotators_", "mix_logits_", "adapted_annotators_", "adapted_weights_")
    _kind = "prototype"

    def __init__(self, n_prototypes: int = 4, alpha: float = 1e-2, gamma: float = 0.1, max_iter: int = 2000,
                 random_state: int | None = 0, dtype: str = "float64") -> None:
        self.n_prototypes = n_prototypes
        self.alpha = alpha
        self.gamma = gamma
        self.max_iter = max_iter
        self.random_state = random_state
        self.dtype = dtype

    def fit(self, choices: Choices) -> "IdealPoint":
        import torch

        from ._fit import chosen_log_probs, comparison_weights, lbfgs, masked_log_softmax, project, tensors, weighted

        features, cand, mask, chosen = tensors(choices, self._dtype())
        annotators, codes = np.unique(choices.annotator, return_inverse=True)
        coef, logits = spectral_start(choices, codes, len(annotators), self.n_prototypes, self.random_state)
        codes, scale = torch.from_numpy(codes), _mix_scale(len(annotators))
        weight = comparison_weights(choices, features.dtype)
        coef, scaled = (torch.as_tensor(x, dtype=features.dtype).requires_grad_() for x in (coef, logits / scale))

        def loss():
            logits = scale * scaled
            u = torch.softmax(logits, dim=1)[codes]  # (n, K)
            # (n, k, K) prototype scores times (n, K, 1) mixes: a batched product is 20% faster than * and sum here
            lp = masked_log_softmax(torch.bmm(project(features, coef)[cand], u.unsqueeze(2)).squeeze(2), mask)
            pull = logits - logits.mean(0)  # mixes shrink toward the population's
            return (-weighted(chosen_log_probs(lp, chosen), weight).sum() + self.alpha * (coef**2).sum()
                    + self.gamma * (pull**2).sum())

        lbfgs([coef, scaled], loss, self.max_iter)
        self.coef_ = coef.detach().numpy().T.copy()
        self.annotators_ = annotators
        self.mix_logits_ = scale * scaled.detach().numpy()
        return self.reset_adaptation()

    @property
    def weights_(self) -> np.ndarray:
        """(A, K) the prototype mix of every annotator seen in fit."""
        return softmax(self.mix_logits_, axis=1)

    @property
    def proportions_(self) -> np.ndarray:
        """(K,) the fitted people's average mix: each prototype's weight in the population."""
        return self.weights_.mean(0)

    def _evidence(self, choices: Choices) -> np.ndarray:
        """(n, A) each comparison's log-likelihood under each fitted person's reward."""
        import torch

        from ._fit import chosen_log_probs, masked_log_softmax, tensors

        features, cand, mask, chosen = tensors(choices, self._dtype())
        coef, mixes = (torch.as_tensor(x, dtype=features.dtype) for x in (self.coef_.T, self.weights_.T))
        with torch.no_grad():
            scores = (features @ coef)[cand] @ mixes  # (m, K) prototype rewards, then (n, k, A) only where offered
            return chosen_log_probs(masked_log_softmax(scores, mask), chosen).numpy()

    def _evidence_width(self) -> int:
        return len(self.annotators_)

    def population(self) -> tuple[np.ndarray, np.ndarray]:
        """The fitted people's mixes, equally: the empirical-Bayes prior ``adapt`` weighs."""
        self._check_fitted()
        return self.weights_, np.full(len(self.annotators_), 1 / len(self.annotators_))

    def _posterior(self, log_likelihood: np.ndarray) -> np.ndarray:
        """The fitted people's mixes, each weighted by how well it explains the person's comparisons."""
        return softmax(log_likelihood) @ self.weights_

    def predict_proba(self, choices: Choices) -> np.ndarray:
        import torch

        from ._fit import masked_log_softmax, tensors

        self._check_fitted()
        features, cand, mask, _ = tensors(choices, self._dtype())
        item = features.numpy() @ self.coef_.T  # (m, K)
        scores = np.einsum("nkt,nt->nk", item[cand.numpy()], self.mixing_weights(choices.annotator))
        return masked_log_softmax(torch.from_numpy(scores), mask).exp().numpy()
