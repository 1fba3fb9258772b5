"""How varied a candidate set is: value coverage, embedding diversity, Vendi score, distinct-n, spread of judged
positions; how well people's true utilities predict their choices among a set (the ceiling for a learner); and
humans against models on the same value axes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.axes import AXES, POLES

# A response is at a pole only when the judge leans to it by more than 0.1 (position = p(second pole) − p(first),
# averaged over both orders: 0.1 is 55 % against 45 %). Why: on the 44 built-in responses written at one pole, the
# embedded judge is right 24 times (chance) and never leans beyond ±0.06; its strongest lean on the asked axis, 0.052,
# is a wrong call, its strongest right one 0.036. Leans that small are indifference, not a pole; 0.1 clears them
# twice over, while a judge that tells the poles apart leans far more.
MARGIN = 0.1


def coverage(positions: pd.DataFrame, margin: float = MARGIN) -> pd.DataFrame:
    """Per set, whether it holds a response judged at each pole, as Community Alignment measures coverage.

    A response is at a pole when its position lies beyond ``margin`` towards it; within ±margin it is at neither
    (a judge near indifference places nothing). ``positions``: one row per candidate with ``set_id`` and one column
    per axis. Returns one row per set with a boolean column per pole (``traditional``, ``secular_rational``,
    ``survival``, ``self_expression``), per axis (both its poles) and ``both`` (all four poles); the mean of a
    column over sets is the share of prompts whose set covers it.
    """
    grouped = positions.groupby("set_id", sort=False)[list(AXES)]
    low, high = grouped.min(), grouped.max()
    out = pd.DataFrame({pole: high[axis] > margin if sign > 0 else low[axis] < -margin for pole, (axis, sign) in POLES.items()})
    for axis in AXES:
        out[axis] = out[[pole for pole, (a, _) in POLES.items() if a == axis]].all(axis=1)
    out["both"] = out[list(POLES)].all(axis=1)
    return out.reset_index()


def mean_pairwise_distance(vectors: np.ndarray) -> float:
    """Mean cosine distance (1 − cos) over the pairs of a set of unit vectors; 0 for fewer than two."""
    n = len(vectors)
    if n < 2:
        return 0.0
    sims = vectors @ vectors.T
    return float(1 - sims[np.triu_indices(n, 1)].mean())


def vendi_score(vectors: np.ndarray) -> float:
    """The Vendi score (Friedman & Dieng, 2023): exp of the entropy of the eigenvalues of K/n, K the cosine
    similarity matrix; the effective number of distinct items, 1 (all alike) to n (all orthogonal)."""
    n = len(vectors)
    if n == 0:
        return 0.0
    eigenvalues = np.linalg.eigvalsh(vectors @ vectors.T / n).clip(min=0)
    eigenvalues = eigenvalues[eigenvalues > 1e-12]
    return float(np.exp(-(eigenvalues * np.log(eigenvalues)).sum()))


def distinct_n(texts: list[str], n: int) -> float:
    """Distinct n-grams over all n-grams of the set's texts (lower-cased words); 0 when there are none."""
    grams = [tuple(words[i : i + n]) for words in (t.lower().split() for t in texts) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def set_diversity(sets: pd.DataFrame, vectors: np.ndarray) -> pd.DataFrame:
    """One row per set: mean pairwise embedding distance, Vendi score, distinct-1, distinct-2, and the standard
    deviation of judged positions on each axis where ``sets`` has them. ``vectors[i]`` embeds the row labelled i."""
    rows = []
    for set_id, part in sets.groupby("set_id", sort=False):
        v = vectors[part.index.to_numpy()]
        row = {"set_id": set_id, "pairwise_distance": mean_pairwise_distance(v), "vendi": vendi_score(v),
               "distinct_1": distinct_n(part["text"].tolist(), 1), "distinct_2": distinct_n(part["text"].tolist(), 2)}
        row |= {f"spread_{axis}": float(part[axis].std(ddof=0)) for axis in AXES if axis in part}
        rows.append(row)
    return pd.DataFrame(rows)


def oracle_correct(ideals: np.ndarray, positions: np.ndarray, offered: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Per comparison, whether the chooser's true utility predicts the choice: the candidate closest to their ideal
    point is the most likely choice of a simulated person, so no learner can do better on average. Scored as
    ``per_comparison`` scores a learner: 1/t when the chosen one is among t candidates tied closest, else 0.

    Args:
        ideals: (n, d) the chooser's ideal point, per comparison.
        positions: (m, d) every candidate's judged position.
        offered: (n, w) rows of ``positions`` offered in each comparison, −1 where a set is shorter.
        chosen: (n,) position in ``offered`` of the chosen candidate.
    """
    distance = ((positions[offered] - ideals[:, None, :]) ** 2).sum(axis=-1)
    distance[offered < 0] = np.inf
    tied = np.isclose(distance, distance.min(axis=1, keepdims=True), rtol=1e-9, atol=0)
    return tied[np.arange(len(chosen)), chosen] / tied.sum(axis=1)


def annotator_positions(choices: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Each annotator's place on the axes: the mean judged position of what they chose, with a 95% bootstrap
    interval over their choices. ``choices``: one row per choice with ``annotator`` and one column per axis (the
    chosen response's position)."""
    rng = np.random.default_rng(seed)
    rows = []
    for annotator, part in choices.groupby("annotator", sort=False):
        row = {"annotator": annotator, "n": len(part)}
        for axis in AXES:
            values = part[axis].to_numpy(float)
            boots = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
            row |= {axis: float(values.mean()), f"{axis}_low": float(np.quantile(boots, 0.025)),
                    f"{axis}_high": float(np.quantile(boots, 0.975))}
        rows.append(row)
    return pd.DataFrame(rows)


def humans_versus_models(people: pd.DataFrame, models: pd.DataFrame) -> dict:
    """Share of annotators in the quadrant of the models' mean position, and per axis the ratio of the variance of
    annotators' positions to the variance of the models' answers (one point per model and prompt)."""
    axes = list(AXES)
    centre = np.sign(models[axes].mean().to_numpy())
    same = (np.sign(people[axes].to_numpy()) == centre).all(axis=1)
    out = {"quadrant_match": float(same.mean()), "model_quadrant": dict(zip(axes, centre.tolist()))}
    for axis in axes:
        model_var = float(models[axis].var(ddof=0))
        out[f"variance_ratio_{axis}"] = float(people[axis].var(ddof=0)) / model_var if model_var > 0 else float("inf")
    return out
