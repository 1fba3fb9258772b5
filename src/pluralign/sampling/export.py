"""Candidate sets as annotation tasks in Community Alignment's wide shape, with the choices left empty."""

from __future__ import annotations

import json

import pandas as pd

from ..data.comparisons import LETTERS


def to_annotation_tasks(candidates: pd.DataFrame, prompts: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate set: ``conversation_id`` (sampler and prompt), ``assigned_lang``, the prompt and its
    responses as ``first_turn_prompt`` and ``first_turn_response_a``..``d``; ``annotator_id`` and
    ``first_turn_preferred_response`` are empty for people to fill in. Earlier turns, if any, go in ``context`` as JSON."""
    by_id = prompts.set_index("id")
    rows = []
    for set_id, part in candidates.groupby("set_id", sort=False):
        if len(part) > len(LETTERS):
            raise ValueError(f"set {set_id!r} has {len(part)} candidates; the Community Alignment shape holds {len(LETTERS)}")
        prompt = by_id.loc[part["prompt_id"].iloc[0]]
        context = prompt.get("context")
        row = {"conversation_id": set_id.replace("|", ":"), "annotator_id": None, "assigned_lang": prompt["language"],
               "first_turn_prompt": prompt["text"],
               **{f"first_turn_response_{letter}": text for letter, text in zip(LETTERS, part["text"])},
               "first_turn_preferred_response": None,
               "context": None if context is None or len(context) == 0 else json.dumps([dict(m) for m in context])}
        rows.append(row)
    return pd.DataFrame(rows)
