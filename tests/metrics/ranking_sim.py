"""Seeded simulations of what `compare` ranks, on units whose true values are known, shared by
``test_tensions.py`` and ``benchmarks/verdict_error_rates.py``: Kendall's τ between two metrics with its interval
(``rank_agreement``), and the best cell and Pareto front (``scorecard``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from pluralign.metrics.compare import scorecard
from pluralign.metrics.tensions import MetricMatrix, rank_agreement

from .tables import long_table

MARKED = ("accuracy", "worst_group_accuracy")  # two metrics whose better direction is higher


def noisy_matrix(truth: np.ndarray, se: np.ndarray, rng: np.random.Generator,
                 metrics: tuple[str, str] = ("accuracy", "vendi")) -> MetricMatrix:
    """Units × metrics measured with normal error of sd ``se`` and 95% intervals ±1.96 se, as a job would store."""
    seen = truth + rng.standard_normal(truth.shape) * se
    frame = lambda a: pd.DataFrame(a, columns=list(metrics), index=[f"u{i}" for i in range(len(a))])
    return MetricMatrix(frame(seen), frame(seen - 1.96 * se), frame(seen + 1.96 * se))


def partly_agreeing(units: int) -> np.ndarray:
    """True values of ``units`` units on two metrics 0.1 apart, whose orders partly agree (a fixed shuffle of the
    first metric's order, the same for every call with the same ``units``)."""
    first = 0.5 + 0.1 * np.arange(units)
    noisy_order = np.arange(units) + np.random.default_rng(units).normal(0, units / 2.5, units)
    return np.column_stack([first, first[np.argsort(np.argsort(noisy_order))]])


def tau_runs(truth: np.ndarray, se: np.ndarray, runs: int, seed: int = 0, missing: float = 0.0) -> pd.DataFrame:
    """One row per simulated comparison (run r drawn with seed ``seed`` + r): whether ``rank_agreement`` gave τ a
    row (``answered``: it refuses with fewer than two units that have an interval), whether its interval covers τ of
    the true values of the units it kept (``covered``), and its ``width``. With ``missing``, each unit's interval
    is (−inf, inf) with that chance, as where a job could not make one."""
    rows = []
    for run in range(runs):
        rng = np.random.default_rng(seed + run)
        matrix = noisy_matrix(truth, se, rng)
        kept = rng.random(len(truth)) >= missing if missing else np.ones(len(truth), bool)
        matrix.low.loc[~kept], matrix.high.loc[~kept] = -np.inf, np.inf
        table = rank_agreement(matrix)
        if table.empty:
            rows.append({"answered": False, "covered": np.nan, "width": np.nan})
            continue
        row, true_tau = table.iloc[0], kendalltau(truth[kept, 0], truth[kept, 1]).statistic
        # the bounds are counts of pairs over P, τ-b a ratio of square roots: equal values can differ in the last bit
        rows.append({"answered": True, "covered": row.ci_low - 1e-9 <= true_tau <= row.ci_high + 1e-9,
                     "width": row.ci_high - row.ci_low})
    return pd.DataFrame(rows)


def tiers(units: int, top: int, sd: float = 0.04) -> tuple[np.ndarray, np.ndarray]:
    """True values and sds of ``units`` units on two metrics: ``top`` of them tied at 0.8 on both, the rest tied at
    0.7, each measured with sd ``sd``."""
    truth = np.where(np.arange(units) < top, 0.8, 0.7)[:, None].repeat(2, axis=1)
    return truth, np.full(truth.shape, sd)


def mark_runs(truth: np.ndarray, se: np.ndarray, top: int, runs: int, seed: int = 0) -> pd.DataFrame:
    """One row per simulated comparison of units whose first ``top`` tie at the top of both ``MARKED`` metrics
    (run r drawn with seed ``seed`` + r), through ``scorecard`` as `compare` runs it: whether a best cell is
    marked on either metric (``best``: wrong, two or more tie for it) and whether one of the tied top units is off
    the Pareto front (``off_front``: wrong, no unit beats it on both)."""
    rows = []
    for run in range(runs):
        matrix = noisy_matrix(truth, se, np.random.default_rng(seed + run), MARKED)
        table = long_table({unit: {m: (matrix.values.at[unit, m], matrix.low.at[unit, m], matrix.high.at[unit, m])
                                   for m in MARKED} for unit in matrix.units})
        card = scorecard(table.assign(run="r", setting=""), by=["model"])
        rows.append({"best": bool(card.best()), "off_front": not card.pareto.iloc[:top].all()})
    return pd.DataFrame(rows)
