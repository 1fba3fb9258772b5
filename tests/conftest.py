"""Shared fixtures: the real embedded models, loaded once per test session."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable
from unittest import mock

import httpx
import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure() -> None:
    """Under pytest-xdist (`make test` runs two workers), each worker and everything it starts keeps to CPUs of its
    own: torch's and llama.cpp's threads wait for one another at every step, and two workers' threads sharing the
    same cores made a two-minute llama.cpp audit take over seven."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not hasattr(os, "sched_setaffinity"):
        return
    cpus = sorted(os.sched_getaffinity(0))
    mine = cpus[int(worker.removeprefix("gw")) :: int(os.environ["PYTEST_XDIST_WORKER_COUNT"])]
    if mine:
        os.sched_setaffinity(0, mine)
        os.environ["OMP_NUM_THREADS"] = str(len(mine))
        os.environ["VLLM_CPU_OMP_THREADS_BIND"] = "nobind"  # vLLM would bind its threads to cores of its choosing


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a slow test run first (in their own order otherwise), so that with two workers (`make test`)
    the minutes-long runs start at once and the short tests fill in around them instead of one long run ending the
    suite alone."""
    slow = {item.module for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.module not in slow)


KEPT = ("models", "floor")  # converted weights and the floor environment: built once per machine, not answers


@pytest.fixture(scope="session", autouse=True)
def answer_cache(tmp_path_factory) -> Path:
    """One answer cache for this run of the suite, empty at its start and shared by its xdist workers (and every
    command a test starts, through ``PLURALIGN_CACHE``): tests that ask the same questions (the stance judge's 112
    labelled answers, the value judge's 44) pay for them once, and no run is faster or different because an earlier
    one filled the user's cache. Converted weights and the floor environment are linked from the user's cache."""
    from pluralign.models.embedded import cache_dir

    kept = cache_dir()
    base = tmp_path_factory.getbasetemp()
    cache = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "answer-cache"
    cache.mkdir(exist_ok=True)
    for name in KEPT:
        (kept / name).mkdir(parents=True, exist_ok=True)
        try:
            (cache / name).symlink_to(kept / name, target_is_directory=True)
        except FileExistsError:  # the other worker linked it first
            pass
    os.environ["PLURALIGN_CACHE"] = str(cache)
    return cache


@pytest.fixture(scope="session")
def hf_model():
    """The embedded model as users get it: ``dtype=auto``, bf16 on a CPU with AVX-512 BF16 or AMX, else fp32."""
    from pluralign.models.spec import load

    return load("embedded")


@pytest.fixture(scope="session")
def fp32_model():
    """The embedded model in float32, for the tests that compare it with what float32 computed: the golden runs
    (written in float32; given to their jobs under the spec ``embedded``, so their records keep its name while the
    run's manifest records ``float32``), lm-evaluation-harness, vLLM, llama.cpp and the floor environment."""
    from pluralign.models.spec import load

    return load("embedded?dtype=float32")


@pytest.fixture(scope="session")
def llama_model():
    from pluralign.models.spec import load

    return load("llamacpp:embedded")


def free_port() -> int:
    """A TCP port free on loopback right now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(command: Callable[[int], list[str]], probe: str, attempts: int = 3,
                 wait_s: float = 600, log: Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``command(port)`` on a free loopback port; return the process and its base URL once GET ``probe``
    (a path) answers 200.

    A port that was free when chosen can be taken before the server binds it, so a server that exits before
    answering is started again on another port. ``wait_s`` only stops a server that never answers from hanging
    the suite: on a busy machine start-up takes many times its usual second or two, so it is generous. The server's
    output goes to a file (a pipe nobody reads fills and blocks a chatty server) whose tail explains a failure: ``log``
    when given (each attempt's output replaces the last's), else a temporary one.
    """
    for _ in range(attempts):
        port = free_port()
        output = log.open("w+b") if log else tempfile.TemporaryFile()
        proc = subprocess.Popen(command(port), stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + wait_s
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(url + probe, timeout=10).status_code == 200:
                    return proc, url
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        stop_server(proc)
        output.seek(0)
        tail = output.read().decode(errors="replace")[-2000:]
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{command(port)[:4]} did not answer {probe} within {wait_s:.0f} s:\n{tail}")
    raise RuntimeError(f"{command(port)[:4]} exited before answering, {attempts} times; last output:\n{tail}")


def stop_server(proc: subprocess.Popen) -> None:
    """Kill a server started by ``start_server`` and every process it started (vLLM's engine runs in a child)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def start_llama_server(logits_all: bool) -> tuple[subprocess.Popen, str]:
    """llama-cpp-python's OpenAI-compatible server on loopback with the embedded model; returns it and its /v1 URL.

    The server has one slot: it answers one request at a time and reuses the KV cache of the previous request's
    longest shared prefix, so what a request gets can depend on what was asked before it (see the greedy test).
    """
    from pluralign.models.embedded import embedded_gguf

    proc, url = start_server(lambda port: [
        sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_gguf()), "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", "2048", "--logits_all", str(logits_all), "--model_alias", "smollm2"], "/v1/models")
    return proc, url + "/v1"


@pytest.fixture(scope="session")
def vllm_python() -> Path:
    """The Python of the vLLM environment (`make vllm-env`): vllm-cpu pins versions the main one need not follow."""
    python = ROOT / ".venv-vllm" / "bin" / "python"
    if not python.exists():
        pytest.fail("the vLLM tests need the vLLM environment: run `make vllm-env` (make test does)")
    return python


@pytest.fixture(scope="session")
def llama_server():
    """One llama.cpp server (with prompt log-probs) for every test that talks to a served model."""
    proc, url = start_llama_server(logits_all=True)
    yield url
    stop_server(proc)


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 1800) -> subprocess.CompletedProcess:
    """Run `pluralign ARGS` as a user would, in a fresh process: for what only a process shows (the entry point, what
    it imports, a library's own logging on its stderr, a kill and a resume). ``timeout`` only keeps a hung command from
    hanging the suite; it is far above any command's time here, since a busy machine makes each several times slower."""
    return subprocess.run([sys.executable, "-m", "pluralign", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def invoke(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `pluralign ARGS` in this process (typer's CliRunner), its outcome in the shape ``run_cli`` returns: what a
    command prints, refuses and writes does not depend on the process boundary, and a process pays 2-3 CPU s of
    imports before it does anything (5-7 when it loads a model), which this process has already paid.

    An exception that escapes the command's error decorator is raised here, not turned into "exit 1": a user would
    have seen its traceback. The CLI's consoles are made at import and fix their width there when COLUMNS is set (as
    pytest-xdist sets it in its workers: 80), so a test that sets COLUMNS gets it the way a new process would: both
    consoles made at that width (rich keeps a fixed width in ``_width``; the check below fails if that changes)."""
    from pluralign.cli.app import app
    from pluralign.cli.common import err, out

    with contextlib.ExitStack() as scope:
        scope.enter_context(contextlib.chdir(cwd or "."))
        scope.enter_context(mock.patch.dict(os.environ, env or {}))
        if env and "COLUMNS" in env:
            for console in (out, err):
                scope.enter_context(mock.patch.object(console, "_width", int(env["COLUMNS"])))
            assert out.width == err.width == int(env["COLUMNS"]), "rich no longer fixes a console's width so"
        result = CliRunner().invoke(app, list(args), prog_name="pluralign", catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def statements_file(ids: str, folder: Path) -> str:
    """The built-in statements whose id matches the pattern ``ids``, written as a JSONL file in ``folder``: the
    source an audit's config names when a test audits a chosen few."""
    from pluralign.data import builtin_statements

    statements = builtin_statements()
    path = folder / "statements.jsonl"
    statements[statements["id"].str.match(ids)].to_json(path, orient="records", lines=True, force_ascii=False)
    return str(path)


@pytest.fixture(scope="session")
def small_run(tmp_path_factory, answer_cache, fp32_model):
    """A complete audit of 16 built-in statements (4 topics, en and de) with every stage, on the embedded model in
    float32 (the golden audit's). Long-form answers of 16 tokens (32 before; the golden audit's since branch audit2):
    the stance judge's check on its 112 labelled answers, a fixed cost, is most of the rest.

    Eight modules use it, so with two workers both make it, each in a folder of its own: the second to start waits
    for the first, then finds every answer in the run's answer cache instead of computing them again."""
    from pluralign.audit import AuditConfig, run_audit

    out = tmp_path_factory.mktemp("runs") / "small"
    statements = statements_file(r"(imm|lgb|wel|sur)-0[13]-(en|de)", out.parent)

    def audit():
        return run_audit(AuditConfig(models=["embedded"], statements=statements, max_tokens=16), out,
                         progress=False, models={"embedded": fp32_model}).path

    with open(answer_cache / "small_run.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        audit.path = audit()
    return audit
