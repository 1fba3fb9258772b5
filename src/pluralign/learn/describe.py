"""What distinguishes each latent type (or prototype): the candidates its reward ranks far above the others' rewards."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..estimators.base import ChoiceEstimator


def distinctive_candidates(model: ChoiceEstimator, features: np.ndarray, texts: list[str], top: int = 3) -> pd.DataFrame:
    """For each of a fitted model's K rewards (``coef_``: mixture types or ideal-point prototypes), the ``top``
    distinct candidate texts whose standardised reward most exceeds the mean of the other rewards.

    Rewards are standardised per type first, since each type's reward has its own scale.
    Returns type, rank, text and gap (in standard deviations).
    """
    rewards = np.asarray(features, dtype=float) @ np.asarray(model.coef_, dtype=float).T  # (m, K)
    z = (rewards - rewards.mean(axis=0)) / np.where(rewards.std(axis=0) > 0, rewards.std(axis=0), 1)
    k = z.shape[1]
    rows = []
    for t in range(k):
        others = (z.sum(axis=1) - z[:, t]) / max(k - 1, 1)
        gap = z[:, t] - others
        seen: set[str] = set()
        for i in np.argsort(-gap, kind="stable"):
            if texts[i] not in seen:
                seen.add(texts[i])
                rows.append({"type": t, "rank": len(seen), "text": texts[i], "gap": float(gap[i])})
            if len(seen) == top:
                break
    return pd.DataFrame(rows, columns=["type", "rank", "text", "gap"])
