"""Tensions between metrics: do they order models (or configurations, or groups) the same way?

Metrics are compared in their "better" orientation (a ``lower`` metric is negated; a ``neutral`` one is taken as it
is), so Kendall's τ = −1 means what is best by one metric is worst by the other. Its interval bounds τ of the true
values by projection: each value's stored interval is widened (Bonferroni) so that all of them hold at once, and a
unit pair counts as ordered one way only where both metrics' widened intervals separate the two units; τ then lies
between the pairs ordered alike minus the rest and the pairs ordered alike plus the undecided ones (``rank_agreement``).
Units without a finite interval on both metrics are left out and counted. With the handful of units a comparison
has, redrawing around the noisy points (what this did before) gave intervals that missed the true τ, and units with
no interval at all came out certain.

"Separated" is one rule for everything that ranks (``separated``): one unit is better than another on a metric only
where their 95% intervals do not overlap, as ``compare``'s best cell and Pareto front use it. Nothing here adds
metrics up, except ``weighted_sum`` when a user asks for it by name with explicit weights.
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

TAU_INTERVAL_NOTE = ("τ intervals hold when every value's interval, widened to hold for all at once, covers its true "
                     "value; a pair of units counts as ordered only where both intervals separate it. Units without an "
                     "interval are left out.")


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


def _tau_b(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Kendall's τ-b of x and y (a test checks it against scipy) and the count of discordant unit pairs."""
    i, j = np.triu_indices(len(x), k=1)
    dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    tied_x, tied_y = (dx == 0).sum(), (dy == 0).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = (dx * dy).sum() / np.sqrt((len(i) - tied_x) * (len(i) - tied_y))
    return float(tau), int((dx * dy < 0).sum())


def separated(matrix: MetricMatrix, metrics: Sequence[str], directions: dict[str, str | None] | None = None,
              widen: float = 1.0) -> np.ndarray:
    """[i, j, k]: whether unit i's interval on ``metrics[k]`` lies wholly on the better side of unit j's (the two
    do not overlap), each side of every interval first stretched ``widen`` times about its value. A missing or
    infinite bound separates nothing."""
    signs = np.array([_sign(m, directions) for m in metrics])
    value = matrix.values[list(metrics)].to_numpy(float)
    low = value - (value - matrix.low[list(metrics)].to_numpy(float)) * widen
    high = value + (matrix.high[list(metrics)].to_numpy(float) - value) * widen
    low, high = np.where(signs > 0, low, -high), np.where(signs > 0, high, -low)  # in the better orientation
    with np.errstate(invalid="ignore"):
        return low[:, None] > high[None, :]


def _measured(matrix: MetricMatrix, a: str, b: str) -> tuple[np.ndarray, int]:
    """Which units have a value and a finite interval on both metrics, and how many with both values have not."""
    cells = [matrix.values[[a, b]], matrix.low[[a, b]], matrix.high[[a, b]]]
    valued = np.isfinite(cells[0].to_numpy(float)).all(axis=1)
    kept = np.all([np.isfinite(c.to_numpy(float)).all(axis=1) for c in cells], axis=0)
    return kept, int((valued & ~kept).sum())


def rank_agreement(matrix: MetricMatrix, directions: dict[str, str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Kendall's τ between every pair of metrics over the units with a finite interval on both, an interval for τ of
    their true values, and how many unit pairs the two metrics order differently.

    The interval is a projection: every value's interval is widened about its value by z(1 − α/(4u))/z(1 − α/2) for
    u units (α = 1 − ``level``; Bonferroni over the 2u values, reading each stored interval as normal), so that all
    2u hold at once with probability at least ``level``; then a unit pair is concordant (C) or discordant (D) for
    certain where both metrics' widened intervals separate it, and undecided (U) otherwise, and τ of the true
    values (without ties) lies in [(C − D − U)/P, (C − D + U)/P] over the P pairs. It does not depend on how the
    metrics' errors correlate. Wide by design: with few units it says how little their ordering is known.

    Returns one row per pair: metric_a, metric_b, tau, ci_low, ci_high, units, left_out (units with both values but
    no interval), discordant, pairs, discordant_share.
    """
    from scipy.stats import norm  # here: a bad run or option is refused without importing scipy.stats

    alpha = 1 - level
    rows = []
    for a, b in combinations(matrix.values.columns, 2):
        kept, left_out = _measured(matrix, a, b)
        n = int(kept.sum())
        if n < 2:
            continue
        widen = norm.ppf(1 - alpha / (4 * n)) / norm.ppf(1 - alpha / 2)
        signs = np.array([_sign(a, directions), _sign(b, directions)])
        value = matrix.values[[a, b]].to_numpy(float)[kept] * signs
        tau, discordant = _tau_b(value[:, 0], value[:, 1])
        above = separated(matrix, [a, b], directions, widen)[kept][:, kept].astype(int)
        i, j = np.triu_indices(n, k=1)
        order = above - above.transpose(1, 0, 2)  # +1 or −1 where the intervals order the pair, 0: undecided
        sure = order[i, j, 0] * order[i, j, 1]
        pairs = len(i)
        known = int((sure > 0).sum()) - int((sure < 0).sum())
        undecided = int((sure == 0).sum())
        rows.append({"metric_a": a, "metric_b": b, "tau": tau, "ci_low": (known - undecided) / pairs,
                     "ci_high": (known + undecided) / pairs, "units": n, "left_out": left_out,
                     "discordant": discordant, "pairs": pairs, "discordant_share": discordant / pairs})
    return pd.DataFrame(rows, columns=["metric_a", "metric_b", "tau", "ci_low", "ci_high", "units", "left_out",
                                       "discordant", "pairs", "discordant_share"])


def discordant_pairs(matrix: MetricMatrix, a: str, b: str, directions: dict[str, str] | None = None) -> pd.DataFrame:
    """The unit pairs that metrics ``a`` and ``b`` order differently (among the units ``rank_agreement`` keeps):
    which unit each prefers."""
    va, vb = matrix.values[a] * _sign(a, directions), matrix.values[b] * _sign(b, directions)
    kept, _ = _measured(matrix, a, b)
    rows = []
    for u, w in combinations(matrix.values.index[kept], 2):
        if (va[u] - va[w]) * (vb[u] - vb[w]) < 0:
            rows.append({"unit_1": u, "unit_2": w, f"better_by_{a}": u if va[u] > va[w] else w,
                         f"better_by_{b}": u if vb[u] > vb[w] else w})
    return pd.DataFrame(rows)


def pareto_front(matrix: MetricMatrix, directions: dict[str, str | None]) -> pd.Series:
    """Which units no other unit is shown to beat on every chosen metric: a unit leaves the front only where another
    unit's interval lies wholly on the better side of its own on each of the metrics (``separated``). With
    overlapping intervals every unit stays on the front: the data cannot say that one is dominated.

    ``directions`` maps each chosen metric to ``higher``/``lower``, or to None to take the registry's direction; a
    neutral metric needs an explicit one. Units missing a chosen metric are not on the front.
    """
    for metric, direction in directions.items():
        if metric not in matrix.values.columns:
            raise InputError(f"no values of {metric}; these runs have {', '.join(matrix.values.columns)}")
        if direction_of(metric, direction) not in ("higher", "lower"):
            raise InputError(f"{metric} has no better direction; say which you want, e.g. {metric}:lower")
    complete = matrix.values[list(directions)].notna().all(axis=1).to_numpy()
    dominated = separated(matrix, list(directions), directions).all(axis=2).any(axis=0)
    return pd.Series(complete & ~dominated, index=matrix.values.index, name="pareto")


def weighted_sum(matrix: MetricMatrix, weights: dict[str, float]) -> pd.Series:
    """Σ weight × value over the named metrics, in each metric's better orientation; only when a user asks for it
    with explicit weights, and always shown next to the metrics it sums, never instead of them."""
    if not weights:
        raise InputError("a weighted sum needs explicit weights, e.g. accuracy=0.7 coverage=0.3")
    missing = [m for m in weights if m not in matrix.values.columns]
    if missing:
        raise InputError(f"no values of {', '.join(missing)} to weigh")
    return sum(w * _sign(m) * matrix.values[m] for m, w in weights.items()).rename("weighted_sum")
