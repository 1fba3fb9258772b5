"""`pluralign collect serve` on an active study, as a user starts it: the real server process refits the population
model in its own thread while people answer through the JSON API, and once a fit is stored the next prompts are
chosen by the rule, each kept with why and with what probability."""

from __future__ import annotations

import json
import sys
import time
import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from pluralign.collect.store import Store
from pluralign.collect.study import load_study
from pluralign.data import load_prompts
from pluralign.data.collection import Conversation, Fit

from ..conftest import start_server, stop_server
from .conftest import write_study
from .test_active_study import candidates, chosen_index, question

PASSWORD = "serve-active-pw"
PROMPTS, PEOPLE, REFIT = 6, 4, 4


def answer_next(url: str, token: str, person_type: int) -> dict:
    """The person answers their next task through the JSON API; returns the task."""
    task = httpx.get(f"{url}/api/a/{token}/task").json()
    assert task["state"] == "task", task
    choice = {"nonce": uuid.uuid4().hex, "set_id": task["set_id"], "shown_at": task["shown_at"], "form": task["form"],
              "position": chosen_index(person_type, task["candidates"])}
    assert httpx.post(f"{url}/api/a/{token}/choice", json=choice).json()["recorded"]
    return task


def fitted(store: Store) -> list[int]:
    """The choices each stored fit was made on, read in a transaction of its own: a SQLite transaction here takes the
    write lock (``BEGIN IMMEDIATE``), so one held open while waiting would keep the server from storing a fit."""
    with Session(store.engine) as session:
        return list(session.scalars(select(Fit.choices).order_by(Fit.id)))


def test_collect_serve_refits_an_active_study_in_its_own_thread_and_assigns_by_the_fit(tmp_path):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"id": f"p{i}", "text": question(i), "language": "en"}) + "\n"
                               for i in range(PROMPTS)))
    path = write_study(tmp_path, "study.db", study={"languages": ["en"]},
                       prompts={"source": str(prompts), "limit": PROMPTS}, candidates={"judge": "none"},
                       turns={"max": 1}, overlap={"min_people": 1, "shared": 1, "quota": 3, "policy": "active",
                                                  "epsilon": 0.2, "refit": REFIT, "warmup": 1, "types": 2})
    store = Store(load_study(path))
    store.migrate()
    store.add_prompts(load_prompts(prompts))
    for pending in store.pending(100):  # written before the server starts: its worker has nothing to generate
        store.fill(pending["id"], candidates(pending["text"]))
    tokens = store.invite(PEOPLE, "en")
    server, url = start_server(lambda port: [sys.executable, "-m", "pluralign", "collect", "serve", str(path),
                                             "--port", str(port), "--password", PASSWORD], "/openapi.json")
    try:
        for token in tokens:
            assert httpx.post(f"{url}/api/a/{token}/consent").status_code == 200
            assert httpx.post(f"{url}/api/a/{token}/survey", json={}).status_code == 200
        for i, token in enumerate(tokens):  # everyone's warm-up, on the shared prompt: REFIT choices
            assert answer_next(url, token, i % 2)["candidates"]
        deadline = time.monotonic() + 600  # the refit thread looks every 5 s; a fit takes seconds on a busy machine
        while not fitted(store) and time.monotonic() < deadline:
            time.sleep(1)
        assert fitted(store) == [REFIT]
        for i, token in enumerate(tokens):
            answer_next(url, token, i % 2)
        with Session(store.engine) as session:
            after = session.execute(select(Conversation.assigned, Conversation.probability)
                                    .order_by(Conversation.id).offset(PEOPLE)).all()
        # min_people = 1: the five open prompts short of a person are assigned as guarantees, but by the fit's rule
        # among those still short (a pick of at least two, the ε share spread over them), not by the fixed design
        assert len(after) == PEOPLE and {why for why, _ in after} == {"guarantee"}
        assert all(0.2 / (PROMPTS - 1) <= p < 1 for _, p in after)
        progress = httpx.get(f"{url}/api/admin/progress", auth=("admin", PASSWORD)).json()
        assert progress["uncertainty"].startswith("posterior entropy of the person's type")
    finally:
        stop_server(server)
