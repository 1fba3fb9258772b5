"""From a comparison table to ``Choices``: each candidate's features are the embedding of its context and text."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..embed import Embedder
from .choices import Choices


def candidate_text(context: list[dict], response: str) -> str:
    """The text a candidate is embedded as: the conversation so far, then the response."""
    turns = "\n".join(f"{m['role']}: {m['content']}" for m in context)
    return f"{turns}\nassistant: {response}"


def comparison_choices(comparisons: pd.DataFrame, embedder: Embedder, annotators: pd.DataFrame | None = None,
                       group: str | None = None) -> Choices:
    """Embed every (context, candidate) pair once and lay the comparisons out as ``Choices``.

    Args:
        group: a column of ``annotators`` (e.g. ``country``) that becomes each comparison's group.
    """
    texts = [candidate_text(c, r) for c, cands in zip(comparisons["context"], comparisons["candidates"]) for r in cands]
    features = embedder.embed(texts)
    width = int(comparisons["candidates"].map(len).max())
    candidates = np.full((len(comparisons), width), -1, dtype=np.int64)
    start = 0
    for i, cands in enumerate(comparisons["candidates"]):
        candidates[i, : len(cands)] = np.arange(start, start + len(cands))
        start += len(cands)
    groups = None
    if group is not None:
        if annotators is None or group not in annotators.columns:
            raise ValueError(f"group column {group!r} is not in the annotator table")
        groups = comparisons["annotator_id"].map(annotators.set_index("annotator_id")[group]).astype(str).to_numpy()
    return Choices(features, candidates, comparisons["chosen"].to_numpy(), comparisons["annotator_id"].to_numpy(), groups)
