"""`pluralign collect serve` stopped and guarded as a process: Ctrl-C ends it cleanly while a model writes a set, with
one process or several, and the admin password reaches no worker process's environment."""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import time

import httpx
import pytest

from ..conftest import start_server, stop_server
from .conftest import open_store
from .test_serve import PASSWORD, served


def cpu_seconds(pid: int) -> float:
    """The CPU time process ``pid`` has used (its threads', user and system)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group(pid: int) -> list[int]:
    """The processes of the session ``pid`` leads (``start_server`` starts each server in its own)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[3]) == pid:
                found.append(int(entry))
        except OSError:  # ended meanwhile
            pass
    return found


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_while_the_model_writes_a_set_ends_the_server_cleanly(tmp_path, workers):
    """Four first-turn sets wait, so the worker loads the embedded model and writes them from the start. A SIGINT once
    the parent has spent 5 s of CPU past its start-up finds the worker inside torch: before, the interpreter ended that
    daemon thread in torch's C++ at exit and the process aborted ("terminate called without an active exception",
    exit -6). Now the exit is 0, and the sets not written are left pending, not failed."""
    open_store(tmp_path, str(tmp_path / "study.db"), study={"languages": ["en"]}, prompts={"limit": 4},
               candidates={"models": ["embedded"], "judge": "none", "max_tokens": 256})
    log = tmp_path / "server.log"
    server, _ = served(tmp_path / "study.toml", "--workers", workers, log=log)
    try:
        busy, deadline = cpu_seconds(server.pid) + 5, time.monotonic() + 600
        while cpu_seconds(server.pid) < busy and time.monotonic() < deadline:
            time.sleep(0.5)
        os.kill(server.pid, signal.SIGINT)
        status = server.wait(120)
    finally:
        stop_server(server)
    output = log.read_text()
    assert status == 0 and "terminate called" not in output and "Traceback" not in output, (status, output)
    with sqlite3.connect(tmp_path / "study.db") as db:
        states = dict(db.execute("SELECT status, COUNT(*) FROM candidate_sets GROUP BY status").fetchall())
    assert states.get("pending") and "failed" not in states, states


def test_workers_get_no_admin_password_in_their_environment_and_still_check_it(tmp_path, monkeypatch):
    """The password given as the README says (its environment variable): the worker processes' environments and
    command lines hold neither it nor the variable (before, ``PLURALIGN_COLLECT_SERVED`` carried it to each), yet the
    right password lets the admin in on any worker and wrong ones are still limited across them."""
    open_store(tmp_path, str(tmp_path / "study.db"), study={"languages": ["en"]}, candidates={"judge": "none"})
    secret = "environ-admin-password-77"
    monkeypatch.setenv("PLURALIGN_COLLECT_PASSWORD", secret)
    server, url = start_server(lambda port: [sys.executable, "-m", "pluralign", "collect", "serve",
                                             str(tmp_path / "study.toml"), "--port", str(port), "--workers", "2"],
                               "/openapi.json")
    try:
        workers = [pid for pid in group(server.pid) if pid != server.pid]
        seen = {pid: open(f"/proc/{pid}/environ", "rb").read() + open(f"/proc/{pid}/cmdline", "rb").read()
                for pid in workers}
        right = [httpx.get(f"{url}/api/admin/progress", auth=("admin", secret)).status_code for _ in range(6)]
        wrong = [httpx.get(f"{url}/api/admin/progress", auth=("admin", f"{secret}?")).status_code for _ in range(12)]
        locked = httpx.get(f"{url}/api/admin/progress", auth=("admin", secret)).status_code
    finally:
        stop_server(server)
    assert len(workers) >= 2 and all(b"PLURALIGN_COLLECT_SERVED" in s for s in seen.values() if b"spawn_main" in s)
    assert not [pid for pid, s in seen.items() if secret.encode() in s or b"PLURALIGN_COLLECT_PASSWORD" in s]
    assert right == [200] * 6 and wrong == [401] * 10 + [429] * 2 and locked == 429
    assert PASSWORD != secret  # the other tests' servers are given theirs on the command line
