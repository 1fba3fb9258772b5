"""A study that generates a pool of more answers than it shows: each conversation shows k of its prompt's first-turn
set, recorded with the probability of showing exactly them; only those can be chosen, and every export carries them
and never a pool answer that was not shown (docs/methods.md#a-larger-pool-of-candidates)."""

from __future__ import annotations

import json
import uuid
from math import comb

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pluralign.collect.core import shown_order
from pluralign.collect.export import export_table, write_export
from pluralign.collect.store import Store, TaskError
from pluralign.data.collection import CandidateSet, Conversation

from .conftest import answer, open_store

K, POOL = 3, 5


def fill_pool(store: Store) -> None:
    """Every pending set filled: a first turn with the study's pool of answers, a later turn with k."""
    for pending in store.pending(100):
        n = store.study.pool_size if pending["turn"] == 1 else store.study.k
        store.fill(pending["id"], [{"text": f"answer {i} to {pending['text']}", "source": "test"} for i in range(n)])


def pool_study(tmp_path, database, **overlap) -> Store:
    return open_store(tmp_path, database, study={"languages": ["en"]}, candidates={"k": K, "pool": POOL},
                      overlap=overlap)


def conversations(store: Store) -> list:
    with Session(store.engine) as session:
        return session.execute(select(Conversation.id, Conversation.person_id, Conversation.prompt_id,
                                      Conversation.shown, Conversation.probability)
                               .order_by(Conversation.id)).all()


def test_a_task_shows_k_of_the_pool_recorded_with_the_probability_of_showing_them(tmp_path, database):
    store = pool_study(tmp_path, database)
    fill_pool(store)
    person = store.person(store.invite(1, "en")[0]).id
    task = store.task(person)
    assert len(task.candidates) == POOL and len(task.order) == K
    (conversation,) = conversations(store)
    assert conversation.shown == sorted(task.order) and len(set(task.order)) == K
    assert conversation.probability == pytest.approx(1 / comb(POOL, K))  # the fixed design's prompt, 1 of C(5, 3)
    assert store.task(person).order == task.order  # a reload shows the same answers in the same order


def test_only_an_answer_shown_can_be_chosen(tmp_path, database):
    store = pool_study(tmp_path, database)
    fill_pool(store)
    person = store.person(store.invite(1, "en")[0]).id
    task = store.task(person)
    submit = dict(set_id=task.set_id, rationale=None, next_message=None, seconds=2.0)
    with pytest.raises(TaskError, match="choose one of the 3 answers"):  # a position past those shown: a pool answer
        store.choose(person, nonce=uuid.uuid4().hex, position=K, **submit)
    assert store.choose(person, nonce=uuid.uuid4().hex, position=2, **submit) == "recorded"
    comparisons = export_table(store.study, "comparisons")
    chosen = task.candidates[task.order[2]]["text"]
    assert comparisons["candidates"][0][comparisons["chosen"][0]] == chosen


def test_a_set_written_after_its_assignment_has_its_answers_drawn_when_first_read(tmp_path, database):
    store = pool_study(tmp_path, database)
    person = store.person(store.invite(1, "en")[0]).id
    assert store.task(person).status == "pending"
    (pending,) = conversations(store)
    assert pending.shown is None and pending.probability == 1.0  # only the prompt is chosen yet
    fill_pool(store)
    task = store.task(person)
    (drawn,) = conversations(store)
    assert drawn.shown == sorted(task.order) and drawn.probability == pytest.approx(1 / comb(POOL, K))
    with Session(store.engine) as session:
        first = session.get(CandidateSet, task.set_id)
    assert store.assigner.draw(person, first) == (drawn.shown, pytest.approx(1 / comb(POOL, K)))  # the same draw


def test_a_later_turn_shows_its_whole_set(tmp_path, database):
    store = pool_study(tmp_path, database, quota=1)
    fill_pool(store)
    person = store.person(store.invite(1, "en")[0]).id
    assert answer(store, person, position=0, next_message="And then?") == "recorded"
    fill_pool(store)
    later = store.task(person)
    assert later.turn == 2 and len(later.candidates) == K and sorted(later.order) == list(range(K))


def test_a_study_without_a_pool_shows_every_answer_in_the_order_it_did_before(tmp_path, database):
    store = open_store(tmp_path, database, study={"languages": ["en"]}, candidates={"k": K})
    fill_pool(store)
    person = store.person(store.invite(1, "en")[0]).id
    task = store.task(person)
    assert task.order == shown_order(store.study.seed, person, task.set_id, K)
    (conversation,) = conversations(store)
    assert (conversation.shown, conversation.probability) == (list(range(K)), 1.0)


def test_every_export_carries_the_answers_shown_and_none_of_the_pools_others(tmp_path, database):
    store = pool_study(tmp_path, database, min_people=1, shared=0)
    fill_pool(store)
    for person in (store.person(t).id for t in store.invite(3, "en")):
        for position in (0, 2):
            assert answer(store, person, position=position) == "recorded"
    with Session(store.engine) as session:
        pools = {s.id: [c["text"] for c in s.candidates] for s in session.scalars(select(CandidateSet))}
    design = {str(c.id): (c.shown, c.probability) for c in conversations(store)}
    comparisons = export_table(store.study, "comparisons")
    assert len(comparisons) == 6
    for row in comparisons.itertuples():
        shown, probability = design[str(row.conversation_id)]
        assert list(row.shown) == shown and row.probability == pytest.approx(probability)
        pool = next(texts for texts in pools.values() if texts[0].endswith(row.context[-1]["content"]))
        assert list(row.candidates) == [pool[i] for i in shown]  # the answers shown, in the set's order
    shown_texts = {text for row in comparisons.itertuples() for text in row.candidates}
    pairs = export_table(store.study, "trl")  # each choice against the k - 1 answers shown beside it, no more
    assert len(pairs) == 6 * (K - 1)
    assert {p[0]["content"] for p in pairs["rejected"]} <= shown_texts
    ca = export_table(store.study, "ca")
    assert [list(s) for s in ca["shown"]] == [design[str(c)][0] for c in ca["conversation_id"]]
    write_export(ca, tmp_path / "ca.parquet")  # the files keep them: a list in parquet, JSON in a CSV cell
    assert [list(s) for s in pd.read_parquet(tmp_path / "ca.parquet")["shown"]] == [list(s) for s in ca["shown"]]
    write_export(comparisons, tmp_path / "comparisons.csv")
    assert [json.loads(s) for s in pd.read_csv(tmp_path / "comparisons.csv")["shown"]] == \
        [list(s) for s in comparisons["shown"]]
