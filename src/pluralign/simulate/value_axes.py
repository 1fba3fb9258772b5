"""Annotators with ideal points on the two value axes, choosing among judged candidates: who picks what when the
candidates differ (or do not) in the values they express."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..data.axes import AXES

# The four quadrants of the value map: (traditional_secular, survival_self_expression).
QUADRANTS = {"traditional-survival": (-0.6, -0.6), "traditional-expression": (-0.6, 0.6),
             "secular-survival": (0.6, -0.6), "secular-expression": (0.6, 0.6)}


def simulate_value_choices(positions: np.ndarray, sets: Sequence[Sequence[int]], n_annotators: int = 100,
                           proportions: Sequence[float] = (0.25, 0.25, 0.25, 0.25), spread: float = 0.25,
                           sharpness: float = 4.0, random_state: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every annotator chooses the best of every set.

    An annotator of type t has an ideal point drawn around the centre of quadrant t (``spread`` its sd); the
    utility of a candidate at judged position x is ``-sharpness * |ideal - x|^2`` plus Gumbel noise, so choices
    follow a softmax over closeness in value space.

    Args:
        positions: (m, 2) judged position of every candidate on the two axes.
        sets: for each set, the rows of ``positions`` offered together.
    Returns:
        ``annotators`` (annotator, type, ideal_traditional_secular, ideal_survival_self_expression) and
        ``choices`` (annotator, set, chosen: position within the set), ordered by annotator then set.
    """
    rng = np.random.default_rng(random_state)
    names = list(QUADRANTS)
    types = rng.choice(len(names), size=n_annotators, p=np.asarray(proportions) / np.sum(proportions))
    ideals = np.array([QUADRANTS[names[t]] for t in types]) + rng.normal(scale=spread, size=(n_annotators, 2))
    annotators = pd.DataFrame({"annotator": np.arange(n_annotators), "type": [names[t] for t in types],
                               **{f"ideal_{axis}": ideals[:, i] for i, axis in enumerate(AXES)}})
    rows = []
    for a in range(n_annotators):
        for s, members in enumerate(sets):
            x = positions[np.asarray(members)]
            utility = -sharpness * ((x - ideals[a]) ** 2).sum(axis=1) + rng.gumbel(size=len(members))
            rows.append((a, s, int(utility.argmax())))
    return annotators, pd.DataFrame(rows, columns=["annotator", "set", "chosen"])
