"""Shared fixtures: the real embedded models, loaded once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
