"""Annotators who differ in kind: K shared rewards and each person's weights over them (SharedRewards), with K latent
types fitted by EM (MixtureBradleyTerry); each annotator a mix of K prototypes is ideal_point.py's IdealPoint."""

from __future__ import annotations

from abc import abstractmethod

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import logsumexp
from sklearn.utils.validation import check_is_fitted

from ..data.choices import Choices
from .base import _NOT_FITTED, ChoiceEstimator

if TYPE_CHECKING:
    import torch


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

    @abstractmethod
    def population(self) -> tuple[np.ndarray, np.ndarray]:
        """What a person drawn from the population may weigh, under the model's own prior: (H, K) weights over the K
        rewards and (H,) their probabilities (the hypotheses ``adapt`` and the acquisition rule reweigh)."""

    def population_proba(self, choices: Choices, chunk: int = 1 << 22) -> np.ndarray:
        """(n, k) the probability that a person drawn from the population chooses each offered candidate: each of
        ``population``'s hypotheses' choice probabilities, averaged under their prior (0 for padding). It is the
        population-level choice the model implies, with no one's own weights; fitted by likelihood, it is not biased
        by an adaptive design that asks each person what splits their hypotheses, as one BradleyTerry fitted on the
        same choices is (docs/methods.md#the-population-reward-under-active-assignment). ``chunk``: as
        ``_averaged_proba``'s."""
        self._check_fitted()
        _, prior = self.population()
        return self._averaged_proba(choices, prior[None], np.zeros(len(choices), dtype=np.int64), chunk)

    def _averaged_proba(self, choices: Choices, weights: np.ndarray, rows: np.ndarray, chunk: int = 1 << 22
                        ) -> np.ndarray:
        """(n, k) each comparison's choice probabilities under each of ``population``'s hypotheses, averaged with
        the weights (W, H) in row ``rows[i]`` of ``weights`` for comparison i (a few distinct rows: a prior, a
        person's posterior). Computed ``chunk`` (comparisons × candidates × hypotheses) numbers at a time: ideal
        points have a hypothesis per fitted person."""
        import torch

        from ._fit import masked_log_softmax

        points, _ = self.population()
        item = choices.features @ self.coef_.T  # (m, K) each candidate's reward under each of the K
        cand, mask = np.where(choices.mask, choices.candidates, 0), torch.from_numpy(choices.mask)
        out = np.zeros(cand.shape)
        step = max(1, chunk // (cand.shape[1] * len(points)))
        for start in range(0, len(cand), step):
            part = slice(start, start + step)
            utility = torch.from_numpy(item[cand[part]] @ points.T)  # (rows, k, H)
            probs = masked_log_softmax(utility, mask[part]).exp().numpy()
            out[part] = np.einsum("nkh,nh->nk", probs, weights[rows[part]])
        return out

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
        summed = np.array([loglik[choices.annotator == a].sum(0) for a in people])
        new = self._adapted(summed.reshape(len(people), self._evidence_width()))  # also when there is no one
        keep = ~np.isin(self.adapted_annotators_, people)
        annotators = np.concatenate([self.adapted_annotators_[keep], people])
        order = np.argsort(annotators, kind="stable")
        self.adapted_annotators_ = annotators[order]
        for name, rows in new.items():
            setattr(self, name, np.concatenate([getattr(self, name)[keep], rows])[order])
        return self

    def _adapted(self, log_likelihood: np.ndarray) -> dict[str, np.ndarray]:
        """What ``adapt`` keeps for each new person, by attribute, given their summed log-likelihoods (people, L):
        their weights over the K rewards."""
        return {"adapted_weights_": np.array([self._posterior(x) for x in log_likelihood]).reshape(-1, len(self.coef_))}

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

    def population(self) -> tuple[np.ndarray, np.ndarray]:
        """The K pure types, with the fitted proportions."""
        self._check_fitted()
        return np.eye(len(self.coef_)), self.proportions_

    def _posterior(self, log_likelihood: np.ndarray) -> np.ndarray:
        """Bayes over types, the prior being the fitted proportions."""
        joint = log_likelihood + np.log(np.clip(self.proportions_, 1e-12, None))
        return np.exp(joint - logsumexp(joint))

    def predict_proba(self, choices: Choices) -> np.ndarray:
        """For seen or adapted annotators, the mixture under their posterior; otherwise under the population's."""
        self._check_fitted()
        probs = reward_log_probs(self, choices).exp().numpy()
        return np.einsum("nkt,nt->nk", probs, self.mixing_weights(choices.annotator))


class PopulationChoice(ChoiceEstimator):
    """A mixture's or ideal points' population-level choice (``SharedRewards.population_proba``) as a model of its
    own, everyone predicted alike: what a learn run shows beside the one shared reward where an active rule assigned
    the comparisons, since that reward is the design's there and this one is not
    (docs/methods.md#the-population-reward-under-active-assignment)."""

    def __init__(self, model: SharedRewards) -> None:
        self.model = model

    def fit(self, choices: Choices) -> "PopulationChoice":
        self.model.fit(choices)
        return self

    def predict_proba(self, choices: Choices) -> np.ndarray:
        return self.model.population_proba(choices)
