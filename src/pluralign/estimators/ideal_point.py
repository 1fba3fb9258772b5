"""Each annotator a mix of K shared preference prototypes, with few-shot adaptation to new people (IdealPoint,
after PAL)."""

from __future__ import annotations

import numpy as np
from scipy.special import softmax

from ..data.choices import Choices
from ._start import spectral_start
from .latent import SharedRewards, _codes


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
    comparisons with the prototypes fixed.

    Adapting is empirical Bayes over the fitted population: each fitted annotator's mix (``weights_``) is a
    hypothesis about the new one, weighted by how well it explains the new comparisons (``adapted_posteriors_``);
    ``mixing_weights`` gives their weighted average mix. With no comparisons every fitted mix counts alike; with many
    the weight settles on the mixes that fit the person, pure types included. A new or unseen annotator's choices
    are predicted by averaging the fitted mixes' choice probabilities with those weights (the posterior predictive,
    what a mixture predicts too), not by the choice of the average mix: an unseen person is predicted as
    ``population_proba`` predicts anyone (docs/methods.md#fitting-ideal-points).

    Args:
        n_prototypes: K.
        alpha: L2 penalty on the prototypes; gamma: L2 penalty pulling each annotator's mix logits to the mean.
        max_iter: at most this many L-BFGS iterations (it stops sooner once settled). With 200 the simulated
            population's fit had not settled, and its metrics moved by up to 0.01 with the number of CPU threads
            (the order of sums); with 2000 every metric and type recovery agree on one and two threads.
        random_state: seed of the k-means that places the initial prototypes and mixes (``_start.spectral_start``).
    """

    _state = ("coef_", "annotators_", "mix_logits_", "adapted_annotators_", "adapted_weights_", "adapted_posteriors_")
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

    def _adapted(self, log_likelihood: np.ndarray) -> dict[str, np.ndarray]:
        """Each new person's average mix, and their weight on each fitted person's mix (their posterior, (people, A))."""
        return {**super()._adapted(log_likelihood), "adapted_posteriors_": softmax(log_likelihood, axis=1)}

    def reset_adaptation(self) -> "IdealPoint":
        super().reset_adaptation()
        self.adapted_posteriors_ = np.zeros((0, len(self.annotators_)))
        return self

    def predict_proba(self, choices: Choices) -> np.ndarray:
        """A fitted annotator's choices under their own mix; anyone else's averaged over the fitted mixes, weighted
        by their posterior (adapted) or alike (never seen)."""
        import torch

        from ._fit import masked_log_softmax, tensors

        self._check_fitted()
        adapted, seen = _codes(self.adapted_annotators_, choices.annotator), _codes(self.annotators_, choices.annotator)
        own = (seen >= 0) & (adapted < 0)  # as ``mixing_weights``: an adapted annotator's new weights come first
        features, cand, mask, _ = tensors(choices.subset(own), self._dtype())
        item = features.numpy() @ self.coef_.T  # (m, K)
        scores = np.einsum("nkt,nt->nk", item[cand.numpy()], self.weights_[seen[own]])
        out = np.zeros(choices.candidates.shape)
        out[own] = masked_log_softmax(torch.from_numpy(scores), mask).exp().numpy()
        if not own.all():
            _, prior = self.population()
            out[~own] = self._averaged_proba(choices.subset(~own), np.vstack([prior, self.adapted_posteriors_]),
                                             adapted[~own] + 1)
        return out
