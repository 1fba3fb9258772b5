"""Annotators who differ in kind: K latent types fitted by EM (MixtureBradleyTerry), and each annotator a mix of
K shared preference prototypes with few-shot adaptation to new people (IdealPoint, after PAL)."""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import logsumexp, softmax

from ..data.choices import Choices
from ._fit import chosen_log_probs, choice_log_probs, lbfgs, masked_log_softmax, project, tensors
from .base import ChoiceEstimator


def _codes(known: np.ndarray, annotators: np.ndarray) -> np.ndarray:
    """Index of each annotator in ``known`` (sorted), -1 for annotators not in it."""
    pos = np.searchsorted(known, annotators)
    pos = np.clip(pos, 0, max(len(known) - 1, 0))
    return np.where((len(known) > 0) & (known[pos] == annotators), pos, -1)


def reward_log_probs(model: ChoiceEstimator, choices: Choices) -> torch.Tensor:
    """(n, k, K) choice log-probabilities under each of a fitted model's K rewards (``coef_``, (K, d)): the
    mixture's types or the ideal-point prototypes."""
    features, cand, mask, _ = tensors(choices, model._dtype())
    with torch.no_grad():
        return choice_log_probs(features @ torch.as_tensor(model.coef_.T, dtype=features.dtype), cand, mask)


class MixtureBradleyTerry(ChoiceEstimator):
    """K latent annotator types, each with its own linear reward, fitted by EM over annotators (MaxMin-RLHF's
    mixture). ``annotator_types_`` holds each annotator's posterior over types.

    Args:
        n_types: K.
        alpha: L2 penalty on each type's reward.
        n_iter: EM iterations at most; tol: stop when the log-likelihood gains less than this per comparison.
        n_init: restarts from random assignments; the best log-likelihood wins.
        random_state: seed.
    """

    _state = ("coef_", "proportions_", "annotators_", "annotator_types_")

    def __init__(self, n_types: int = 4, alpha: float = 1e-2, n_iter: int = 100, tol: float = 1e-6, n_init: int = 3,
                 random_state: int | None = 0, dtype: str = "float64") -> None:
        self.n_types = n_types
        self.alpha = alpha
        self.n_iter = n_iter
        self.tol = tol
        self.n_init = n_init
        self.random_state = random_state
        self.dtype = dtype

    def fit(self, choices: Choices) -> "MixtureBradleyTerry":
        features, cand, mask, chosen = tensors(choices, self._dtype())
        annotators, codes = np.unique(choices.annotator, return_inverse=True)
        codes_t = torch.from_numpy(codes)
        rng = np.random.default_rng(self.random_state)
        best = None
        for _ in range(self.n_init):
            resp = torch.as_tensor(rng.dirichlet(np.ones(self.n_types), size=len(annotators)), dtype=features.dtype)
            coef = torch.zeros((features.shape[1], self.n_types), dtype=features.dtype, requires_grad=True)
            previous = -np.inf
            for _ in range(self.n_iter):
                weights = resp[codes_t]

                def m_step():
                    lp = chosen_log_probs(choice_log_probs(project(features, coef), cand, mask), chosen)
                    return -(weights * lp).sum() + self.alpha * (coef**2).sum()

                lbfgs([coef], m_step, max_iter=5)  # warm-started each EM round, so a few steps suffice
                with torch.no_grad():
                    log_prior = torch.log(resp.mean(0).clamp_min(1e-12))
                    per_type = torch.zeros((len(annotators), self.n_types), dtype=features.dtype)
                    per_type.index_add_(0, codes_t, chosen_log_probs(choice_log_probs(features @ coef, cand, mask), chosen))
                    joint = per_type + log_prior
                    total = float(torch.logsumexp(joint, dim=1).sum())
                    resp = torch.softmax(joint, dim=1)
                if total - previous < self.tol * len(choices):
                    break
                previous = total
            if best is None or total > best[0]:
                best = (total, coef.detach().clone(), resp.clone())
        self.log_likelihood_, coef, resp = best
        self.coef_ = coef.numpy().T.copy()
        self.proportions_ = resp.mean(0).numpy()
        self.annotators_ = annotators
        self.annotator_types_ = resp.numpy()
        self.adapted_ = {}
        return self

    def predict_types(self, annotators=None) -> np.ndarray:
        """Most probable type of each fitted (or adapted) annotator."""
        self._check_fitted()
        if annotators is None:
            return self.annotator_types_.argmax(1)
        return self._mixing(np.asarray(annotators)).argmax(1)

    def adapt(self, choices: Choices) -> "MixtureBradleyTerry":
        """Posterior type of annotators not seen in fit, from a few of their comparisons; types stay as fitted."""
        self._check_fitted()
        lp = chosen_log_probs(reward_log_probs(self, choices), torch.from_numpy(choices.chosen)).numpy()
        new = {a: self._posterior(lp[choices.annotator == a].sum(0)) for a in np.unique(choices.annotator)}
        self.adapted_ = {**getattr(self, "adapted_", {}), **new}
        return self

    def _posterior(self, log_likelihood: np.ndarray) -> np.ndarray:
        """(K,) a person's type weights given the log-likelihood of their comparisons under each type; with none
        (zeros) it is the population's proportions, so an unseen person and one adapted to nothing agree."""
        joint = log_likelihood + np.log(np.clip(self.proportions_, 1e-12, None))
        return np.exp(joint - logsumexp(joint))

    def _mixing(self, annotators: np.ndarray) -> np.ndarray:
        """(n, K) type weights of each annotator: fitted or adapted posterior, else the prior (no comparisons)."""
        out = np.tile(self._posterior(np.zeros(len(self.proportions_))), (len(annotators), 1))
        idx = _codes(self.annotators_, annotators)
        out[idx >= 0] = self.annotator_types_[idx[idx >= 0]]
        for a, posterior in getattr(self, "adapted_", {}).items():
            out[annotators == a] = posterior
        return out

    def predict_proba(self, choices: Choices) -> np.ndarray:
        """For seen or adapted annotators, the mixture under their posterior; otherwise under the population's."""
        self._check_fitted()
        probs = reward_log_probs(self, choices).exp().numpy()
        return np.einsum("nkt,nt->nk", probs, self._mixing(choices.annotator))


class IdealPoint(ChoiceEstimator):
    """Each annotator's reward is their own mix of K shared preference prototypes (PAL's mixture model):
    r_a(x) = sum_k u_ak w_k·x with u_a on the simplex. ``adapt`` finds new annotators' mixes from a few of their
    comparisons with the prototypes fixed; annotators never seen get the population's average mix.

    Args:
        n_prototypes: K.
        alpha: L2 penalty on the prototypes; gamma: L2 penalty pulling each annotator's mix logits to the mean.
        random_state: seed of the initial prototypes and mixes.
    """

    _state = ("coef_", "annotators_", "mix_logits_")

    def __init__(self, n_prototypes: int = 4, alpha: float = 1e-2, gamma: float = 0.1, max_iter: int = 200,
                 random_state: int | None = 0, dtype: str = "float64") -> None:
        self.n_prototypes = n_prototypes
        self.alpha = alpha
        self.gamma = gamma
        self.max_iter = max_iter
        self.random_state = random_state
        self.dtype = dtype

    def fit(self, choices: Choices) -> "IdealPoint":
        features, cand, mask, chosen = tensors(choices, self._dtype())
        annotators, codes = np.unique(choices.annotator, return_inverse=True)
        codes = torch.from_numpy(codes)
        rng = np.random.default_rng(self.random_state)
        coef = torch.as_tensor(rng.normal(0, 0.1, (features.shape[1], self.n_prototypes)), dtype=features.dtype).requires_grad_()
        logits = torch.as_tensor(rng.normal(0, 1, (len(annotators), self.n_prototypes)), dtype=features.dtype).requires_grad_()

        def loss():
            u = torch.softmax(logits, dim=1)[codes]  # (n, K)
            lp = masked_log_softmax((project(features, coef)[cand] * u.unsqueeze(1)).sum(-1), mask)
            pull = logits - logits.mean(0)  # mixes shrink toward the population's
            return -chosen_log_probs(lp, chosen).sum() + self.alpha * (coef**2).sum() + self.gamma * (pull**2).sum()

        lbfgs([coef, logits], loss, self.max_iter)
        self.coef_ = coef.detach().numpy().T.copy()
        self.annotators_ = annotators
        self.mix_logits_ = logits.detach().numpy()
        self.adapted_ = {}
        return self

    def adapt(self, choices: Choices) -> "IdealPoint":
        """Mixes of new annotators from a few of their comparisons, the prototypes fixed (few-shot).

        Empirical Bayes over the fitted population: a new annotator's mix is the average of the fitted annotators'
        mixes, each weighted by how well it explains the new comparisons. With no comparisons it is the
        population's average; with many it settles on the mixes that fit the person, pure types included.
        """
        self._check_fitted()
        features, cand, mask, chosen = tensors(choices, self._dtype())
        coef, mixes = (torch.as_tensor(x, dtype=features.dtype) for x in (self.coef_.T, self._fitted_mixes().T))
        with torch.no_grad():  # (n, A): each comparison's log-likelihood under each fitted person's reward
            scores = (features @ coef)[cand] @ mixes  # (m, K) prototype rewards, then (n, k, A) only where offered
            loglik = chosen_log_probs(masked_log_softmax(scores, mask), chosen).numpy()
        new = {a: self._posterior(loglik[choices.annotator == a].sum(0)) for a in np.unique(choices.annotator)}
        self.adapted_ = {**getattr(self, "adapted_", {}), **new}
        return self

    def _fitted_mixes(self) -> np.ndarray:
        """(A, K) the prototype mix of every annotator seen in fit."""
        return softmax(self.mix_logits_, axis=1)

    def _posterior(self, log_likelihood: np.ndarray) -> np.ndarray:
        """(K,) a person's mix given the log-likelihood of their comparisons under each fitted person's mix; with
        none (zeros) it is the fitted people's average mix, so an unseen person and one adapted to nothing agree."""
        return softmax(log_likelihood) @ self._fitted_mixes()

    def _mixing(self, annotators: np.ndarray) -> np.ndarray:
        """(n, K) prototype mix of each annotator: fitted or adapted, else the prior (no comparisons)."""
        out = np.tile(self._posterior(np.zeros(len(self.annotators_))), (len(annotators), 1))
        idx = _codes(self.annotators_, annotators)
        out[idx >= 0] = self._fitted_mixes()[idx[idx >= 0]]
        for a, mix in getattr(self, "adapted_", {}).items():
            out[annotators == a] = mix
        return out

    def predict_proba(self, choices: Choices) -> np.ndarray:
        self._check_fitted()
        features, cand, mask, _ = tensors(choices, self._dtype())
        item = features.numpy() @ self.coef_.T  # (m, K)
        scores = np.einsum("nkt,nt->nk", item[cand.numpy()], self._mixing(choices.annotator))
        return masked_log_softmax(torch.from_numpy(scores), mask).exp().numpy()
