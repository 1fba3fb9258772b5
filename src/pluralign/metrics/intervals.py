"""Bootstrap intervals for disaggregated means: the replicates, each group's interval, and the simultaneous intervals
that gaps, ratios and the worst group rely on (used by ``MetricFrame``).

How the numbers are made, and why:

- **Replicates: a Bayesian bootstrap of clusters** (Rubin 1981, "The Bayesian bootstrap"). Each replicate gives
  every cluster (each row, when there is no ``cluster``) a weight drawn from Exp(1), and a group's mean becomes
  Σ w·sum / Σ w·count over its clusters. Rows of one cluster move together, so intra-cluster correlation widens the
  intervals as it should; every group shares the same weights, so groups that share clusters (a statement's
  original and translated items, a question asked of every human group) get paired replicates. Unlike
  multinomial counts, weights are never zero, so no group is ever empty in a replicate.
- **Each group**: the expanded percentile interval of its replicates (its own, marginal interval; see
  ``percentile_interval``). A group of one cluster gets (−inf, inf). Values in [0, 1] that are all 0 (all 1) in a group of
  C clusters get the exact bound [0, 1 − (α/2)^(1/C)] (mirrored), since every replicate is 0; other constant values
  still get a zero-width interval.
- **Gap and ratio**: max-T simultaneous intervals for all pairwise differences (Romano & Wolf 2005, "Exact and
  approximate stepdown methods for multiple hypothesis testing"; Hothorn, Bretz & Westfall 2008, "Simultaneous
  inference in general parametric models"). With se_ij the replicates' standard deviation of d_ij = μ_i − μ_j and
  c the ``level`` quantile of max_ij |d*_ij − d̂_ij| / se_ij, every d_ij lies in d̂_ij ± c·se_ij with probability
  ≈ ``level``, so the gap max_ij d_ij lies in [max(0, max_ij L_ij), max_ij U_ij] at least as often, even when the
  true gap is exactly a policy's line. Each se_ij is stretched by ``stretch`` of the pair's smaller cluster count
  (max-T alone is z-like and over-rejects with few clusters); an all-0/all-1 group's replicates get normal noise of
  the standard error its exact bound implies, and a group of one cluster makes the gap's upper bound inf. (A percentile
  interval of max − min cannot cover 0 and is biased upward: ten equal groups of 30 items failed ``gap ≤ 0.1`` in 38 % of simulated runs, see benchmarks/RESULTS.md.) The ratio
  min/max is exp(−gap) of the log means.
- **Worst group**: the same max-T construction over the groups themselves gives simultaneous intervals
  [L_g, U_g]; the smallest true mean lies in [min_g L_g, min_g U_g]. Only groups with at least ``min_n`` rows
  (clusters, when ``cluster`` is set) compete, so a group of one cannot "win" by luck.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

LEVEL = 0.95  # the level of every interval a job writes; policies rely on it (see policy.py)
_NAN = float("nan")


def stretch(clusters, level: float):
    """t_df·√((df + 2)/df)/z with df = clusters − 1 (at least 1): how much wider than a normal interval a small
    sample's must be. t rather than z, and the Bayesian bootstrap's variance is (C − 1)/(C + 1) of the unbiased
    one, hence √((df + 2)/df). Works on arrays (a pair's df is that of its smaller group)."""
    from scipy.stats import norm, t as student_t  # here: refusing input never imports scipy.stats

    df = np.maximum(np.asarray(clusters, dtype=float) - 1, 1)
    z = norm.ppf((1 + level) / 2)
    return student_t.ppf((1 + level) / 2, df) * np.sqrt((df + 2) / df) / z


def exact_bound(clusters: int, level: float) -> float:
    """1 − (α/2)^(1/C): the largest rate whose C clusters would all come out 0 with probability α/2 (the
    Clopper-Pearson bound for 0 of C, counting clusters as the independent units)."""
    return float(1 - ((1 - level) / 2) ** (1 / clusters))


def percentile_interval(replicates: np.ndarray, level: float, clusters: int, point: float) -> tuple[float, float]:
    """The expanded percentile interval: the plain α/2 and 1 − α/2 quantiles of the replicates, each side
    stretched about the point by ``stretch`` so that, for a normal mean, the interval is as wide as a t interval
    on clusters − 1 degrees of freedom, whatever the cluster count, while keeping the replicates' asymmetry.
    (Hesterberg's 2015 version, which moves to more extreme quantiles instead, ends at the replicates' min and
    max for 2–5 clusters and covered only 52 % at 2, 74 % at 3.)"""
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0 or not np.isfinite(point):
        return _NAN, _NAN
    lo, hi = np.quantile(finite, [(1 - level) / 2, (1 + level) / 2])
    s = float(stretch(clusters, level))
    return float(point - (point - lo) * s), float(point + (hi - point) * s)


def _standardised(deviations: np.ndarray, se: np.ndarray) -> np.ndarray:
    """|deviation| / se, 0 where se is 0 (a quantity every replicate reproduces exactly, e.g. a group of one)."""
    return np.divide(np.abs(deviations), se, out=np.zeros_like(deviations), where=se > 0)


def _quantile(stat: np.ndarray, level: float) -> float:
    return float(np.quantile(stat[np.isfinite(stat)], level)) if np.isfinite(stat).any() else _NAN


def simultaneous(point: np.ndarray, reps: np.ndarray, level: float, clusters: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Max-T intervals point ± c·se that hold jointly for every column of ``reps`` (replicates × quantities);
    with ``clusters``, each se is stretched by ``stretch`` of its quantity's cluster count."""
    se = reps.std(axis=0)
    c = _quantile(_standardised(reps - point, se).max(axis=1), level)
    se = se * (1 if clusters is None else stretch(clusters, level))
    return point - c * se, point + c * se


def largest_difference(point: np.ndarray, reps: np.ndarray, level: float, clusters: np.ndarray | None = None
                       ) -> tuple[float, float, float]:
    """max_i point_i − min_j point_j with a max-T interval over all pairwise differences (see module docstring);
    with ``clusters``, each pair's se is stretched by ``stretch`` of the smaller group's cluster count.

    Loops over groups so memory stays replicates × groups; the work is replicates × groups², small for the
    tens of languages or topics a grouping has.
    """
    deltas = reps - point
    se = np.empty((len(point), len(point)))
    worst = np.zeros(len(reps))
    for i in range(len(point)):
        pair = deltas[:, [i]] - deltas
        se[i] = pair.std(axis=0)
        worst = np.maximum(worst, _standardised(pair, se[i]).max(axis=1))
    c = _quantile(worst, level)
    if clusters is not None:
        se = se * stretch(np.minimum.outer(clusters, clusters), level)
    diff = point[:, None] - point[None, :]  # its zero diagonal keeps the lower bound at 0 or above
    return float(point.max() - point.min()), float((diff - c * se).max()), float((diff + c * se).max())


@lru_cache(maxsize=2)  # one per way of clustering: people and prompts
def bootstrap_weights(clusters: int, n_boot: int, seed: int | tuple[int, int]) -> np.ndarray:
    """Exp(1) weights, clusters × replicates. Cached (read-only) because every metric and grouping of one table
    draws the same ones, and drawing them was most of a frame's work (see benchmarks/RESULTS.md)."""
    weights = np.random.default_rng(seed).standard_exponential((clusters, n_boot))
    weights.flags.writeable = False
    return weights


def cell_weights(cells: np.ndarray, n_boot: int, seed: int, replicates: slice = slice(None)) -> np.ndarray:
    """Bootstrap weights of cells, cells × replicates: a cell is a row of ``cells``, its cluster in each way the
    rows are clustered (one column: an annotator; two: an annotator and a prompt), and its weight the product of
    its clusters' weights, drawn independently for each way (the pigeonhole bootstrap; one way gives
    ``bootstrap_weights`` itself). Only the ``replicates`` asked for are made, so a caller can bound its memory."""
    weights = np.ones((len(cells), len(range(n_boot)[replicates])))
    for way, codes in enumerate(cells.T):
        clusters = int(codes.max()) + 1 if len(codes) else 0
        weights *= bootstrap_weights(clusters, n_boot, seed if way == 0 else (seed, way))[codes, replicates]
    return weights
