"""Tensions between metrics: do they order models (or configurations, or groups) the same way?

Metrics are compared in their "better" orientation (a ``lower`` metric is negated; a ``neutral`` one is taken as it
is), so Kendall's τ = −1 means what is best by one metric is worst by the other. The interval of τ comes from a
parametric bootstrap: each value is redrawn from a normal distribution matching its own 95% interval, so τ is
uncertain as far as each measurement is on its own. It ignores what it cannot see in a metrics table: the
correlation between metrics measured on the same items (p(agree) and refusals of one run move together when its
statements are redrawn), so the interval is approximate, possibly too wide or too narrow (``TAU_INTERVAL_NOTE``,
shown wherever ``compare`` prints or renders τ). Resampling the units instead would be meaningless with the
handful of models a comparison usually has. Nothing here adds metrics up, except ``weighted_sum`` when a user asks
for it by name with explicit weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from .registry import direction_of
from .store import overall_values

_Z95 = 1.959964
TAU_INTERVAL_NOTE = ("τ intervals redraw each value from its own interval, independently: they ignore the correlation "
                     "between metrics measured on the same items, so they are approximate.")


@dataclass
class MetricMatrix:
    """Units (rows) by metrics (columns): point values and interval bounds, aligned; ``flags`` names the degeneracy
    check that makes a cell carry no information ("" where none does; see checks.py)."""

    values: pd.DataFrame
    low: pd.DataFrame
    high: pd.DataFrame
    flags: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if self.flags is None:
            self.flags = pd.DataFrame("", index=self.values.index, columns=self.values.columns)

    @property
    def units(self) -> list[str]:
        return list(self.values.index)

    def informative(self) -> "MetricMatrix":
        """The matrix with flagged cells emptied, for anything that ranks units (a degenerate value ranks nothing)."""
        keep = self.flags.eq("")
        return MetricMatrix(self.values.where(keep), self.low.where(keep), self.high.where(keep), self.flags)


def metric_matrix(metrics: pd.DataFrame, by: Sequence[str] = ("run", "model", "setting"), grouping: str = "overall",
                  names: Sequence[str] | None = None) -> MetricMatrix:
    """Pivot a long metrics table into units × metrics.

    Args:
        by: columns whose values make a unit (default: each run's model and setting).
        grouping: ``overall`` compares the units' overall values (see ``overall_values``); a grouping column (``language``) makes each of its
            groups a unit too, so metrics can be compared across groups.
        names: metrics to keep (default: all).

    A ``check`` column (see ``checks.degenerate``), where present, becomes the matrix's flags.

    A unit's label joins the parts of ``by`` that differ between units. Raises ValueError when one unit has two
    values of a metric (filter the table first, e.g. to one split).
    """
    if grouping == "overall":
        rows = overall_values(metrics)
    else:
        rows = metrics[(metrics["grouping"] == grouping) & ~metrics["group"].isin(["gap", "ratio"])]
    if names is not None:
        rows = rows[rows["metric"].isin(names)]
    if rows.empty:
        raise InputError(f"no metric values with grouping {grouping!r}" + (f" among {', '.join(names)}" if names else ""))
    keys = [c for c in by if rows[c].nunique(dropna=False) > 1] or [by[0]]
    if grouping != "overall":
        keys = [*keys, "group"]
    label = rows[keys].fillna("").astype(str).agg(lambda parts: " · ".join(p for p in parts if p), axis=1)
    doubled = rows.assign(_unit=label).duplicated(["_unit", "metric"], keep=False)
    if doubled.any():
        first = rows[doubled].iloc[0]
        raise InputError(f"unit {label[doubled].iloc[0]!r} has several values of {first['metric']}; keep one setting "
                         "(e.g. one split) or add its column to the unit")
    table = rows.assign(_unit=label)

    def pivot(column: str) -> pd.DataFrame:
        wide = table.pivot(index="_unit", columns="metric", values=column)
        wide.index.name, wide.columns.name = "unit", None
        return wide.reindex(index=list(dict.fromkeys(label)), columns=list(dict.fromkeys(table["metric"])))

    flags = pivot("check").fillna("") if "check" in table else None
    return MetricMatrix(pivot("value"), pivot("ci_low"), pivot("ci_high"), flags)


def _sign(metric: str, directions: dict[str, str | None] | None = None) -> float:
    return -1.0 if direction_of(metric, (directions or {}).get(metric)) == "lower" else 1.0


def _tau_b(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kendall's τ-b of the last axis of x and y, and the count of discordant unit pairs; vectorised over replicates
    (scipy's kendalltau takes one pair of vectors per call, too slow inside a bootstrap; a test checks we agree)."""
    i, j = np.triu_indices(x.shape[-1], k=1)
    dx, dy = np.sign(x[..., i] - x[..., j]), np.sign(y[..., i] - y[..., j])
    s = (dx * dy).sum(axis=-1)
    tied_x, tied_y = (dx == 0).sum(axis=-1), (dy == 0).sum(axis=-1)
    pairs = len(i)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = s / np.sqrt((pairs - tied_x) * (pairs - tied_y))
    return tau, (dx * dy < 0).sum(axis=-1)


def rank_agreement(matrix: MetricMatrix, directions: dict[str, str] | None = None, n_boot: int = 1000,
                   level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Kendall's τ between every pair of metrics over the units both were measured on, with a bootstrap interval,
    and how many unit pairs the two metrics order differently.

    Returns one row per pair: metric_a, metric_b, tau, ci_low, ci_high, units, discordant, pairs, discordant_share.
    """
    rng = np.random.default_rng(seed)
    values = matrix.values.to_numpy(float)
    sd = ((matrix.high - matrix.low).to_numpy(float) / (2 * _Z95))
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, 0.0)
    draws = values[None] + rng.standard_normal((n_boot, *values.shape)) * sd[None]
    signs = np.array([_sign(m, directions) for m in matrix.values.columns])
    values, draws = values * signs, draws * signs
    alpha = (1 - level) / 2
    rows = []
    for a, b in combinations(range(values.shape[1]), 2):
        both = np.isfinite(values[:, a]) & np.isfinite(values[:, b])
        n = int(both.sum())
        if n < 2:
            continue
        tau, discordant = _tau_b(values[both, a], values[both, b])
        reps, _ = _tau_b(draws[:, both, a], draws[:, both, b])
        reps = reps[np.isfinite(reps)]
        lo, hi = np.quantile(reps, [alpha, 1 - alpha]) if reps.size else (np.nan, np.nan)
        pairs = n * (n - 1) // 2
        rows.append({"metric_a": matrix.values.columns[a], "metric_b": matrix.values.columns[b], "tau": float(tau),
                     "ci_low": float(lo), "ci_high": float(hi), "units": n, "discordant": int(discordant),
                     "pairs": pairs, "discordant_share": discordant / pairs})
    return pd.DataFrame(rows, columns=["metric_a", "metric_b", "tau", "ci_low", "ci_high", "units", "discordant",
                                       "pairs", "discordant_share"])


def discordant_pairs(matrix: MetricMatrix, a: str, b: str, directions: dict[str, str] | None = None) -> pd.DataFrame:
    """The unit pairs that metrics ``a`` and ``b`` order differently: which unit each prefers."""
    va, vb = matrix.values[a] * _sign(a, directions), matrix.values[b] * _sign(b, directions)
    rows = []
    for u, w in combinations([u for u in matrix.units if np.isfinite(va[u]) and np.isfinite(vb[u])], 2):
        if (va[u] - va[w]) * (vb[u] - vb[w]) < 0:
            rows.append({"unit_1": u, "unit_2": w, f"better_by_{a}": u if va[u] > va[w] else w,
                         f"better_by_{b}": u if vb[u] > vb[w] else w})
    return pd.DataFrame(rows)


def pareto_front(matrix: MetricMatrix, directions: dict[str, str | None]) -> pd.Series:
    """Which units no other unit beats on every chosen metric (at least as good on all, better on one).

    ``directions`` maps each chosen metric to ``higher``/``lower``, or to None to take the registry's direction; a
    neutral metric needs an explicit one. Units missing a chosen metric are not on the front.
    """
    for metric, direction in directions.items():
        if metric not in matrix.values.columns:
            raise InputError(f"no values of {metric}; these runs have {', '.join(matrix.values.columns)}")
        if direction_of(metric, direction) not in ("higher", "lower"):
            raise InputError(f"{metric} has no better direction; say which you want, e.g. {metric}:lower")
    scores = matrix.values[list(directions)].to_numpy(float) * np.array([_sign(m, directions) for m in directions])
    complete = np.isfinite(scores).all(axis=1)
    front = np.zeros(len(scores), dtype=bool)
    for i in np.flatnonzero(complete):
        others = scores[complete]
        dominated = ((others >= scores[i]).all(axis=1) & (others > scores[i]).any(axis=1)).any()
        front[i] = not dominated
    return pd.Series(front, index=matrix.values.index, name="pareto")


def weighted_sum(matrix: MetricMatrix, weights: dict[str, float]) -> pd.Series:
    """Σ weight × value over the named metrics, in each metric's better orientation; only when a user asks for it
    with explicit weights, and always shown next to the metrics it sums, never instead of them."""
    if not weights:
        raise InputError("a weighted sum needs explicit weights, e.g. accuracy=0.7 coverage=0.3")
    missing = [m for m in weights if m not in matrix.values.columns]
    if missing:
        raise InputError(f"no values of {', '.join(missing)} to weigh")
    return sum(w * _sign(m) * matrix.values[m] for m, w in weights.items()).rename("weighted_sum")
