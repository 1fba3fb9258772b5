"""Disaggregated metrics with bootstrap intervals, in the spirit of fairlearn's MetricFrame.

A metric here is the mean of a per-item value (p(agree), a 0/1 refusal, an alignment score), so one vectorised
bootstrap serves every job. Groups are resampled independently and in the same replicates, which gives intervals
for the gap (max - min) and ratio (min / max) between groups, not just for each group. Written here rather than
taken from fairlearn because fairlearn's metrics take (y_true, y_pred) pairs and do not bootstrap gaps jointly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd


def _boot_means(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    idx = rng.integers(0, len(values), size=(n_boot, len(values)))
    return values[idx].mean(axis=1)


def _interval(replicates: np.ndarray, level: float) -> tuple[float, float]:
    alpha = (1 - level) / 2
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(finite, [alpha, 1 - alpha])
    return float(lo), float(hi)


@dataclass
class MetricFrame:
    """The mean of ``value`` overall and by ``by``, each with a bootstrap interval and the group size.

    Args:
        data: one row per item.
        value: column of per-item values (NaN rows are dropped).
        by: column or columns to disaggregate by.
        n_boot, level, seed: bootstrap replicates, interval level, random seed.

    Example:
        >>> mf = MetricFrame(stance, "p_agree", by="language")
        >>> mf.by_group        # language, value, ci_low, ci_high, n
        >>> mf.difference()    # largest gap between languages, with its interval
    """

    data: pd.DataFrame
    value: str
    by: str | Sequence[str]
    n_boot: int = 1000
    level: float = 0.95
    seed: int = 0
    _replicates: dict = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by = [self.by] if isinstance(self.by, str) else list(self.by)
        rng = np.random.default_rng(self.seed)
        clean = self.data.dropna(subset=[self.value])
        values = clean[self.value].to_numpy(dtype=float)
        self._overall = (values, _boot_means(values, self.n_boot, rng) if len(values) else np.full(self.n_boot, np.nan))
        self._replicates = {}
        for key, part in clean.groupby(self.by, sort=True, dropna=False):
            v = part[self.value].to_numpy(dtype=float)
            self._replicates[key if isinstance(key, tuple) else (key,)] = (v, _boot_means(v, self.n_boot, rng))

    @property
    def overall(self) -> pd.Series:
        values, reps = self._overall
        lo, hi = _interval(reps, self.level)
        return pd.Series({"value": float(values.mean()) if len(values) else float("nan"), "ci_low": lo, "ci_high": hi, "n": len(values)})

    @property
    def by_group(self) -> pd.DataFrame:
        rows = []
        for key, (values, reps) in self._replicates.items():
            lo, hi = _interval(reps, self.level)
            rows.append({**dict(zip(self.by, key)), "value": float(values.mean()), "ci_low": lo, "ci_high": hi, "n": len(values)})
        return pd.DataFrame(rows, columns=[*self.by, "value", "ci_low", "ci_high", "n"])

    def _across(self, reduce) -> pd.Series:
        if len(self._replicates) < 2:
            return pd.Series({"value": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")})
        means = np.array([v.mean() for v, _ in self._replicates.values()])
        reps = np.stack([r for _, r in self._replicates.values()])
        lo, hi = _interval(reduce(reps), self.level)
        return pd.Series({"value": float(reduce(means[:, None])[0]), "ci_low": lo, "ci_high": hi})

    def difference(self) -> pd.Series:
        """Largest minus smallest group value, with a joint bootstrap interval."""
        return self._across(lambda m: m.max(axis=0) - m.min(axis=0))

    def ratio(self) -> pd.Series:
        """Smallest over largest group value (1 means parity, also when all groups are 0), with a joint bootstrap
        interval."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._across(lambda m: np.where(m.max(axis=0) == m.min(axis=0), 1.0, m.min(axis=0) / m.max(axis=0)))

    def group_min(self) -> pd.Series:
        return self.by_group.loc[self.by_group["value"].idxmin()]

    def group_max(self) -> pd.Series:
        return self.by_group.loc[self.by_group["value"].idxmax()]


def disaggregate(
    data: pd.DataFrame, metrics: dict[str, str], groupings: Sequence[str], keys: Sequence[str] = (), **options
) -> pd.DataFrame:
    """The long metrics table every job writes: one row per (keys, metric, grouping, group).

    Args:
        metrics: metric name -> column of per-item values.
        groupings: columns to disaggregate by; "overall" rows are always included, and so are the gap and the
            ratio between the groups of each grouping (as groups named ``gap`` and ``ratio``).
        keys: columns that split the table first (e.g. ``model``), kept as columns of the result.
    """
    rows = []
    parts = data.groupby(list(keys), sort=True) if keys else [((), data)]
    for key, part in parts:
        base = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        for metric, column in metrics.items():
            if column not in part.columns or part[column].notna().sum() == 0:
                continue
            overall = MetricFrame(part.assign(_all="all"), column, by="_all", **options).overall
            rows.append({**base, "metric": metric, "grouping": "overall", "group": "all", **overall.to_dict()})
            for grouping in groupings:
                if grouping not in part.columns or part[grouping].isna().all():
                    continue
                frame = MetricFrame(part, column, by=grouping, **options)
                for _, g in frame.by_group.iterrows():
                    rows.append({**base, "metric": metric, "grouping": grouping, "group": str(g[grouping]),
                                 **{k: g[k] for k in ("value", "ci_low", "ci_high", "n")}})
                for name, summary in (("gap", frame.difference()), ("ratio", frame.ratio())):
                    rows.append({**base, "metric": metric, "grouping": grouping, "group": name, **summary.to_dict(),
                                 "n": int(part[column].notna().sum())})
    return pd.DataFrame(rows, columns=[*keys, "metric", "grouping", "group", "value", "ci_low", "ci_high", "n"])
