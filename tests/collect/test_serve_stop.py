"""`pluralign collect serve` stopped as a process: Ctrl-C ends it cleanly while a model writes a set, with one process
or several."""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import pytest

from ..conftest import stop_server
from .conftest import open_store
from .test_serve import served


def cpu_seconds(pid: int) -> float:
    """The CPU time process ``pid`` has used (its threads', user and system)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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

