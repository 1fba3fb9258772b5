"""Active assignment end to end: simulated people of two known types answer through the JSON API while the refit
step (out of the requests, as ``serve`` runs it in a thread) refits a mixture on the real embedder; on SQLite and
PostgreSQL every overlap guarantee holds and every assignment records why and with what probability."""

from __future__ import annotations

import json
import uuid
from collections import Counter

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


def candidates(text: str) -> list[dict]:
    """The answers to the prompt ``text``: split (terse against thorough) on the even-numbered ones."""
    split = int(text.removeprefix("Should I do thing number ").removesuffix("?")) % 2 == 0
    texts = [TERSE, THOROUGH, "Maybe."] if split else [TERSE, "Yes, sure.", "Yes, indeed."]
    return [{"text": text, "source": "test"} for text in texts]


def chosen_index(person_type: int, texts: list[str]) -> int:
    """What a person of ``person_type`` chooses among ``texts``: type 1 the thorough answer where there is one."""
    return texts.index(THOROUGH) if person_type == 1 and THOROUGH in texts else texts.index(TERSE)


@pytest.fixture(scope="module")
def embedder():
    return SentenceEmbedder(cache=None)


def active_study(tmp_path, database) -> Store:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"id": f"p{i}", "text": question(i), "language": "en"})
                               + "\n" for i in range(PROMPTS)))
    store = Store(load_study(write_study(
        tmp_path, database, study={"languages": ["en"]}, prompts={"source": str(prompts), "limit": PROMPTS},
        turns={"max": 1}, overlap={"min_people": MIN_PEOPLE, "shared": 1, "quota": QUOTA, "policy": "active",
                                   "epsilon": 0.2, "refit": 2 * PEOPLE, "warmup": 1, "types": 2})))
    store.migrate()
    store.add_prompts(load_prompts(prompts))
    for pending in store.pending(100):
        store.fill(pending["id"], candidates(pending["text"]))
    return store


def test_active_assignment_through_the_api_keeps_every_guarantee_and_records_each_probability(tmp_path, database,
                                                                                              embedder):
    store = active_study(tmp_path, database)
    client = TestClient(create_app(store, PASSWORD), base_url="http://127.0.0.1")
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
            choice = {"nonce": uuid.uuid4().hex, "set_id": task["set_id"], "shown_at": task["shown_at"],
                      "form": task["form"], "position": chosen_index(types[token], task["candidates"])}
            assert client.post(f"/api/a/{token}/choice", json=choice).json()["recorded"]
        fits += refitter.step() is not None
        assert not refit_due(store) and refitter.error is None
    assert fits == 2  # a refit every two rounds' choices (each fit takes seconds: the test keeps them few)

    with Session(store.engine) as session:
        shared = set(session.scalars(select(Prompt.id).where(Prompt.shared)))
        assigned = session.execute(select(Conversation.person_id, Conversation.prompt_id, Conversation.assigned,
                                          Conversation.probability).order_by(Conversation.id)).all()
    people, done = Counter(), {}
    for person, prompt, why, probability in assigned:
        mine = done.setdefault(person, [])
        assert why in REASONS and 0 < probability <= 1
        if not mine:  # everyone's first conversation is their warm-up, on the shared prompt
            assert (prompt, why, probability) == (*shared, "warm-up", 1.0)
        elif why in ("active", "random"):  # drawn among all open prompts, at least the ε share spread over them
            assert probability >= 0.2 / (PROMPTS - len(mine))
        elif why in ("warm-up", "design"):  # the fixed design: no draw
            assert probability == 1.0
        if prompt not in shared and people[prompt] >= MIN_PEOPLE:  # none gets more while another is short
            assert all(people[p] >= MIN_PEOPLE for p in (f"p{i}" for i in range(PROMPTS)) if p not in {*mine, *shared})
        people[prompt] += 1
        mine.append(prompt)
    assert all(len(mine) == QUOTA == len(set(mine)) for mine in done.values()) and len(done) == PEOPLE
    assert people[next(iter(shared))] == PEOPLE and min(people.values()) >= MIN_PEOPLE
    assert Counter(why for *_, why, _ in assigned)["active"] >= PEOPLE // 2  # the rule chose, after the guarantees

    exported = export_table(store.study, "comparisons")  # each choice carries its assignment's why and probability
    by_conversation = {(str(person), prompt): (why, p) for person, prompt, why, p in assigned}
    assert [(r.assigned, r.probability) for r in exported.itertuples()] == \
        [by_conversation[r.annotator_id, r.prompt_id] for r in exported.itertuples()]

    progress = client.get("/api/admin/progress", auth=("admin", PASSWORD)).json()
    assert progress["uncertainty"].startswith("posterior entropy of the person's type")
    assert all(0 <= p["uncertainty"] <= 0.6932 for p in progress["people"])  # at most log 2, the prior's with 2 types
    assert "type uncertainty" in client.get("/admin", auth=("admin", PASSWORD)).text
