"""Annotators who differ in kind: K latent types fitted by EM (MixtureBradleyTerry), and each annotator a mix of
K shared preference prototypes with few-shot adaptation to new people (IdealPoint, after PAL)."""

from __future__ import annotations

from abc import abstractmethod

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import logsumexp, softmax
from sklearn.utils.validation import check_is_fitted

from ..data.choices import Choices
from ._start import spectral_start
from .base import _NOT_FITTED, ChoiceEstimator

if TYPE_CHECKING:
    import torch


def _mix_scale(n_people: int) -> float:
    """What IdealPoint divides its mix logits by while it optimises them. A prototype's weight sums every person's
    comparisons and a person's logit only their own, so the first's curvature is about the number of people times
    the second's; L-BFGS's one step length suits both better when the logits' is scaled up toward it. Measured from
    the spectral start, 52,650 comparisons of 900 people: 382 evaluations to settle unscaled, 181 at 3 (this rule),
    149 at 6 and 151 at 12 (a worse objective); 480 comparisons of 40 people (float64): 674 at 1, 557 at 2, 1,321 at 3."""
    return max(1.0, np.sqrt(n_people) / 10)


def _codes(known: np.ndarray, annotators: np.ndarray) -> np.ndarray:
    """Index of each annotator in ``known`` (sorted), -1 for annotators not in it."""
    if not len(known):
        return np.full(len(annotators), -1)
    pos = np.clip(np.searchsorted(known, annotators), 0, len(known) - 1)
    return np.where(known[pos] == annotators, pos, -1)


def reward_log_probs(model: SharedRewards, choices: Choices) -> torch.Tensor:
    """(n, k, K) choice log-probabilities under each of a fitted model's K rewards (``coef_``, (K, d)): the
    mixture's types or the ideal-point prototypes."""
    import torch  # in each function that computes, not at the top (see _fit.py)

    from ._fit import choice_log_probs, tensors

    features, cand, mask, _ = tensors(choices, model._dtype())
    with torch.no_grad():
        return choice_log_probs(features @ torch.as_tensor(model.coef_.T, dtype=features.dtype), cand, mask)


class SharedRewards(ChoiceEstimator):
    """Estimators with K rewards (``coef_``, (K, d)) that every annotator weighs in their own way: the mixture's
    types or the ideal points' prototypes.

    ``weights_`` (A, K) holds the weights of the annotators seen in fit; ``adapt`` finds those of new annotators from
    a few of their comparisons, the rewards fixed, into ``adapted_annotators_`` and ``adapted_weights_`` (saved with
    the model); ``mixing_weights`` gives anyone's, and ``reset_adaptation`` forgets the adapted ones. ``fit`` weighs
    each comparison's log-likelihood by ``choices.weight`` where it is given (a weighted pseudo-likelihood, as
    ``BradleyTerry``'s; ``adapt`` never weighs: a person's own weights need none, docs/methods.md#design-weights).
    """

    weights_: np.ndarray
    annotators_: np.ndarray
    proportions_: np.ndarray
    _kind = "reward"  # what one of the K rewards is called

    @property
    def reward_names_(self) -> list[str]:
        """The K rewards' names, for tables and figures: "type 0", ... or "prototype 0", ..."""
        return [f"{self._kind} {i}" for i in range(len(self.coef_))]

    @abstractmethod
    def _evidence(self, choices: Choices) -> np.ndarray:
        """(n, L) each comparison's log-likelihood under each of the L hypotheses ``_posterior`` weighs."""

    @abstractmethod
    def _evidence_width(self) -> int:
        """L, the number of hypotheses ``_posterior`` weighs."""

    @abstractmethod
    def _posterior(self, log_likelihood: np.ndarray) -> np.ndarray:
        """(K,) a person's weights given the summed log-likelihood of their comparisons (L,); with none (zeros) it is
        the population's, so an unseen person and one adapted to nothing agree."""

    def reset_adaptation(self) -> "SharedRewards":
        """Forget every annotator adapted to: each is predicted again as ``fit`` left them."""
        check_is_fitted(self, ["coef_", "annotators_"], msg=_NOT_FITTED)
        self.adapted_annotators_ = self.annotators_[:0]
        self.adapted_weights_ = np.zeros((0, len(self.coef_)))
        return self

    def adapt(self, choices: Choices) -> "SharedRewards":
        """Weights of the annotators in ``choices`` from these comparisons alone, the rewards fixed (few-shot); an
        annotator adapted to before is replaced, the others are kept."""
        self._check_fitted()
        loglik = self._evidence(choices)
        people = np.unique(choices.annotator)
        new = np.array([self._posterior(loglik[choices.annotator == a].sum(0)) for a in people])
        new = new.reshape(len(people), len(self.coef_))  # also when there is no one
        keep = ~np.isin(self.adapted_annotators_, people)
        annotators = np.concatenate([self.adapted_annotators_[keep], people])
        order = np.argsort(annotators, kind="stable")
        self.adapted_annotators_ = annotators[order]
        self.adapted_weights_ = np.concatenate([self.adapted_weights_[keep], new])[order]
        return self

    def mixing_weights(self, annotators) -> np.ndarray:
        """(n, K) each annotator's weights over the K rewards: adapted, else fitted, else the population's (what
        adapting to no comparisons gives)."""
        self._check_fitted()
        annotators = np.asarray(annotators)
        out = np.tile(self._posterior(np.zeros(self._evidence_width())), (len(annotators), 1))
        for known, weights in ((self.annotators_, self.weights_), (self.adapted_annotators_, self.adapted_weights_)):
            idx = _codes(known, annotators)
            out[idx >= 0] = weights[idx[idx >= 0]]
        return out


class MixtureBradleyTerry(SharedRewards):
    """K latent annotator types, each with its own linear reward, fitted by EM over annotators (MaxMin-RLHF's
    mixture). ``annotator_types_`` (also ``weights_``) holds each annotator's posterior over types; ``adapt`` gives
    new annotators theirs from a few of their comparisons.

    Args:
        n_types: K.
        alpha: L2 penalty on each type's reward.
        n_iter: EM iterations at most; tol: stop when the log-likelihood gains less than this per comparison.
        n_init: restarts from random assignments; the best log-likelihood wins.
        random_state: seed.
    """

    _state = ("coef_", "proportions_", "annotators_", "annotator_types_", "adapted_annotators_", "adapted_weights_")
    _kind = "type"

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
        import torch

        from ._fit import chosen_log_probs, choice_log_probs, comparison_weights, lbfgs, project, tensors, weighted

        features, cand, mask, chosen = tensors(choices, self._dtype())
        annotators, codes = np.unique(choices.annotator, return_inverse=True)
        codes_t, weight = torch.from_numpy(codes), comparison_weights(choices, features.dtype)
        rng = np.random.default_rng(self.random_state)
        best = None
        for _ in range(self.n_init):
            resp = torch.as_tensor(rng.dirichlet(np.ones(self.n_types), size=len(annotators)), dtype=features.dtype)
            coef = torch.zeros((features.shape[1], self.n_types), dtype=features.dtype, requires_grad=True)
            previous = -np.inf
            for _ in range(self.n_iter):
                weights = weighted(resp[codes_t], weight)

                def m_step():
                    lp = chosen_log_probs(choice_log_probs(project(features, coef), cand, mask), chosen)
                    return -(weights * lp).sum() + self.alpha * (coef**2).sum()

                lbfgs([coef], m_step, max_iter=5)  # warm-started each EM round, so a few steps suffice
                with torch.no_grad():
                    log_prior = torch.log(resp.mean(0).clamp_min(1e-12))
                    per_type = torch.zeros((len(annotators), self.n_types), dtype=features.dtype)
                    lp = chosen_log_probs(choice_log_probs(features @ coef, cand, mask), chosen)
                    per_type.index_add_(0, codes_t, weighted(lp, weight))
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
        return self.reset_adaptation()

    @property
    def weights_(self) -> np.ndarray:
        """(A, K) each fitted annotator's posterior over types (``annotator_types_``)."""
        return self.annotator_types_

    def predict_types(self, annotators=None) -> np.ndarray:
        """Most probable type of each fitted (or adapted) annotator."""
        self._check_fitted()
        if annotators is None:
            return self.annotator_types_.argmax(1)
        return self.mixing_weights(annotators).argmax(1)

    def _evidence(self, choices: Choices) -> np.ndarray:
        """(n, K) each comparison's log-likelihood under each type."""
        import torch

        from ._fit import chosen_log_probs

        return chosen_log_probs(reward_log_probs(self, choices), torch.from_numpy(choices.chosen)).numpy()

    def _evidence_width(self) -> int:
        return len(self.proportions_)

    def _posterior(self, log_likelihood: np.ndarray) -> np.ndarray:
        """Bayes over types, the prior being the fitted proportions."""
        joint = log_likelihood + np.log(np.clip(self.proportions_, 1e-12, None))
        return np.exp(joint - logsumexp(joint))

    def predict_proba(self, choices: Choices) -> np.ndarray:
        """For seen or adapted annotators, the mixture under their posterior; otherwise under the population's."""
        self._check_fitted()
        probs = reward_log_probs(self, choices).exp().numpy()
        return np.einsum("nkt,nt->nk", probs, self.mixing_weights(choices.annotator))


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
