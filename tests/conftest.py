"""Shared fixtures: the real embedded models, loaded once per test session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def hf_model():
    from pluralign.models.spec import load

    return load("embedded")


@pytest.fixture(scope="session")
def llama_model():
    from pluralign.models.spec import load

    return load("llamacpp:embedded")


def free_port() -> int:
    """A TCP port free on loopback right now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_llama_server(logits_all: bool) -> tuple[subprocess.Popen, str]:
    """llama-cpp-python's OpenAI-compatible server on loopback with the embedded model; returns it and its /v1 URL."""
    from pluralign.models.embedded import embedded_gguf

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_gguf()), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--logits_all", str(logits_all), "--model_alias", "smollm2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("llama.cpp server did not start")


@pytest.fixture(scope="session")
def llama_server():
    """One llama.cpp server (with prompt log-probs) for every test that talks to a served model."""
    proc, url = start_llama_server(logits_all=True)
    yield url
    proc.kill()
    proc.wait()


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `pluralign ARGS` as a user would, in a fresh process."""
    return subprocess.run([sys.executable, "-m", "pluralign", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def small_run(tmp_path_factory, hf_model):
    """A complete audit of 16 built-in statements (4 topics, en and de) with every stage, on the embedded model."""
    from pluralign.audit import AuditConfig, run_audit
    from pluralign.data import builtin_statements, builtin_survey

    statements = builtin_statements()
    statements = statements[statements["id"].str.match(r"(imm|lgb|wel|sur)-0[13]-(en|de)")]
    out = tmp_path_factory.mktemp("runs") / "small"

    def audit():
        return run_audit(statements, AuditConfig(models=["embedded"], max_tokens=32), out, survey=builtin_survey(),
                         progress=False, use_cache=False, models={"embedded": hf_model})

    audit.path = audit()
    return audit
