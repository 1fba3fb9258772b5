"""How well a preference model serves people: held-out accuracy and log-loss overall, by group and for the worst
group (with intervals), calibration, and the learning curve on people never seen in training."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..metrics import disaggregate
from .base import ChoiceEstimator
from .choices import Choices


@dataclass
class Split:
    """Comparisons split for evaluation: ``train`` and ``test`` from seen annotators (their last comparisons held
    out); ``unseen`` holds every comparison of annotators kept out of training, in their original order."""

    train: Choices
    test: Choices
    unseen: Choices


def _tail(annotators: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Each comparison's position among its annotator's (0-based), and whether it is in their last ``share``."""
    order = pd.Series(np.arange(len(annotators))).groupby(annotators).cumcount().to_numpy()
    counts = pd.Series(annotators).map(pd.Series(annotators).value_counts()).to_numpy()
    return order, order >= np.ceil(counts * (1 - share))


def split_choices(choices: Choices, test_share: float = 0.25, unseen_share: float = 0.2, random_state: int = 0) -> Split:
    """Hold out the last ``test_share`` of each annotator's comparisons, and ``unseen_share`` of the annotators."""
    rng = np.random.default_rng(random_state)
    annotators = np.unique(choices.annotator)
    unseen_people = rng.choice(annotators, size=int(round(unseen_share * len(annotators))), replace=False)
    unseen = np.isin(choices.annotator, unseen_people)
    _, held = _tail(choices.annotator, test_share)
    return Split(choices.subset(~unseen & ~held), choices.subset(~unseen & held), choices.subset(unseen))


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins by their size."""
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        inside = bins == b
        total += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(total)


def per_comparison(model: ChoiceEstimator, choices: Choices) -> pd.DataFrame:
    """One row per comparison: correct (0/1), log-loss, confidence, annotator, group."""
    p = model.predict_proba(choices)
    picked = p.argmax(1)
    return pd.DataFrame({
        "annotator": choices.annotator,
        "group": choices.group if choices.group is not None else "all",
        "correct": (picked == choices.chosen).astype(float),
        "log_loss": -np.log(np.clip(p[np.arange(len(choices)), choices.chosen], 1e-12, None)),
        "confidence": p.max(1),
    })


def evaluate(model: ChoiceEstimator, choices: Choices, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """The long metrics table (metric, grouping, group, value, ci_low, ci_high, n) of accuracy and log-loss overall
    and by group, the worst group's accuracy, and calibration (ECE)."""
    rows = per_comparison(model, choices)
    table = disaggregate(rows, {"accuracy": "correct", "log_loss": "log_loss"}, ["group"], n_boot=n_boot, seed=seed)
    by_group = table[(table["metric"] == "accuracy") & (table["grouping"] == "group") & ~table["group"].isin(["gap", "ratio"])]
    worst = by_group.loc[by_group["value"].idxmin()]
    extra = [{**worst.to_dict(), "metric": "worst_group_accuracy", "grouping": "group"},
             {"metric": "ece", "grouping": "overall", "group": "all", "n": len(rows),
              "value": expected_calibration_error(rows["confidence"].to_numpy(), rows["correct"].to_numpy())}]
    return pd.concat([table, pd.DataFrame(extra)], ignore_index=True)


def unseen_learning_curve(model: ChoiceEstimator, unseen: Choices, shots: Sequence[int] = (0, 5, 10, 20),
                          test_share: float = 0.25) -> pd.DataFrame:
    """Accuracy on people never seen in training after adapting to their first ``s`` comparisons, for each s.

    Every point is scored on the same comparisons: the last ``test_share`` of each unseen person's, never used
    for adaptation. The model must have ``adapt``.
    """
    order, test_rows = _tail(unseen.annotator, test_share)
    test = unseen.subset(test_rows)
    out = []
    for s in shots:
        model.adapted_ = {}
        support = ~test_rows & (order < s)
        if support.any():
            model.adapt(unseen.subset(support))
        rows = per_comparison(model, test)
        out.append({"shots": s, "accuracy": rows["correct"].mean(), "log_loss": rows["log_loss"].mean(), "n": len(rows)})
    model.adapted_ = {}
    return pd.DataFrame(out)
