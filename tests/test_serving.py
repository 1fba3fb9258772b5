"""The two web apps when something goes wrong: a request that fails inside a route gets a short 500 and the server's
log one line, never a traceback; a server that cannot start says why in one line and exits 2."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import text

from .collect.conftest import write_study
from .collect.test_app import serve_study
from .conftest import free_port, invoke, stop_server
from .metrics.tables import long_table, make_run


def test_a_viewer_page_that_fails_is_a_short_500_and_one_line_in_the_servers_log(tmp_path):
    """Before, the page was starlette's 500 and the terminal of whoever ran ``pluralign view`` got a 40-line traceback
    (a run whose metrics.parquet is damaged: pyarrow's ArrowInvalid)."""
    runs = tmp_path / "runs"
    make_run(runs / "damaged", long_table({"m": {"accuracy": (0.7, 0.6, 0.8)}}), job="learn")
    (runs / "damaged" / "metrics.parquet").write_bytes(b"not parquet")
    url, log = f"http://127.0.0.1:{free_port()}", tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "pluralign", "view", str(runs), "--port", url.rsplit(":")[-1]],
                                  stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(url + "/", timeout=10).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        pages = [httpx.get(url + "/runs/damaged/", timeout=30) for _ in range(2)]
    finally:
        stop_server(server)
    assert [p.status_code for p in pages] == [500, 500]
    assert "bug in pluralign" in pages[0].text and "Traceback" not in pages[0].text and len(pages[0].text) < 200
    written = log.read_text()
    failed = [line for line in written.splitlines() if "/runs/damaged" in line]
    assert "Traceback" not in written and len(failed) == 2, written  # one line per failed request
    assert "ArrowInvalid" in failed[0] and "bug in pluralign" in failed[0]


def test_a_collect_request_that_fails_is_a_short_500_with_the_security_headers(tmp_path, caplog):
    """The study's database damaged under a running server (its ``people`` table renamed away): every request of a
    person fails inside its route; a page gets text, the JSON API JSON, and the log one line each."""
    store, client, tokens = serve_study(tmp_path)
    with store.engine.begin() as connection:
        connection.execute(text("ALTER TABLE people RENAME TO people_gone"))
    page, api = client.get(f"/a/{tokens[0]}"), client.get(f"/api/a/{tokens[0]}/task")
    assert page.status_code == api.status_code == 500
    assert "bug in pluralign" in page.text and "Traceback" not in page.text
    assert "bug in pluralign" in api.json()["detail"]
    assert page.headers["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in page.headers
    lines = [r for r in caplog.records if r.name == "pluralign.serving"]
    assert len(lines) == 2 and all(r.exc_info is None and "OperationalError" in r.getMessage() for r in lines)


@pytest.fixture
def taken_port():
    """A port another server listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.mark.parametrize("command", ["view", "collect serve"])
@pytest.mark.parametrize("option, message", [
    (["--port", "70000"], "--port 70000: a port is a number from 1 to 65535"),
    (["--host", "no-such-host.invalid"], "--host no-such-host.invalid: not an address to listen on"),
    (["--port", "{taken}"], "cannot listen on 127.0.0.1:{taken} (Address already in use)"),
])
def test_a_server_that_cannot_listen_says_why_in_one_line_before_anything_loads(tmp_path, taken_port, command,
                                                                               option, message):
    given = str(tmp_path) if command == "view" else str(write_study(tmp_path, str(tmp_path / "study.db")))
    option = [o.format(taken=taken_port) for o in option]
    result = invoke(*command.split(), given, *option)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message.format(taken=taken_port)}"), lines
    assert not (tmp_path / "study.db").exists()  # refused before the study's database was made


def test_a_study_whose_database_folder_is_missing_is_one_line_at_start(tmp_path):
    missing = tmp_path / "no-such-folder" / "study.db"
    result = invoke("collect", "serve", str(write_study(tmp_path, str(missing))), "--port", str(free_port()))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (f"error: {missing}: no folder {missing.parent} to keep the database in; create "
                                     "it or give another path")
