"""Shared numerics: choice log-probabilities and a full-batch L-BFGS fit in torch.

The estimators import this module, and torch, inside the methods that compute: a command that refuses its input or
only reads a fitted model (``report``, ``export-pairs``, ``collect serve`` of a study without refits) then never
imports torch, 1.4 CPU seconds of every such process."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch


def tensors(choices, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Features, candidate indices (padding -> 0), padding mask and chosen positions as tensors."""
    mask = torch.from_numpy(choices.mask)
    cand = torch.from_numpy(np.where(choices.mask, choices.candidates, 0))
    features = choices.features if choices.features.flags.writeable else choices.features.copy()  # torch wants writable
    return torch.as_tensor(features, dtype=dtype), cand, mask, torch.from_numpy(choices.chosen)


def comparison_weights(choices, dtype: torch.dtype, times: np.ndarray | None = None) -> torch.Tensor | None:
    """(n,) each comparison's weight in a fit (``Choices.weight``), None where every comparison weighs 1; with
    ``times`` ((B, n): how many times each of B resamples takes each comparison), (n, B) its weight in each of B fits
    at once, those times its own weight (a row taken twice counts twice in a fit on the resample's rows)."""
    if times is None:
        return None if choices.weight is None else torch.as_tensor(choices.weight, dtype=dtype)
    counts = np.asarray(times, dtype=np.float64).T
    return torch.as_tensor(counts if choices.weight is None else counts * choices.weight[:, None], dtype=dtype)


def weighted(log_probs: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """Each comparison's log-likelihood ((n,) or (n, K)) times its weight ((n,), or (n, K): one per column), where
    there are weights."""
    if weight is None:
        return log_probs
    return log_probs * (weight if weight.dim() == log_probs.dim() else weight.unsqueeze(1))


def choice_log_probs(item_scores: torch.Tensor, cand: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """log p(candidate) under a softmax (Plackett-Luce first choice) over each comparison's offered candidates.

    ``item_scores`` is (m,) for one reward, or (m, K) for K rewards (result (n, k, K)).
    """
    return masked_log_softmax(item_scores[cand], mask)


def masked_log_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Log-softmax over the offered candidates of each comparison ((n, k) or (n, k, K) scores); -inf for padding."""
    fill = torch.finfo(scores.dtype).min
    pad = ~mask if scores.dim() == 2 else ~mask.unsqueeze(-1)
    return torch.log_softmax(scores.masked_fill(pad, fill), dim=1).masked_fill(pad, -torch.inf)


def chosen_log_probs(log_probs: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
    """The log-prob of the chosen candidate in each comparison: (n,) or (n, K)."""
    index = chosen.view(-1, 1) if log_probs.dim() == 2 else chosen.view(-1, 1, 1).expand(-1, 1, log_probs.shape[2])
    return log_probs.gather(1, index).squeeze(1)


def lbfgs(params: Sequence[torch.Tensor], loss: Callable[[], torch.Tensor], max_iter: int = 200, tol: float = 1e-9) -> float:
    """Minimise ``loss`` over ``params`` with full-batch L-BFGS and a strong-Wolfe line search."""
    optimizer = torch.optim.LBFGS(params, max_iter=max_iter, tolerance_grad=tol, tolerance_change=tol * 1e-3,
                                  history_size=20, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        value = loss()
        value.backward()
        return value

    optimizer.step(closure)
    with torch.no_grad():
        return float(loss())


class _Project(torch.autograd.Function):
    """features @ weights, differentiable in weights only, in the layouts MKL is fastest at on tall feature matrices,
    which are the bulk of every fit: the product with (d, K) weights held as a transposed (K, d) block (3-4x faster
    than with (d, K) ones, 715,680 x 384 features and K = 4 here), and the gradient as (grad.T @ features).T (8x
    faster than torch's features.T @ grad on a 230,000 x 384 matrix)."""

    @staticmethod
    def forward(ctx, features: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(features)
        return features @ (weights if weights.dim() == 1 else weights.T.contiguous().T)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (features,) = ctx.saved_tensors
        return None, (grad @ features if grad.dim() == 1 else (grad.T @ features).T)


def project(features: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Item scores: (m, d) features times (d,) or (d, K) weights."""
    return _Project.apply(features, weights)
