"""A test that a mean is 0 when rows come in clusters (a statement's items), each cluster counting as one unit: the
bootstrap-t of the cluster-robust t statistic, which keeps its level where the clusters' means are skewed (the t
test itself, used before, did not: benchmarks/RESULTS.md)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

RESAMPLES = 1999  # the bootstrap-t's resamples: its smallest p-value, 1/2000, is under Holm's α/22 = 0.0023
BLOCK = 256  # resamples drawn at once: a block's weights are BLOCK × clusters numbers


def cluster_totals(values: Sequence[float], clusters: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Each cluster's sum of ``values`` and its number of rows."""
    codes = np.unique(np.asarray(clusters), return_inverse=True)[1]
    return np.bincount(codes, weights=np.asarray(values, dtype=float)), np.bincount(codes).astype(float)


def _mean_se(weights: np.ndarray, sums: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean and its CR1 standard error (Cameron and Miller, 2015) of each row of ``weights`` (resamples ×
    clusters: how often each cluster is drawn; a row of ones is the sample itself)."""
    m = len(sums)
    total, rows = weights @ sums, weights @ sizes
    mean = total / rows
    squares = weights @ sums**2 - 2 * mean * (weights @ (sums * sizes)) + mean**2 * (weights @ sizes**2)
    return mean, np.sqrt(np.clip(m / (m - 1) * squares, 0, None)) / rows


def bootstrap_t_p_value(values: Sequence[float], clusters: Sequence, rng: np.random.Generator,
                        n_boot: int = RESAMPLES) -> float:
    """Two-sided p-value that the mean of ``values`` is 0 by the symmetric bootstrap-t over clusters (the pairs
    cluster bootstrap-t of Cameron, Gelbach and Miller, 2008; Efron and Tibshirani, 1993, ch. 16): clusters resampled
    with replacement, each resample's mean studentised about the sample's by its own CR1 standard error, and
    p = (1 + #{|t*| ≥ |t|}) / (n_boot + 1). The t test's tails are a normal mean's: skewed cluster means (tuning that
    moves a few statements far) fatten one tail of t, and at Holm's small levels its error nearly doubled
    (benchmarks/RESULTS.md); the bootstrap-t takes t's distribution, skew included, from the data, and the symmetric
    one's two-sided error is of order 1/n² against the t test's 1/n (Hall, 1988). Not exact: no test of a mean is at
    every distribution (Bahadur and Savage, 1956), and under strong skew with few statements it too goes over. A
    resample of one cluster repeated has no standard error and counts as extreme, so with very few clusters it never
    rejects. NaN with fewer than two clusters."""
    sums, sizes = cluster_totals(values, clusters)
    m = len(sums)
    if m < 2:
        return float("nan")
    mean, se = (float(v[0]) for v in _mean_se(np.ones((1, m)), sums, sizes))
    if se == 0:
        return 1.0 if mean == 0 else 0.0
    extreme = 0
    for start in range(0, n_boot, BLOCK):
        rows = min(BLOCK, n_boot - start)
        drawn = rng.integers(0, m, (rows, m)) + m * np.arange(rows)[:, None]
        weights = np.bincount(drawn.ravel(), minlength=rows * m).reshape(rows, m).astype(float)
        means, ses = _mean_se(weights, sums, sizes)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.abs(means - mean) / ses
        extreme += int((np.nan_to_num(t, nan=0.0) >= abs(mean) / se * (1 - 1e-12)).sum())
    return (1 + extreme) / (n_boot + 1)
