"""Disaggregated metrics with bootstrap intervals, in the spirit of fairlearn's MetricFrame.

A metric here is the mean of a per-item value (p(agree), a 0/1 refusal, an alignment score), so one vectorised
bootstrap serves every job. Written here rather than taken from fairlearn because fairlearn's metrics take
(y_true, y_pred) pairs and neither resample clusters nor give intervals for gaps that hold their error rate.

The intervals, and why they are made as they are, are in ``intervals.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from .intervals import LEVEL, cell_weights, exact_bound, largest_difference, percentile_interval, simultaneous, stretch
from .registry import REGISTRY

_NAN = float("nan")
_CELL_WEIGHTS = 2**22  # cell weights made at once (32 MiB): replicates go in blocks when cells are many


def _codes(column: pd.Series) -> np.ndarray:
    """Integer codes of a cluster column; a row with no cluster is a cluster of its own."""
    codes, uniques = pd.factorize(column)
    missing = codes < 0
    codes[missing] = len(uniques) + np.arange(missing.sum())
    return codes


@dataclass
class MetricFrame:
    """The mean of ``value`` overall and by ``by``, each with a bootstrap interval and the group size.

    Args:
        data: one row per item.
        value: column of per-item values (NaN rows are dropped).
        by: column or columns to disaggregate by.
        cluster: column whose rows are resampled together (an annotator, a statement and its translation, a
            question), or a tuple of columns whose clusters are crossed (``("annotator", "prompt")``: many people
            answer each prompt), resampled independently, each row weighted by the product of its clusters'
            weights (see ``intervals.py``); None resamples rows one by one.
        n_boot, level, seed: bootstrap replicates, interval level, random seed.
        paired: the values are paired differences (one model's 0/1 correctness minus another's on the same item):
            never read as shares in [0, 1] and clipped to it (only to ``bounds``, their registered range, e.g. [−1, 1]),
            and a group whose every difference is 0 (the two agree on every item) gets ± the exact bound on the share
            of items where they would differ, instead of [0, b].
        bounds: the range the values can take (a metric's registered range: ``disaggregate`` passes it); intervals
            are clipped to it, and a group whose every value sits at a finite end of it gets the exact bound. None
            reads [0, 1] from values that all lie in it (0/1 answers, probabilities), else no range; a count or a
            difference that happens to be all 0 (no tensions in any situation) would then pass for a 0/1 share.

    Example:
        >>> mf = MetricFrame(items, "p_agree", by="language", cluster="statement_id")
        >>> mf.by_group        # language, value, ci_low, ci_high, n
        >>> mf.difference()    # largest gap between languages, with a simultaneous interval
        >>> mf.worst()         # the worst language among those with at least 20 items
    """

    data: pd.DataFrame
    value: str
    by: str | Sequence[str]
    cluster: str | tuple[str, ...] | None = None
    n_boot: int = 1000
    level: float = LEVEL
    seed: int = 0
    paired: bool = False
    bounds: tuple[float, float] | None = None
    _reps: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from scipy import sparse  # here: a command that refuses its input never imports scipy
        from scipy.stats import norm

        if self.n_boot < 100:
            raise ValueError(f"n_boot must be at least 100 to give intervals at all, got {self.n_boot}")
        self.by = [self.by] if isinstance(self.by, str) else list(self.by)
        self._ways = () if self.cluster is None else (self.cluster,) if isinstance(self.cluster, str) else self.cluster
        keep = self.data[self.value].notna().to_numpy()
        clean = self.data[keep]
        values = clean[self.value].to_numpy(dtype=float)
        grouped = clean.groupby(self.by, sort=True, dropna=False)
        sizes = grouped.size()
        self._keys = [k if isinstance(k, tuple) else (k,) for k in sizes.index]
        self._n = sizes.to_numpy()
        # clusters numbered over all rows: every metric and grouping of one table then shares one set of weights
        ways = np.column_stack([_codes(self.data[c]) for c in self._ways] if self._ways else [np.arange(len(self.data))])
        cells, cell = np.unique(ways, axis=0, return_inverse=True)  # one way: the clusters, in order
        group = grouped.ngroup().to_numpy()
        shape = (len(cells), len(self._keys))
        at = (cell.ravel()[keep], group)
        sums = sparse.csr_array((values, at), shape=shape)  # duplicates add up: cell × group sums and counts
        counts = sparse.csr_array((np.ones(len(values)), at), shape=shape)
        totals, weighted = np.empty((2, shape[1], self.n_boot))  # groups × replicates
        step = max(1, _CELL_WEIGHTS // max(len(cells), 1))
        for start in range(0, self.n_boot, step):
            block = slice(start, start + step)
            weights = cell_weights(cells, self.n_boot, self.seed, block)
            totals[:, block], weighted[:, block] = sums.T @ weights, counts.T @ weights
        with np.errstate(invalid="ignore", divide="ignore"):
            self._reps = (totals / weighted).T
            self._overall_reps = totals.sum(axis=0) / weighted.sum(axis=0)
        # each way's clusters per group and overall; the effective count is the fewest of any way (see intervals.py)
        distinct = [pd.DataFrame({"cluster": codes[keep], "group": group}).drop_duplicates()["group"]
                    .value_counts().reindex(range(shape[1]), fill_value=0).to_numpy() for codes in ways.T]
        self._first_clusters = distinct[0]
        self._clusters = np.min(distinct, axis=0), min(len(np.unique(codes[keep])) for codes in ways.T)
        self._values = np.asarray(sums.sum(axis=0)).ravel() / np.maximum(self._n, 1)
        self._overall = (float(values.mean()) if len(values) else _NAN, len(values))
        self._nonnegative = bool((values >= 0).all())
        self._range = self._value_range(values)
        spans = pd.Series(values).groupby(grouped.ngroup().to_numpy()).agg(["min", "max"]).to_numpy()
        self._spans = spans.reshape(len(self._keys), 2)
        self._overall_span = (values.min(), values.max()) if len(values) else (_NAN, _NAN)
        # a group whose values all sit at one end of their range (no refusal at all): its replicates never move, so
        # it gets the exact bound and, for the max-T intervals, the standard error that bound implies instead of 0
        self._extra = np.zeros(len(self._keys))
        for g, span in enumerate(self._spans):
            c = self._clusters[0][g]
            exact = self._exact(span, c) if c >= 2 else None
            if exact is not None:
                self._extra[g] = (exact[1] - exact[0]) / (norm.ppf((1 + self.level) / 2) * stretch(c, self.level))

    def _value_range(self, values: np.ndarray) -> tuple[float, float]:
        """The range the values can take (see ``bounds``), widened to hold every value seen. Paired differences are
        never guessed to be shares: without ``bounds`` they are unbounded (a difference of two shares still gets its
        registered [−1, 1], so an interval on few units cannot claim a shift below −1)."""
        if not len(values):
            return -np.inf, np.inf
        if self.bounds is None:
            shares = not self.paired and ((values >= 0) & (values <= 1)).all()
            return (0.0, 1.0) if shares else (-np.inf, np.inf)
        return min(self.bounds[0], values.min()), max(self.bounds[1], values.max())

    def _exact(self, span, clusters: int) -> tuple[float, float] | None:
        """The interval of a group whose every value sits at one end of a finite range: [0, b] for no refusal among
        the answers of ``clusters`` clusters, b the exact bound on the share of clusters off that end, scaled to the
        range (mirrored at the top end); None for any other group (a count all at 0 has no top end to scale to)."""
        low, high = self._range
        if span[0] != span[1] or span[0] not in (low, high) or not np.isfinite(high - low):
            return None
        width = (high - low) * exact_bound(clusters, self.level)
        return (low, low + width) if span[0] == low else (high - width, high)

    def _interval(self, point: float, reps: np.ndarray, clusters: int, span) -> tuple[float, float]:
        """One group's (or the overall) marginal interval; see the module docstring."""
        if not np.isfinite(reps).any() or not np.isfinite(point):
            return _NAN, _NAN
        if clusters < 2:  # one cluster says nothing about how much the mean varies
            return -np.inf, np.inf
        exact = self._exact(span, clusters)
        if exact is not None:
            return exact
        if self.paired and span[0] == span[1] == 0:
            bound = exact_bound(clusters, self.level)
            return -bound, bound
        lo, hi = percentile_interval(reps, self.level, clusters, point)
        return max(lo, self._range[0]), min(hi, self._range[1])

    def _noisy(self, reps: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """``reps`` plus seeded normal noise of sd ``scale`` per group (0 leaves a group's replicates as they are)."""
        if not scale.any():
            return reps
        noise = np.random.default_rng([self.seed, 1]).standard_normal(reps.shape)
        return reps + scale * noise

    @property
    def overall(self) -> pd.Series:
        lo, hi = self._interval(self._overall[0], self._overall_reps, self._clusters[1], self._overall_span)
        return pd.Series({"value": self._overall[0], "ci_low": lo, "ci_high": hi, "n": self._overall[1]})

    @property
    def by_group(self) -> pd.DataFrame:
        rows = [{**dict(zip(self.by, key)), "value": v, "ci_low": lo, "ci_high": hi, "n": int(n)}
                for key, v, r, c, span, n in zip(self._keys, self._values, self._reps.T, self._clusters[0], self._spans,
                                                 self._n)
                for lo, hi in [self._interval(v, r, c, span)]]
        return pd.DataFrame(rows, columns=[*self.by, "value", "ci_low", "ci_high", "n"])

    def difference(self) -> pd.Series:
        """Largest minus smallest group value, with a simultaneous (max-T) interval that can reach 0.

        Groups of one cluster have no interval, so with any of them the upper bound is inf; the lower bound then
        comes from the other groups alone."""
        if len(self._keys) < 2:
            return pd.Series({"value": _NAN, "ci_low": _NAN, "ci_high": _NAN})
        ok = self._clusters[0] >= 2
        reps = self._noisy(self._reps, self._extra)
        lo, hi = 0.0, np.inf
        if ok.sum() >= 2:
            _, lo, hi = largest_difference(self._values[ok], reps[:, ok], self.level, self._clusters[0][ok])
        return pd.Series({"value": float(self._values.max() - self._values.min()), "ci_low": lo,
                          "ci_high": hi if ok.all() else np.inf})

    def ratio(self) -> pd.Series:
        """Smallest over largest group value, from the max-T interval of the largest gap between log means.

        1 means parity, also when every group is 0. When any group is 0 the interval is [0, 1], whatever the point
        value (1 when all are 0, else 0): every replicate of an all-zero group is 0, so the bootstrap cannot see how
        far below 1/n its true rate lies, and no ratio is ruled out (a policy on it is inconclusive; read the gap and
        the groups' n instead). With a group of one cluster the lower bound is 0. NaN when values can be negative,
        where a ratio of means means nothing.
        """
        values = self._values
        if len(values) < 2 or not self._nonnegative:
            return pd.Series({"value": _NAN, "ci_low": _NAN, "ci_high": _NAN})
        if (values == 0).any():
            return pd.Series({"value": float((values == 0).all()), "ci_low": 0.0, "ci_high": 1.0})
        ok = self._clusters[0] >= 2
        lo, hi = 0.0, 1.0
        if ok.sum() >= 2:
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = self._noisy(np.log(self._reps), self._extra / values)  # an all-1 group's se, on the log scale
                _, low, high = largest_difference(np.log(values[ok]), logs[:, ok], self.level, self._clusters[0][ok])
            lo, hi = float(np.exp(-high)), float(np.exp(-low))
        return pd.Series({"value": float(values.min() / values.max()), "ci_low": lo if ok.all() else 0.0,
                          "ci_high": hi})

    def worst(self, min_n: int = 20, higher_is_better: bool = True) -> pd.Series:
        """The worst group among those with at least ``min_n`` rows (``min_n`` clusters when ``cluster`` is set,
        e.g. annotators: 25 comparisons from one annotator are one person's; of its first column when crossed: the
        groups are groups of people, whatever the prompts), and an interval for the worst true mean.

        ``group`` is the label of the group with the worst point value; ``ci_low``/``ci_high`` bound the minimum
        (or, when lower is better, the maximum) of the eligible groups' true means, from their simultaneous
        intervals (a group of one cluster has none, leaving the bound on the worst side infinite). ``n`` is the
        winner's rows; ``n_groups`` counts the eligible groups; with none, ``group`` is "" and the numbers are NaN.
        """
        size = self._first_clusters if self.cluster else self._n
        eligible = np.flatnonzero(size >= min_n)
        if eligible.size == 0:
            return pd.Series({"group": "", "value": _NAN, "ci_low": _NAN, "ci_high": _NAN, "n": 0, "n_groups": 0,
                              "min_n": min_n})
        sign = 1 if higher_is_better else -1  # the worst maximum is minus the minimum of minus the values
        point, reps = sign * self._values[eligible], sign * self._noisy(self._reps, self._extra)[:, eligible]
        clusters = self._clusters[0][eligible]
        ok = clusters >= 2
        low, high = np.full(eligible.size, -np.inf), np.full(eligible.size, np.inf)
        if ok.any():
            low[ok], high[ok] = simultaneous(point[ok], reps[:, ok], self.level, clusters[ok])
        at = eligible[np.argmin(point)]
        bounds = sorted((sign * low.min(), sign * high.min()))
        return pd.Series({"group": " / ".join(map(str, self._keys[at])), "value": float(self._values[at]),
                          "ci_low": float(bounds[0]), "ci_high": float(bounds[1]), "n": int(self._n[at]),
                          "n_groups": int(eligible.size), "min_n": min_n})

    def group_min(self) -> pd.Series:
        return self.by_group.loc[self.by_group["value"].idxmin()]

    def group_max(self) -> pd.Series:
        return self.by_group.loc[self.by_group["value"].idxmax()]


def disaggregate(
    data: pd.DataFrame, metrics: dict[str, str], groupings: Sequence[str], keys: Sequence[str] = (),
    cluster: str | tuple[str, ...] | None = None, **options
) -> pd.DataFrame:
    """The long metrics table every job writes: one row per (keys, metric, grouping, group).

    Args:
        metrics: metric name -> column of per-item values; a registered metric's range bounds its intervals.
        groupings: columns to disaggregate by; "overall" rows are always included, and so are the gap and the
            ratio between the groups of each grouping (as groups named ``gap`` and ``ratio``).
        keys: columns that split the table first (e.g. ``model``), kept as columns of the result.
        cluster: column (or crossed columns) whose rows are resampled together (see ``MetricFrame``).
    """
    rows = []
    parts = data.groupby(list(keys), sort=True) if keys else [((), data)]
    ranges = {m: (REGISTRY[m].low, REGISTRY[m].high) if m in REGISTRY else None for m in metrics}
    for key, part in parts:
        base = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        for metric, column in metrics.items():
            if column not in part.columns or part[column].notna().sum() == 0:
                continue
            overall = MetricFrame(part.assign(_all="all"), column, by="_all", cluster=cluster, bounds=ranges[metric],
                                  **options).overall
            rows.append({**base, "metric": metric, "grouping": "overall", "group": "all", **overall.to_dict()})
            for grouping in groupings:
                if grouping not in part.columns or part[grouping].isna().all():
                    continue
                frame = MetricFrame(part, column, by=grouping, cluster=cluster, bounds=ranges[metric], **options)
                for _, g in frame.by_group.iterrows():
                    rows.append({**base, "metric": metric, "grouping": grouping, "group": str(g[grouping]),
                                 **{k: g[k] for k in ("value", "ci_low", "ci_high", "n")}})
                for name, summary in (("gap", frame.difference()), ("ratio", frame.ratio())):
                    rows.append({**base, "metric": metric, "grouping": grouping, "group": name, **summary.to_dict(),
                                 "n": int(part[column].notna().sum())})
    return pd.DataFrame(rows, columns=[*keys, "metric", "grouping", "group", "value", "ci_low", "ci_high", "n"])
