"""A scorecard of several runs side by side: every metric kept, their tensions and the Pareto front shown; a unit is
marked better than another only where their intervals separate the two (``tensions.separated``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from .checks import GROUPING, check_results, degenerate, only_fired
from .registry import direction_of
from .store import select
from .tensions import MetricMatrix, metric_matrix, pareto_front, rank_agreement, separated, weighted_sum


@dataclass
class Scorecard:
    """Units × metrics with intervals, how each pair of metrics agrees, the Pareto front over the chosen metrics,
    a weighted sum only when one was asked for, and every degeneracy check of the compared runs (``checks``, as
    ``check_results`` gives them: the cells they flag are shown but never ranked)."""

    matrix: MetricMatrix
    agreement: pd.DataFrame
    pareto_metrics: dict[str, str | None]
    pareto: pd.Series | None
    weights: dict[str, float]
    weighted: pd.Series | None
    checks: pd.DataFrame

    @property
    def fired(self) -> pd.DataFrame:
        """The checks that fired in the compared runs."""
        return only_fired(self.checks)

    def best(self) -> dict[str, str]:
        """For each directed metric, the unit whose 95% interval lies wholly on the better side of every other unit's
        (non-overlapping intervals), among cells no check flags; no unit when intervals overlap or one is missing."""
        out = {}
        ranked = self.matrix.informative()
        for metric in ranked.values.columns:
            if direction_of(metric) == "neutral":
                continue
            valued = ranked.values[metric].notna().to_numpy()
            beats = separated(ranked, [metric])[valued][:, valued, 0]
            winners = np.flatnonzero(beats.sum(axis=1) == valued.sum() - 1)
            if valued.sum() > 1 and len(winners):
                out[metric] = ranked.values.index[valued][winners[0]]
        return out

    def cell(self, unit: str, metric: str) -> str:
        value = self.matrix.values.at[unit, metric]
        if not np.isfinite(value):
            return "–"
        low, high = self.matrix.low.at[unit, metric], self.matrix.high.at[unit, metric]
        text = f"{value:.3f} [{low:.3f}, {high:.3f}]" if np.isfinite(low) and np.isfinite(high) else f"{value:.3f}"
        flag = self.matrix.flags.at[unit, metric]
        return f"{text} ⚠ {flag}" if flag else text


def parse_directions(items: list[str]) -> dict[str, str | None]:
    """``accuracy`` or ``refusal_rate:lower`` -> {metric: direction or None (the registry's)}."""
    out = {}
    for item in items:
        for part in filter(None, (p.strip() for p in item.split(","))):
            name, _, direction = part.partition(":")
            if direction and direction not in ("higher", "lower"):
                raise InputError(f"{part!r}: a direction is higher or lower")
            out[name] = direction or None
    return out


def parse_units(text: str, columns) -> list[str]:
    """``run,model,setting`` -> the columns that make a unit; a clear error when a table lacks one of them."""
    units = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in units if c not in columns]
    if unknown:
        raise InputError(f"--by {', '.join(unknown)}: not a column of these runs' metrics (by={text} must name "
                         f"some of: {', '.join(columns)})")
    return units


def parse_where(items: list[str]) -> dict[str, str]:
    """``COLUMN=VALUE`` filters -> {column: value}; empty items (an unused form field) are skipped."""
    out = {}
    for item in filter(None, items):
        column, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--where {item!r}: write COLUMN=VALUE, e.g. --where split='unseen conversations'")
        out[column] = value
    return out


def scorecard(metrics: pd.DataFrame, grouping: str = "overall", pareto: dict[str, str | None] | None = None,
              weights: dict[str, float] | None = None, by: Sequence[str] = ("run", "model", "setting"),
              where: dict[str, str] | None = None) -> Scorecard:
    """Compare the runs in a common metrics table, unit by unit (``by``: default each run's model and setting), after
    ``where`` filters (see ``select``). The Pareto front is over ``pareto`` (default: every metric with a better
    direction that all units have); a weighted sum is computed only for explicit ``weights``."""
    metrics = select(metrics, where or {})
    results = check_results(metrics)
    flagged = degenerate(metrics, results)
    measured = metrics[metrics["grouping"] != GROUPING]  # checks are shown as warnings, not ranked as metrics
    matrix = metric_matrix(measured.merge(flagged, on=_CELL, how="left") if len(flagged) else measured, by=by,
                           grouping=grouping)
    ranked = matrix.informative()
    if pareto is None:
        complete = ranked.values.columns[ranked.values.notna().all()]
        pareto = {m: None for m in complete if direction_of(m) != "neutral"}
    _refuse_degenerate(matrix, [*pareto, *(weights or {})])
    front = pareto_front(ranked, pareto) if pareto and len(matrix.units) > 1 else None
    weighted = weighted_sum(ranked, weights) if weights else None
    return Scorecard(matrix, rank_agreement(ranked), pareto, front, weights or {}, weighted, results)


_CELL = ["run", "model", "setting", "metric"]


def _refuse_degenerate(matrix: MetricMatrix, metrics: list[str]) -> None:
    """A ranking asked for by name on a metric that a check flags for some unit is refused, naming both."""
    for metric in metrics:
        if metric in matrix.flags.columns and matrix.flags[metric].ne("").any():
            unit = matrix.flags.index[matrix.flags[metric].ne("")][0]
            raise InputError(f"{metric} carries no information for {unit} (check {matrix.flags.at[unit, metric]} "
                             "fired; see the run's report): rank on other metrics, or fix what the check names")
