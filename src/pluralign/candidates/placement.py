"""The value placer: where a response sits on the two Inglehart–Welzel axes, through ``score`` with any model.

Position on an axis = p(second pole) − p(first pole), in [−1, 1]: −1 traditional / survival, +1 secular-rational /
self-expression. Each axis is asked twice, with the poles as A/B and as B/A, and the two answers averaged, so
a judge's preference for a letter cancels out instead of pushing every response to one pole.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import MetricFrame
from ..models.base import LanguageModel, ScoreRequest
from ..data.axes import AXES
from .prompts import placement_prompt

class ValuePlacer:
    """Places responses on the value axes with ``model``'s label probabilities; all responses in one batch."""

    def __init__(self, model: LanguageModel, chat: bool = True) -> None:
        self.model, self.chat = model, chat

    def positions(self, texts: list[str]) -> pd.DataFrame:
        """One row per text, one column per axis, values in [−1, 1]."""
        requests = [ScoreRequest(*placement_prompt(t, axis, swapped, self.chat))
                    for t in texts for axis in AXES for swapped in (False, True)]
        if not requests:
            return pd.DataFrame(columns=list(AXES), dtype=float)
        scores = np.array(self.model.score(requests), dtype=float).reshape(len(texts), len(AXES), 2, 2)
        p = np.exp(scores - scores.max(axis=-1, keepdims=True))
        p /= p.sum(axis=-1, keepdims=True)
        # Unswapped: B is the second pole; swapped: A is.
        lean = ((p[:, :, 0, 1] - p[:, :, 0, 0]) + (p[:, :, 1, 0] - p[:, :, 1, 1])) / 2
        return pd.DataFrame(lean, columns=list(AXES))


def placement_accuracy(judge: ValuePlacer, labelled: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Accuracy of the judge on responses with known poles (``text``, ``language``, ``axis``, ``pole`` ±1), per
    axis and language with 95% bootstrap intervals, as the Community Alignment paper reported for its judge."""
    return pole_accuracy(pd.concat([labelled.reset_index(drop=True), judge.positions(labelled["text"].tolist())], axis=1), seed)


def pole_accuracy(placed: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """``placement_accuracy`` from responses already placed (a column per axis beside ``axis``, ``language``, ``pole``)."""
    position = placed[list(AXES)].to_numpy()[np.arange(len(placed)), [list(AXES).index(a) for a in placed["axis"]]]
    table = placed.assign(correct=(np.sign(position) == placed["pole"]).astype(float))
    rows = []
    for (axis, language), part in [*table.groupby(["axis", "language"]), (("all", "all"), table)]:
        mf = MetricFrame(part.assign(_all="all"), "correct", by="_all", seed=seed).overall
        rows.append({"axis": axis, "language": language, "accuracy": mf["value"], "ci_low": mf["ci_low"],
                     "ci_high": mf["ci_high"], "n": int(mf["n"])})
    return pd.DataFrame(rows)


def chosen_positions(comparisons: pd.DataFrame, judge: ValuePlacer) -> pd.DataFrame:
    """The judged position of every chosen response in a comparison table (``pluralign learn``'s: annotator_id,
    candidates, chosen), one row per comparison with ``annotator`` and a column per axis; ``annotator_positions``
    turns it into each person's place on the value map."""
    texts = [cands[i] for cands, i in zip(comparisons["candidates"], comparisons["chosen"])]
    return pd.concat([pd.DataFrame({"annotator": comparisons["annotator_id"].to_numpy()}), judge.positions(texts)], axis=1)
