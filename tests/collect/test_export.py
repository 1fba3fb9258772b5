"""A study's exports carry the design of its collection: every shape with a row per conversation, choice or pair has
why each conversation's prompt was assigned and with what probability, so an analysis of any of them can weight by
1/probability (docs/methods.md#active-assignment)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pluralign.collect.export import export_table, write_export
from pluralign.data import load_community_alignment
from pluralign.data.collection import Conversation

from .conftest import answer, fill_all, open_store


def test_every_per_row_export_carries_each_conversations_assignment_and_probability(tmp_path, database):
    store = open_store(tmp_path, database, study={"languages": ["en"]})
    fill_all(store)
    for person in (store.person(t).id for t in store.invite(2, "en")):
        assert answer(store, person, position=1, next_message="Tell me more.") == "recorded"
        fill_all(store)
        assert answer(store, person, position=0) == "recorded"  # a second turn: two comparisons, one conversation
        assert answer(store, person, position=2) == "recorded"
    with Session(store.engine) as session, session.begin():  # distinct values, so a row matched wrongly shows
        ids = session.scalars(select(Conversation.id).order_by(Conversation.id)).all()
        for i, conversation in enumerate(ids):
            session.execute(update(Conversation).where(Conversation.id == conversation)
                            .values(assigned=("active", "random")[i % 2], probability=1 / (i + 2)))
        design = {str(c.id): (c.assigned, c.probability) for c in session.scalars(select(Conversation))}
    assert len(design) == 4

    comparisons = export_table(store.study, "comparisons")
    assert len(comparisons) == 6 and [design[str(r.conversation_id)] for r in comparisons.itertuples()] == \
        list(zip(comparisons["assigned"], comparisons["probability"]))
    ca = export_table(store.study, "ca")  # one row per conversation, both turns in it
    assert sorted(ca["conversation_id"].astype(str)) == sorted(design)
    assert [design[str(r.conversation_id)] for r in ca.itertuples()] == list(zip(ca["assigned"], ca["probability"]))
    pairs = export_table(store.study, "trl")  # each choice against the two answers it was not
    conversation_of = dict(zip(comparisons["comparison_id"], comparisons["conversation_id"].astype(str)))
    assert len(pairs) == 12 and [design[conversation_of[c]] for c in pairs["comparison_id"]] == \
        list(zip(pairs["assigned"], pairs["probability"]))
    assert "assigned" not in export_table(store.study, "annotators")  # people, not conversations

    write_export(ca, tmp_path / "ca.csv")  # Community Alignment's reader still takes the file, the columns beside
    read, _ = load_community_alignment(tmp_path / "ca.csv")
    assert len(read) == 6 and sorted(read["chosen"]) == sorted(comparisons["chosen"])
