"""Corrections for testing several hypotheses at once, so that a table of verdicts keeps the error each one states."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm, 1979): rejecting every hypothesis whose adjusted p-value is at most α
    keeps the chance of any false rejection (the family-wise error) at most α under any dependence between the tests,
    with more power than Bonferroni. NaN p-values stay NaN and do not count as tests."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    steps = (len(order) - np.arange(len(order))) * p[order]
    adjusted[order] = np.minimum(np.maximum.accumulate(steps), 1.0)
    return adjusted
