"""Tasks composed from a pool of candidates: each candidate's rewards once, each task the rows it shows, so that
scoring every k of a pool takes one exponential per candidate and hypothesis (``acquire.task_scores``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .latent import SharedRewards


@dataclass(frozen=True)
class PooledTasks:
    """Tasks as rows of their candidates: ``rewards`` (C, K) each candidate's reward under the model's K rewards and
    ``shown`` (T, k) the candidate rows each task offers, -1 where it offers fewer than k. Many tasks share a
    candidate (every 4 of 8 shows each one 35 times), so scoring from these takes one exponential per candidate and
    hypothesis, not one per task, candidate and hypothesis."""

    rewards: np.ndarray
    shown: np.ndarray

    def __len__(self) -> int:
        return len(self.shown)

    @classmethod
    def from_gathered(cls, rewards: np.ndarray) -> "PooledTasks":
        """The tasks of ``task_rewards``' (T, k, K) array, each candidate a row of its own (NaN: not offered)."""
        t, k, n = rewards.shape
        shown = np.arange(t * k).reshape(t, k)
        return cls(rewards.reshape(t * k, n), np.where(np.isnan(rewards[..., 0]), -1, shown))

    def subset(self, rows: np.ndarray) -> "PooledTasks":
        """The tasks selected by a boolean mask or index array (the candidates' rewards are shared, not copied)."""
        return PooledTasks(self.rewards, self.shown[rows])

    def gathered(self) -> np.ndarray:
        """(T, k, K) each task's candidates' rewards, NaN where it offers fewer than k (``task_rewards``' form)."""
        out = self.rewards[np.maximum(self.shown, 0)]
        out[self.shown < 0] = np.nan
        return out


def pooled_rewards(model: SharedRewards, features: np.ndarray, candidates: np.ndarray) -> PooledTasks:
    """``task_rewards`` as ``PooledTasks``: each distinct candidate row's rewards once, and each task's rows."""
    candidates = np.asarray(candidates)
    # each distinct row once: tasks share candidates (every 4 of 8 shows each one 35 times), and ``features`` may be
    # a whole data set's of which the tasks use a few rows
    rows, inverse = np.unique(np.where(candidates >= 0, candidates, 0), return_inverse=True)
    shown = np.where(candidates >= 0, inverse.reshape(candidates.shape), -1)
    return PooledTasks(np.asarray(features[rows], dtype=np.float64) @ model.coef_.T, shown)


def task_rewards(model: SharedRewards, features: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """(T, k, K) each offered candidate's reward under each of the model's K rewards, NaN where a task offers fewer
    than k (``candidates`` is -1 there). Computed once per pool of tasks, so scoring a person is gathers and sums."""
    return pooled_rewards(model, features, candidates).gathered()
