"""`pluralign collect serve` as processes: several serving one database share its rate limits, `--workers N` leaves the
candidate worker to the parent, models load only when there is a set to write, and a database server that is down
is one line at start."""

from __future__ import annotations

import sqlite3
import sys
import time
import uuid

import httpx

from pluralign.collect.web import RateLimit

from ..conftest import free_port, invoke, start_server, stop_server
from .conftest import fill_all, open_store, write_study

PASSWORD = "serve-admin-password"


def served(study, *options: str, log=None):
    """`collect serve` on ``study`` as a process on a free port (its output in ``log`` when given): the process and its
    URL."""
    return start_server(lambda port: [sys.executable, "-m", "pluralign", "collect", "serve", str(study), "--port",
                                      str(port), "--password", PASSWORD, *options], "/openapi.json", log=log)


def ready_study(tmp_path, database: str, **sections):
    """A study on ``database`` whose first-turn sets are all written (fixed texts), and one person's invite token."""
    store = open_store(tmp_path, database, **sections)
    fill_all(store)
    return tmp_path / "study.toml", store.invite(1, "en")[0]


def test_two_servers_on_one_database_share_the_requests_limit_of_an_invite(tmp_path, database):
    study, token = ready_study(tmp_path, database)
    first, second = served(study, "--rate", "10"), served(study, "--rate", "10")
    try:
        urls = [first[1], second[1]] * 8
        codes = [httpx.get(f"{url}/api/a/{token}/task").status_code for url in urls]
    finally:
        stop_server(first[0])
        stop_server(second[0])
    assert codes == [200] * 10 + [429] * 6  # each process alone would have let 10 through: 16


def test_a_limit_reads_the_minute_before_across_the_turn_of_a_clock_minute(tmp_path, database):
    """Ten events at 50 s into a clock minute; the estimate of the sliding minute spreads them evenly over theirs, and
    rounds up."""
    store, now = open_store(tmp_path, database), [0.0]
    limit = RateLimit("requests", 10, clock=lambda: now[0])
    minute = 60 * 29_000_000  # a clock minute in 2025

    def at(seconds: float, count: bool) -> int:
        now[0] = minute + seconds
        with store.engine.begin() as connection:
            return limit.take(connection, "token") if count else limit.wait(connection, "token")
    assert [at(50, True) for _ in range(10)] == [0] * 10
    assert at(50, False) == 16  # at 66 s, 10 × 54/60 rounds up to 9: one more fits
    assert at(65, False) == 1 and at(66, False) == 0
    # the second is refused and counted: 2 + 10 × 42/60 leaves room for one more at 78 s
    assert at(66, True) == 0 and at(66, True) == 12
    assert at(120, False) == 0  # two minutes on, only the last minute's two are read
    assert RateLimit("guesses", 10, clock=lambda: now[0]).wait(store.engine.connect(), "token") == 0  # its own keys


def test_workers_serve_while_the_parent_alone_loads_the_model_when_a_set_is_first_pending(tmp_path):
    """Every first-turn set is written, so nothing loads at start, though the model cannot load: the server answers.
    A next message makes a later turn's set; the worker in the parent process tries the model then, and the set
    fails: the person's next task says so, and the set keeps why."""
    study, token = ready_study(tmp_path, str(tmp_path / "study.db"), candidates={"models": ["hf:/no/such/model"]})
    server, url = served(study, "--workers", "2")
    try:
        api = f"{url}/api/a/{token}"
        assert httpx.post(f"{api}/consent").status_code == httpx.post(f"{api}/survey", json={}).status_code == 200
        task = httpx.get(f"{api}/task").json()
        choice = {"nonce": uuid.uuid4().hex, "set_id": task["set_id"], "shown_at": task["shown_at"],
                  "form": task["form"], "position": 0, "next_message": "and then?"}
        assert httpx.post(f"{api}/choice", json=choice).json()["recorded"]
        deadline = time.monotonic() + 300
        while (task := httpx.get(f"{api}/task").json())["state"] == "waiting" and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        stop_server(server)
    assert task["state"] == "failed" and task["error"] and "/no/such/model" not in task["error"], task  # not why
    with sqlite3.connect(tmp_path / "study.db") as db:  # why is the study team's: in the database (and the log)
        assert any("/no/such/model" in e for (e,) in db.execute("SELECT error FROM candidate_sets WHERE error IS NOT NULL"))


def test_a_database_server_that_is_down_at_start_is_one_line_naming_it_without_the_password(tmp_path):
    port = free_port()  # nothing listens there
    study = write_study(tmp_path, f"postgresql+psycopg://postgres:hunter2-secret@127.0.0.1:{port}/study")
    result = invoke("collect", "serve", str(study), "--port", str(free_port()))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"error: cannot reach the study's database postgresql+psycopg://postgres:***@127.0.0.1:{port}/study ("), lines
    assert "hunter2" not in result.stdout + result.stderr and "Connection refused" in lines[0]
