"""From a comparison table to ``Choices``: each candidate's features are its response and the response's interaction
with its context, each embedded on its own.

Why this design: the estimators learn a linear reward over a candidate's feature row. Embedding context and response
together lets the context crowd the response out (MiniLM reads 256 word-pieces, so in later turns whole candidates
embedded identically). A context-only feature would be the same for every candidate of a comparison and cancel in the
softmax, so the context enters through the element-wise product with the response: the reward
``a·r + b·(r ⊙ c)`` weighs each response dimension by ``a_i + b_i c_i``, a weight that moves with the context.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..data.choices import Choices, design_weights, with_rankings
from ..data.comparisons import is_offered
from ..embed import Embedder
from ..errors import InputError


def context_text(context: list[dict]) -> str:
    """The text a context is embedded as: its turns latest first, so what the embedder cuts is the oldest turns,
    never the prompt being answered."""
    return "\n".join(f"{m['role']}: {m['content']}" for m in reversed(context))


def candidate_texts(comparisons: pd.DataFrame) -> list[str]:
    """Every offered (non-empty) response, in the order of the feature rows ``comparison_choices`` makes."""
    return [r for cands in comparisons["candidates"] for r in cands if is_offered(r)]


def interaction_features(responses: np.ndarray, contexts: np.ndarray) -> np.ndarray:
    """``[r, √d · (r ⊙ c)]`` for unit vectors r (response) and c (its context), row by row.

    The √d puts the interaction on the response's scale (for unit vectors, r ⊙ c has norm about 1/√d), so the
    estimators' one L2 penalty restrains both halves alike.
    """
    return np.hstack([responses, np.sqrt(responses.shape[1]) * responses * contexts]).astype(np.float32)


def comparison_choices(comparisons: pd.DataFrame, embedder: Embedder, annotators: pd.DataFrame | None = None,
                       group: str | None = None, rankings: bool = True, weights: bool = False) -> Choices:
    """Embed every response and every context once and lay the comparisons out as ``Choices``, with each
    comparison's language. Empty responses keep their position but are not offered. Warns once, with the count,
    when the embedder cuts texts.

    Args:
        group: a column of ``annotators`` (e.g. ``country``) that becomes each comparison's group.
        rankings: add the later choices of each comparison's ranking, where it has one (``with_rankings``).
        weights: weigh each comparison by ``design_weights`` of the probability its design assigned it with, where
            the table records one (a `pluralign collect` study's ``probability`` and ``assigned``); a ranking's later
            choices weigh as their comparison.
    """
    responses = candidate_texts(comparisons)
    contexts = [context_text(c) for c in comparisons["context"]]
    cut = embedder.count_truncated(responses + contexts)
    if cut:
        warnings.warn(f"{cut} of {len(responses) + len(contexts)} texts (responses and contexts) are longer than the "
                      "embedder reads and were embedded from their beginning only", stacklevel=2)
    width = int(comparisons["candidates"].map(len).max())
    candidates = np.full((len(comparisons), width), -1, dtype=np.int64)
    owner = np.empty(len(responses), dtype=np.int64)  # the comparison each feature row belongs to
    start = 0
    for i, cands in enumerate(comparisons["candidates"]):
        offered = np.array([is_offered(r) for r in cands], dtype=bool)
        candidates[i, : len(cands)][offered] = np.arange(start, start + offered.sum())
        owner[start : start + offered.sum()] = i
        start += offered.sum()
    vectors = embedder.embed(responses + contexts)
    features = interaction_features(vectors[: len(responses)], vectors[len(responses) :][owner])
    groups = None
    if group is not None:
        if annotators is None or group not in annotators.columns:
            raise InputError(f"group column {group!r} is not in the annotator table")
        groups = comparisons["annotator_id"].map(annotators.set_index("annotator_id")[group]).astype(str).to_numpy()
    choices = Choices(features, candidates, comparisons["chosen"].to_numpy(), comparisons["annotator_id"].to_numpy(),
                      group=groups, language=comparisons["language"].fillna("und").astype(str).to_numpy(),
                      conversation=comparisons["conversation_id"].astype(str).to_numpy(),
                      # a conversation's prompt is its first user turn (Community Alignment shows one to many people)
                      prompt=np.array([next((m["content"] for m in c if m["role"] == "user"), "")
                                       for c in comparisons["context"]], dtype=object),
                      weight=design_weights(comparisons["probability"], comparisons.get("assigned"))
                      if weights and comparisons.get("probability", pd.Series(dtype=float)).notna().any() else None)
    return with_rankings(choices, comparisons["ranking"]) if rankings and "ranking" in comparisons else choices
