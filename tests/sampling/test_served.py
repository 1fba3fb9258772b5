"""compare-samplers end to end against a real OpenAI-compatible server (llama-cpp-python's, on loopback)."""

from __future__ import annotations

import json

import pandas as pd

from ..conftest import invoke


def test_compare_samplers_through_a_served_model(llama_server, tmp_path):
    spec = f"openai:{llama_server}#smollm2"
    # The served model samples and answers; the judge runs in process (scoring every response through this
    # server's echoed log-probs works, but takes minutes on two cores: one request at a time, no shared prefixes).
    # Through the suite run's answer cache: what the served model answers is computed here (its fingerprint holds the
    # server's URL, on a port of this run's), while the judge's check on the 44 responses of known pole (20 CPU s)
    # is the one the contract test's and the tour's compare-samplers ask of the same embedded judge: one of them pays.
    result = invoke("compare-samplers", "--suite", "builtin", "--limit", "2", "--model", spec, "--judge", "embedded",
                    "--k", "2", "--max-tokens", "16", "--annotators", "20",
                    "--out", str(tmp_path / "run"), env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and set(manifest["models"]) == {spec, "embedded"}
    candidates = pd.read_parquet(tmp_path / "run" / "candidates.parquet")
    assert set(candidates["sampler"]) == {"independent", "negatively-correlated"}
    assert candidates.groupby("set_id").size().eq(2).all() and candidates["text"].str.len().gt(0).all()
    assert candidates[["traditional_secular", "survival_self_expression"]].abs().le(1).all().all()
    assert "samplers side by side" in result.stdout
    # 2 prompts, 1 held out: the accuracy intervals resample prompts and cannot bound anything, and the output says so
    assert "[-inf, inf]" in result.stdout and "one held-out prompt says nothing about the next" in result.stderr
