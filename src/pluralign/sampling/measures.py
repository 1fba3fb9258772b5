"""How varied a candidate set is: value coverage, embedding diversity, Vendi score, distinct-n, spread of judged
positions; and humans against models on the same value axes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .prompts import AXES


def coverage(positions: pd.DataFrame, margin: float = 0.0) -> pd.DataFrame:
    """Per set, whether it holds a response at each pole of each axis (position below −margin and above +margin).

    ``positions``: one row per candidate with ``set_id`` and one column per axis. Returns one row per set with a
    boolean column per axis and ``both``; its mean over sets is the coverage of the paper.
    """
    grouped = positions.groupby("set_id", sort=False)
    out = pd.DataFrame({axis: (grouped[axis].min() < -margin) & (grouped[axis].max() > margin) for axis in AXES})
    out["both"] = out.all(axis=1)
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
