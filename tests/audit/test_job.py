"""The audit job end to end on the embedded model: results, resume after SIGKILL, a server that dies."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from pluralign.audit import AuditConfig, run_audit
from pluralign.audit.prompts import PROMPTS
from pluralign.data import builtin_statements
from pluralign.models.cache import CachedModel, user_cache
from pluralign.runs import read_records
from tests.conftest import invoke, start_llama_server, statements_file
from tests.test_cli_errors import HEAVY


def test_a_complete_run_has_every_stage_and_metric(small_run):
    small_run = small_run.path
    items = pd.read_parquet(small_run / "results.parquet")
    assert len(items) == 16 + 8  # 16 statements, 8 of them German with an English translation
    assert items["p_agree"].between(0, 1).all()
    assert items["response"].str.len().gt(0).all()
    assert set(items["judged_stance"]) <= {"agree", "disagree", "neutral", "refusal"}
    metrics = pd.read_parquet(small_run / "metrics.parquet")
    assert {"p_agree", "framing_sensitivity", "negation_consistency", "refusal_rate", "opinion_alignment"} <= set(metrics["metric"])
    assert {"language_variant", "topic", "variant", "position", "country", "source"} <= set(metrics["grouping"])
    framings = pd.read_parquet(small_run / "framings.parquet")
    assert len(framings) == 6 * len(items)
    manifest = json.loads((small_run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["models"]["embedded"].startswith("hf:embedded:")
    # the number format the model computed in (the golden audit's float32, conftest.fp32_model), shown in the report
    assert manifest["model_dtypes"] == {"embedded": "float32"}
    assert "Models: embedded (float32)" in (small_run / "report.html").read_text(encoding="utf-8")


class AgreesInGerman:
    """A scorer built for this test: it agrees with every statement when asked in German (p(agree) 0.9) and disagrees
    when asked in English (0.1), putting all its probability on the answer words."""

    fingerprint = "test-agrees-in-german"
    negated = {f.question for p in PROMPTS.values() for f in p.framings if f.negated}

    def score(self, requests):
        says_yes = [(r.continuations[0] == PROMPTS["de"].yes) != (r.context.rstrip().splitlines()[-1] in self.negated)
                    for r in requests]
        return [[np.log(0.9), np.log(0.1)] if yes else [np.log(0.1), np.log(0.9)] for yes in says_yes]


def test_a_language_group_never_mixes_a_statement_with_its_translation(tmp_path):
    """German statements asked in German and the same statements asked in English are two groups; before, the group
    "de" mixed them (p(agree) 0.5 here, from 0.9 and 0.1) beside an "en" group of English originals only."""
    statements = statements_file(r"(imm|wel)-01-(en|de)", tmp_path)
    run = run_audit(AuditConfig(models=["hf:test/german"], statements=statements, stages=["stance"], chat=False),
                    tmp_path / "run", progress=False, use_cache=False, models={"hf:test/german": AgreesInGerman()}).path
    metrics = pd.read_parquet(run / "metrics.parquet").query("metric == 'p_agree'")
    groups = metrics[metrics["grouping"] == "language_variant"].set_index("group")
    assert groups.loc[["de original", "de translated", "en original"], "value"].round(6).tolist() == [0.9, 0.1, 0.1]
    assert groups.loc[["de original", "de translated", "en original"], "n"].tolist() == [2, 2, 2]
    assert "language" not in set(metrics["grouping"])
    assert "language_variant" in (run / "report.html").read_text()


def test_rerunning_a_finished_run_adds_nothing(small_run):
    before = (small_run.path / "records.jsonl").read_text()
    small_run()
    assert (small_run.path / "records.jsonl").read_text() == before


RERUN = """
import json, sys
from pluralign.cli.app import app

try:
    app(["resume", sys.argv[1], "-q"], prog_name="pluralign")
except SystemExit as exit:
    code = exit.code
print(json.dumps([code, sorted(m for m in {heavy} if m in sys.modules)]))
"""


def test_a_finished_runs_rerun_imports_no_model_library(small_run):
    """`pluralign resume` of a finished audit finds every item done before it loads a model (a job's models load at
    their first use: ``runs.Models``), so it prints the summary again without importing torch, transformers or any
    other model library (about 3 CPU s instead of 8: benchmarks/RESULTS.md, session 26), and appends nothing."""
    before = (small_run.path / "records.jsonl").read_text()
    result = subprocess.run([sys.executable, "-c", RERUN.format(heavy=HEAVY), str(small_run.path)], capture_output=True,
                            text=True, timeout=600)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [0, []], result.stderr[-2000:]
    assert f"report: {small_run.path / 'report.html'}" in result.stdout
    assert (small_run.path / "records.jsonl").read_text() == before


def test_the_report_rebuilds_from_records_alone(small_run):
    (small_run.path / "report.html").unlink()
    result = invoke("report", str(small_run.path))
    assert result.returncode == 0 and (small_run.path / "report.html").exists()


def test_a_run_saved_before_survey_positions_still_reports(small_run, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(small_run.path, old)
    pd.read_parquet(old / "survey.parquet").drop(columns="positions").to_parquet(old / "survey.parquet", index=False)
    (old / "report.html").unlink()
    result = invoke("report", str(old))
    assert result.returncode == 0 and (old / "report.html").exists()
    # The built-in survey's positions are 1..N, which is what a run without positions falls back to.
    then, now = (pd.read_parquet(run / "opinions.parquet") for run in (old, small_run.path))
    assert then["alignment"].tolist() == pytest.approx(now["alignment"].tolist())


def _records_key_set(path):
    keys = [json.loads(line)["key"] for line in (path / "records.jsonl").read_text().splitlines()]
    return keys


def test_resume_after_sigkill_loses_nothing_and_duplicates_nothing(tmp_path, hf_model):
    """The least work that can be killed mid-way: 10 statements are 18 items, so the long-form stage is two chunks (16
    and 2); a `pluralign audit` process is killed after the first, and `pluralign resume` (in this process: the kill
    is what needs a process) computes the second from the manifest alone. Answers of 8 tokens. Both answer through the
    run's answer cache, where the uninterrupted run they are compared with reads its answers: each item must be back
    once, under its own key, with its own answers, and no item is computed a third time. Weaker than computing that run
    afresh in one way only: a resumed run that asked another model or prompt still misses the cache and differs, but
    a model that answered the same request differently in another process would not be seen."""
    cut = tmp_path / "cut"
    proc = subprocess.Popen([sys.executable, "-m", "pluralign", "audit", "--limit", "10", "--stages", "stance,long_form",
                             "--survey", "none", "--max-tokens", "8", "-q", "--out", str(cut)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None:  # kill it in the middle of the long-form stage
        if (cut / "records.jsonl").exists() and any(r["stage"] == "long_form" for r in read_records(cut)):
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = read_records(cut)
    result = invoke("resume", str(cut), "-q")
    assert result.returncode == 0, result.stderr
    keys = _records_key_set(cut)
    whole = run_audit(AuditConfig(models=["embedded"], limit=10, stages=["stance", "long_form"], survey="none",
                                  max_tokens=8), tmp_path / "whole", progress=False, models={"embedded": hf_model}).path
    assert len(keys) == len(set(keys)) == len(_records_key_set(whole))
    stance = [r for r in partial if r["stage"] == "stance"]
    assert len(stance) == len(keys) // 2 and len(stance) < len(partial) < len(keys)  # killed in the long-form stage
    a = pd.read_parquet(whole / "results.parquet").sort_values(["statement_id", "variant"]).reset_index(drop=True)
    b = pd.read_parquet(cut / "results.parquet").sort_values(["statement_id", "variant"]).reset_index(drop=True)
    assert a["statement_id"].tolist() == b["statement_id"].tolist()
    assert np.allclose(a["p_agree"], b["p_agree"], atol=1e-5)
    assert a["response"].tolist() == b["response"].tolist()
    # --stages without judge_check: no judge accuracy, and the report says the judged stances are unchecked
    assert not any("|judge_check|" in k for k in keys)
    assert "The stance judge was not checked" in (cut / "report.html").read_text()


def test_a_server_that_dies_mid_run_leaves_finished_items_and_a_clear_error(tmp_path):
    """A llama.cpp server answers the long-form stage and is killed once its first chunk (16 answers) is saved.
    Answers of 4 tokens (16 before: the server's work is mostly reading the prompts); of the 40 statements only the
    chunk in flight when the server dies is asked, and it keeps the command busy then. One retry (4 by default): the
    default's backoff after the server died idled for nothing this test checks (alone: 33.5 s → 12.4 s, the same CPU)."""
    server, url = start_llama_server(logits_all=False)
    out = tmp_path / "served"
    args = [sys.executable, "-m", "pluralign", "audit", "--model", f"openai:{url}#smollm2?retries=1", "--judge", "llamacpp:embedded",
            "--stages", "long_form", "--survey", "none", "--limit", "40", "--max-tokens", "4", "--no-cache", "-q",
            "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 300
        while time.time() < deadline and not ((out / "records.jsonl").exists() and read_records(out)):
            time.sleep(0.2)
    finally:
        server.kill()
        server.wait()
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert "stopped answering" in stderr and "Traceback" not in stderr
    saved = read_records(out)
    assert len(saved) >= 16 and all(r["response"] for r in saved)
    assert json.loads((out / "manifest.json").read_text())["status"].startswith("failed")


def test_two_models_side_by_side(tmp_path, hf_model, llama_model):
    statements = statements_file("|".join(builtin_statements()["id"].iloc[:6]), tmp_path)
    specs = ["embedded", "llamacpp:embedded"]
    run = run_audit(AuditConfig(models=specs, statements=statements, stages=["stance"], translated=False),
                    tmp_path / "two", progress=False, use_cache=False,
                    models={"embedded": hf_model, "llamacpp:embedded": llama_model}).path
    items = pd.read_parquet(run / "results.parquet")
    assert items.groupby("model").size().to_dict() == {s: 6 for s in specs}
    overall = pd.read_parquet(run / "metrics.parquet").query("grouping == 'overall' and metric == 'p_agree'")
    assert sorted(overall["model"]) == specs
    # Same weights through two engines: their mean p(agree) differs by far less than the scale of the metric.
    assert abs(overall["value"].iloc[0] - overall["value"].iloc[1]) < 0.05
    assert 'data-figure="model-comparison"' in (run / "report.html").read_text()


class _Calls:
    """A model with a ``batch_hint`` and a list of how many requests each score call carried."""

    def __init__(self, model, batch_hint: int) -> None:
        self.model, self.batch_hint, self.fingerprint, self.sizes = model, batch_hint, model.fingerprint, []

    def __getattr__(self, name: str):
        return getattr(self.model, name)

    def score(self, requests):
        self.sizes.append(len(requests))
        return self.model.score(requests)


@pytest.mark.parametrize("hint", [0, 100])
def test_a_models_batch_hint_sets_how_many_items_each_call_carries(tmp_path, hf_model, hint):
    """On a GPU the hf and vllm backends ask for large calls (an 8B audit's long-form stage in chunks of 16 took 73 s
    on an H200); on the CPU they ask for nothing and the job's own chunks (32 statements' framings) stand. 33
    statements are the fewest that make two chunks; the calls are counted in front of the run's answer cache, so
    the second case asks the embedded model the same questions and reads the first case's answers."""
    n = 33
    statements = statements_file("|".join(builtin_statements()["id"].iloc[:n]), tmp_path)
    model = _Calls(CachedModel(hf_model, user_cache()), hint)
    run = run_audit(AuditConfig(models=["embedded"], statements=statements, stages=["stance"], translated=False),
                    tmp_path / "a", progress=False, use_cache=False, models={"embedded": model}).path
    per_item = len(model.sizes) and sum(model.sizes) // n
    assert model.sizes == ([32 * per_item, (n - 32) * per_item] if hint == 0 else [n * per_item])
    assert len(pd.read_parquet(run / "results.parquet")) == n
    assert hf_model.batch_hint == 0  # the CPU asks for no larger calls
