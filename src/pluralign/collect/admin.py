"""What the admin page shows: progress by person and prompt, time per task, low-effort flags, and how often people
who saw the same candidate set chose the same answer."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from ..data.collection import CandidateSet, Choice, Conversation, Person, Prompt
from .core import effort_flags, pairwise_agreement
from .store import Store


def _frame(store: Store, query) -> pd.DataFrame:
    with store.engine.connect() as connection:
        return pd.read_sql(query, connection)


def progress_report(store: Store) -> dict:
    """The admin page's tables (``people``, ``prompts``, ``sets``, the latest ``rationales``) and numbers (``choices``, ``median_seconds``,
    ``agreement``, ``agreement_pairs``, ``chance``)."""
    people = _frame(store, select(Person.id, Person.label, Person.language, Person.consented_at,
                                  Person.survey.is_not(None).label("surveyed")))
    choices = _frame(store, select(Choice.person_id, Choice.conversation_id, Choice.turn, Choice.chosen,
                                   Choice.position, Choice.seconds, Choice.candidate_set_id, Choice.rationale,
                                   Choice.created_at, CandidateSet.prompt_id).join(CandidateSet))
    conversations = _frame(store, select(Conversation.person_id, Conversation.prompt_id, Conversation.finished))
    prompts = _frame(store, select(Prompt.id, Prompt.shared, Prompt.position).order_by(Prompt.position))
    sets = _frame(store, select(CandidateSet.status, CandidateSet.conversation_id.is_(None).label("first_turn")))

    by_person = choices.groupby("person_id")
    people["choices"] = people["id"].map(by_person.size()).fillna(0).astype(int)
    people["finished"] = people["id"].map(conversations[conversations.finished.astype(bool)].groupby("person_id").size()).fillna(0).astype(int)
    people["median_seconds"] = people["id"].map(by_person["seconds"].median())
    people["flags"] = [", ".join(effort_flags(list(part.seconds.dropna()), list(part.position)))
                       if len(part := choices[choices.person_id == pid]) else "" for pid in people["id"]]
    prompts["people"] = prompts["id"].map(conversations.groupby("prompt_id").size()).fillna(0).astype(int)
    first = choices[choices.turn == 1]
    agreement, pairs = pairwise_agreement({s: list(part.chosen) for s, part in first.groupby("candidate_set_id")})
    said = choices.dropna(subset=["rationale"]).sort_values("created_at", ascending=False).head(20)
    return {"people": people, "prompts": prompts, "rationales": said[["person_id", "prompt_id", "turn", "rationale"]],
            "sets": sets.value_counts().rename("count").reset_index(),
            "choices": len(choices), "median_seconds": float(choices.seconds.median()) if len(choices) else None,
            "agreement": agreement, "agreement_pairs": pairs, "chance": 1 / store.study.k}
