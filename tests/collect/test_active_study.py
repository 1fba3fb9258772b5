"""Active assignment end to end: simulated people of two known types answer through the JSON API while the refit
step (out of the requests, as ``serve`` runs it in a thread) refits a mixture on the real embedder; on SQLite and
PostgreSQL every overlap guarantee holds and every assignment records why and with what probability, and, in a
study with a larger pool of answers than it shows, which of them it showed."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from math import comb

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pluralign.collect.active import REASONS
from pluralign.collect.app import create_app
from pluralign.collect.export import export_table
from pluralign.collect.refit import Refitter, refit_due
from pluralign.collect.store import Store
from pluralign.collect.study import load_study
from pluralign.data import load_prompts
from pluralign.data.collection import Conversation, Prompt
from pluralign.embed import SentenceEmbedder

from .conftest import write_study

PASSWORD = "s3cret-enough"
QUOTA, MIN_PEOPLE, PROMPTS, PEOPLE = 5, 2, 8, 8
# On the "split" prompts one answer is terse and one thorough, and the two types want different ones; on the others
# every answer is terse and both types take the first.
TERSE, THOROUGH = "Yes.", ("Yes, and here is why, step by step: first the evidence, then the risks, then what "
                          "experts recommend, with the sources to check it yourself.")


def question(i: int) -> str:
    return f"Should I do thing number {i}?"


def candidates(text: str, n: int = 3) -> list[dict]:
    """The first ``n`` (at most 6) answers to the prompt ``text``: split (terse against thorough) on the
    even-numbered ones."""
    split = int(text.removeprefix("Should I do thing number ").removesuffix("?")) % 2 == 0
    texts = [TERSE, THOROUGH, "Maybe.", "Perhaps so.", "Ask a friend.", "It depends."] if split else \
        [TERSE, "Yes, sure.", "Yes, indeed.", "Yes, of course.", "Certainly, yes.", "Yes, do it."]
    return [{"text": text, "source": "test"} for text in texts[:n]]


def chosen_index(person_type: int, texts: list[str]) -> int:
    """What a person of ``person_type`` chooses among ``texts``: type 1 the thorough answer where it is shown, else
    (and type 0 always) the shortest."""
    if person_type == 1 and THOROUGH in texts:
        return texts.index(THOROUGH)
    return min(range(len(texts)), key=lambda i: len(texts[i]))


@pytest.fixture(scope="module")
def embedder():
    return SentenceEmbedder(cache=None)


def active_study(tmp_path, database, **candidates_section) -> Store:
    """The study on ``database``, every first-turn set written (``candidates_section``: its ``k`` and ``pool``)."""
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"id": f"p{i}", "text": question(i), "language": "en"})
                               + "\n" for i in range(PROMPTS)))
    store = Store(load_study(write_study(
        tmp_path, database, study={"languages": ["en"]}, prompts={"source": str(prompts), "limit": PROMPTS},
        candidates=candidates_section, turns={"max": 1}, overlap={"min_people": MIN_PEOPLE, "shared": 1, "quota": QUOTA, "policy": "active",
                                   "epsilon": 0.2, "refit": 2 * PEOPLE, "warmup": 1, "types": 2})))
    store.migrate()
    store.add_prompts(load_prompts(prompts))
    for pending in store.pending(100):
        store.fill(pending["id"], candidates(pending["text"], store.study.pool_size))
    return store


def answer_rounds(store: Store, client: TestClient, embedder) -> int:
    """Simulated people of two types answer every task through the JSON API, in rounds, the refit step running
    after each round; returns how many fits it made."""
    tokens = store.invite(PEOPLE, "en")
    types = {token: i % 2 for i, token in enumerate(tokens)}
    for token in tokens:
        store.consent(store.person(token).id)
        assert client.post(f"/api/a/{token}/survey", json={}).status_code == 200
    refitter, fits = Refitter(store, embedder), 0
    for _ in range(QUOTA + 1):  # rounds: each person answers their next task, then the refit step runs
        for token in tokens:
            task = client.get(f"/api/a/{token}/task").json()
            if task["state"] == "done":
                continue
            assert len(task["candidates"]) == store.study.k
            choice = {"nonce": uuid.uuid4().hex, "set_id": task["set_id"], "shown_at": task["shown_at"],
                      "form": task["form"], "position": chosen_index(types[token], task["candidates"])}
            assert client.post(f"/api/a/{token}/choice", json=choice).json()["recorded"]
        fits += refitter.step() is not None
        assert not refit_due(store) and refitter.error is None
    return fits


def guaranteed(store: Store, least: float) -> list:
    """Every assignment (person, prompt, why, probability, shown), checked against the overlap guarantees: each
    person's first conversation on the shared prompt, at least ``MIN_PEOPLE`` people per prompt before any gets
    more, a quota of distinct prompts each; the fixed design's prompts with probability 1 (times ``least``, that of
    the answers shown), an active rule's at least ``least`` times ε over the open prompts."""
    with Session(store.engine) as session:
        shared = set(session.scalars(select(Prompt.id).where(Prompt.shared)))
        assigned = session.execute(select(Conversation.person_id, Conversation.prompt_id, Conversation.assigned,
                                          Conversation.probability, Conversation.shown)
                                   .order_by(Conversation.id)).all()
    people, done = Counter(), {}
    for person, prompt, why, probability, _ in assigned:
        mine = done.setdefault(person, [])
        assert why in REASONS and 0 < probability <= 1
        if not mine:  # everyone's first conversation is their warm-up, on the shared prompt
            assert (prompt, why) == (*shared, "warm-up") and probability == pytest.approx(least)
        elif why in ("active", "random"):  # drawn among all open prompts, at least the ε share spread over them
            assert probability >= 0.2 * least / (PROMPTS - len(mine))
        elif why in ("warm-up", "design"):  # the fixed design: no draw of the prompt
            assert probability == pytest.approx(least)
        if prompt not in shared and people[prompt] >= MIN_PEOPLE:  # none gets more while another is short
            assert all(people[p] >= MIN_PEOPLE for p in (f"p{i}" for i in range(PROMPTS)) if p not in {*mine, *shared})
        people[prompt] += 1
        mine.append(prompt)
    assert all(len(mine) == QUOTA == len(set(mine)) for mine in done.values()) and len(done) == PEOPLE
    assert people[next(iter(shared))] == PEOPLE and min(people.values()) >= MIN_PEOPLE
    assert Counter(why for _, _, why, *_ in assigned)["active"] >= PEOPLE // 2  # the rule chose, after the guarantees
    return assigned


def test_active_assignment_through_the_api_keeps_every_guarantee_and_records_each_probability(tmp_path, database,
                                                                                              embedder):
    store = active_study(tmp_path, database)
    client = TestClient(create_app(store, PASSWORD), base_url="http://127.0.0.1")
    assert answer_rounds(store, client, embedder) == 2  # a refit every two rounds' choices (each takes seconds)
    assigned = guaranteed(store, 1.0)

    exported = export_table(store.study, "comparisons")  # each choice carries its assignment's why and probability
    by_conversation = {(str(person), prompt): (why, p) for person, prompt, why, p, _ in assigned}
    assert [(r.assigned, r.probability) for r in exported.itertuples()] == \
        [by_conversation[r.annotator_id, r.prompt_id] for r in exported.itertuples()]

    progress = client.get("/api/admin/progress", auth=("admin", PASSWORD)).json()
    assert progress["uncertainty"].startswith("posterior entropy of the person's type")
    assert all(0 <= p["uncertainty"] <= 0.6932 for p in progress["people"])  # at most log 2, the prior's with 2 types
    assert "type uncertainty" in client.get("/admin", auth=("admin", PASSWORD)).text


def test_active_assignment_of_4_of_a_pool_of_6_records_the_answers_shown_and_exports_only_them(tmp_path, database,
                                                                                               embedder):
    store = active_study(tmp_path, database, k=4, pool=6)
    client = TestClient(create_app(store, PASSWORD), base_url="http://127.0.0.1")
    assert answer_rounds(store, client, embedder) == 2
    assigned = guaranteed(store, 1 / comb(6, 4))  # a design's 4 of 6 are one of C(6, 4) = 15 ways, drawn uniformly
    assert all(len(shown) == 4 and shown == sorted(set(shown)) and set(shown) <= set(range(6))
               for *_, shown in assigned)
    assert len({tuple(shown) for *_, shown in assigned}) > 1  # not the same four for everyone

    exported = export_table(store.study, "comparisons")  # the answers shown, in the set's order, and no other
    by_conversation = {(str(person), prompt): (why, p, shown) for person, prompt, why, p, shown in assigned}
    for row in exported.itertuples():
        why, probability, shown = by_conversation[row.annotator_id, row.prompt_id]
        pool = [c["text"] for c in candidates(row.context[-1]["content"], 6)]
        assert (row.assigned, row.probability, list(row.shown)) == (why, probability, shown)
        assert list(row.candidates) == [pool[i] for i in shown]
    pairs = export_table(store.study, "trl")  # each choice against the three answers shown beside it, no more
    assert len(pairs) == 3 * len(exported) and list(pairs["shown"]) == [s for s in exported["shown"] for _ in range(3)]

    token = store.invite(1, "en")[0]  # a position past the four shown (a pool answer) is refused
    store.consent(store.person(token).id)
    client.post(f"/api/a/{token}/survey", json={})
    task = client.get(f"/api/a/{token}/task").json()
    wrong = {"nonce": uuid.uuid4().hex, "set_id": task["set_id"], "shown_at": task["shown_at"], "form": task["form"],
             "position": 4}
    assert client.post(f"/api/a/{token}/choice", json=wrong).status_code == 422
