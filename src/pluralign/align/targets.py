"""What align trains toward: candidate sets ranked into preference pairs by a learned reward, by max-min over the
rewards or by a value pole's judge, or people's own choices taken as pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import comparisons_from, to_trl_pairwise, warn_left_out
from ..data.axes import POLES
from ..errors import InputError
from ..candidates.placement import ValuePlacer
from .core import judge_metrics, target_scores, verdicts

POLE = "pole:"  # a target that names a value pole (data/axes.py)


def preference_pairs(records: list[dict], names: list[str], target: str) -> pd.DataFrame:
    """For each candidate set: the answer the target ranks highest (chosen) and lowest (rejected) (``target_scores``),
    in TRL's conversational shape; sets whose answers the target cannot tell apart are left out."""
    rows = []
    for r in records:
        scores = target_scores([c["rewards"] for c in r["candidates"]], names, target)
        best, worst = int(scores.argmax()), int(scores.argmin())
        if scores[best] > scores[worst]:
            rows.append({"prompt": [{"role": "user", "content": r["prompt"]}],
                         "chosen": [{"role": "assistant", "content": r["candidates"][best]["text"]}],
                         "rejected": [{"role": "assistant", "content": r["candidates"][worst]["text"]}],
                         "prompt_id": r["prompt_id"], "target": target, "margin": float(scores[best] - scores[worst])})
    return pd.DataFrame(rows, columns=["prompt", "chosen", "rejected", "prompt_id", "target", "margin"])


def people_pairs(source: str, where: dict[str, str] | None, target: str) -> pd.DataFrame:
    """People's own choices as preference pairs (each chosen answer against each other candidate, TRL's
    conversational shape), of the people whose annotator columns match ``where``."""
    comparisons, annotators = comparisons_from(source)
    warn_left_out(comparisons, source)
    for column, value in (where or {}).items():
        if annotators is None or column not in annotators.columns:
            known = ", ".join(c for c in (annotators.columns if annotators is not None else []) if c != "annotator_id")
            raise InputError(f"--where {column}={value}: {source} has no person column {column!r} "
                             f"(it has: {known or 'none'})")
        annotators = annotators[annotators[column].astype(str) == value]
    if annotators is not None:
        comparisons = comparisons[comparisons["annotator_id"].isin(annotators["annotator_id"])]
    pairs = to_trl_pairwise(comparisons)
    if pairs.empty:
        raise InputError(f"no comparisons in {source} match --where {where}: nothing to train on")
    return pairs.rename(columns={"comparison_id": "prompt_id"}).assign(target=target, margin=float("nan"))[
        ["prompt", "chosen", "rejected", "prompt_id", "target", "margin"]]


def check_poles(poles: list[str]) -> None:
    """ValueError naming the first of ``poles`` that is not a value pole, and the poles there are."""
    unknown = [p for p in poles if p not in POLES]
    if unknown:
        raise InputError(f"unknown value pole {unknown[0]!r}; choose from {', '.join(POLE + p for p in POLES)}")


class PoleRewards:
    """Value poles as rewards, the same shape as a learned ``GroupRewards``: ``rewards(contexts, responses)`` is
    (n, P), each column how far a response sits toward one pole on its value axis, in [−1, 1] (the value placer's
    position, signed; the context is not read). Named ``pole:traditional``, ...; weighed equally. Opposite poles of
    one axis mirror each other: an answer that gains toward one loses as much toward the other.

    Args:
        judge: the value placer that places the responses.
        poles: which poles (default all four, in ``POLES``' order).
    """

    def __init__(self, judge: ValuePlacer, poles: list[str] | None = None) -> None:
        self.judge, self.poles = judge, list(POLES) if poles is None else poles
        check_poles(self.poles)
        self.names = [POLE + p for p in self.poles]
        self.weights = np.full(len(self.poles), 1 / len(self.poles))

    def __call__(self, contexts, responses) -> np.ndarray:
        """(n, P) each response's signed position toward each pole."""
        positions = self.judge.positions(list(responses))
        return np.column_stack([sign * positions[axis].to_numpy(dtype=float)
                                for axis, sign in (POLES[p] for p in self.poles)]).reshape(len(responses), len(self.poles))


def pole_metrics(record: dict, target: str, seed: int) -> pd.DataFrame:
    """The win rate and pole margin of the tuned model's held-out answers over the base's toward the target pole."""
    table = verdicts(record["prompt_id"], np.array(record["model"])[:, None], np.array(record["against"])[:, None],
                     [target])
    metrics = judge_metrics(table, {target: 1.0}, seed=seed, poles=True)
    return metrics[metrics.group == target]
