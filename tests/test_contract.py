"""The one job contract, held by every registered job through the same calls on a tiny input and the embedded model:
``run(config, out, ...) -> Summary``; a SIGKILL's leftovers (a torn last line, no tables, status running) resumed
from the manifest alone (``jobs.resume``) to the same records and summary, without duplicates; a rebuild from the
records that gives the same summary; and the viewer's item view opening a run's first item.

Cost (2-core machine, measured under the load of eight engineers): see the report of branch contract; each job runs
twice on one to eight items (align: 1 optimiser step on 2 pairs), the models loaded once per session."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pluralign.align.job import AlignConfig
from pluralign.align.judge import JudgeConfig
from pluralign.audit import AuditConfig
from pluralign.jobs import Summary, jobs, rebuild, resume
from pluralign.learn.job import LearnConfig
from pluralign.runs import read_manifest, read_records
from pluralign.sampling import SamplingConfig
from pluralign.sampling.people import HumansVsModelsConfig
from pluralign.values import ValuesRunConfig

from .conftest import invoke


def _ca_file(folder: Path) -> str:
    from tests.data.test_comparisons import _ca_rows

    pd.DataFrame(_ca_rows()).to_parquet(folder / "ca.parquet")
    return f"ca:{folder / 'ca.parquet'}"


# Each job's tiny config, made in the test's folder (a source file some need). The cases run in name order, and the
# sampling jobs ask what align asked before them (its 4 prompts, k 2, 8 tokens, seed 0), so the suite run's answer
# cache answers half of compare-samplers' model work (align's candidate sets for its 2 training prompts and its base
# model's default answers on the other 2, each placed on the value axes) and all of sample's.
CASES = {
    "audit": lambda d: AuditConfig(models=["embedded"], limit=2, stages=["stance"], translated=False, survey="none"),
    "values": lambda d: ValuesRunConfig(limit=1, samples=0, max_tokens=24),
    "sample": lambda d: SamplingConfig(limit=2, samplers=["independent"], k=2, max_tokens=8),
    "compare-samplers": lambda d: SamplingConfig(limit=4, samplers=["independent"], k=2, max_tokens=8, annotators=10),
    "learn": lambda d: LearnConfig(data="simulated", estimator="bt", shots=[0]),
    "judge": lambda d: JudgeConfig(model="embedded", against="hf:embedded", limit=2, max_tokens=8),
    "align": lambda d: AlignConfig(target="pole:traditional", limit=4, eval_share=0.5, k=2, max_tokens=8, steps=1,
                                   batch_size=2, audit=None, pluralism_questions=1, overton_prompts=1),
    "humans-vs-models": lambda d: HumansVsModelsConfig(data=_ca_file(d), max_tokens=8),
}


def test_every_registered_job_has_a_contract_case():
    assert set(jobs()) == set(CASES)


def _crash(run_dir: Path) -> list[dict]:
    """Leave the run as a SIGKILL while it appended its next record would: every record before it kept (each was
    flushed and synced), the one in flight torn half-way, no tables or report yet, status running. Returns the
    records it had. (Killing a real process mid-item, so that finished items must be made again, is each job's own
    test: the audit's through `pluralign resume`, values', learn's and the web apps'.)"""
    records = read_records(run_dir)
    last = (run_dir / "records.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[-1]
    with (run_dir / "records.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(last.replace(records[-1]["key"], "in flight")[: len(last) // 2])
    for derived in [*run_dir.glob("*.parquet"), run_dir / "report.html", run_dir / "tasks.csv", run_dir / "map.html"]:
        derived.unlink(missing_ok=True)
    manifest = read_manifest(run_dir)
    (run_dir / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    return records


def _same(a: Summary, b: Summary) -> bool:
    return a.path == b.path and list(a.tables) == list(b.tables) and all(
        a.tables[t].equals(b.tables[t]) for t in a.tables) and a.lines == b.lines and a.notes == b.notes


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_job_runs_resumes_rebuilds_summarises_and_opens_its_items(name, tmp_path, hf_model):
    job, out = jobs()[name], tmp_path / "run"
    given = {"embedded": hf_model, "hf:embedded": hf_model}
    summary = job.run(CASES[name](tmp_path), out, progress=False, models=given)  # the suite run's answer cache
    assert isinstance(summary, Summary) and summary.path == out
    assert summary.tables or summary.lines
    manifest = read_manifest(out)
    assert manifest["job"] == name and manifest["status"] == "complete"
    assert job.config(**manifest["config"]) is not None  # the manifest alone makes the config again

    before = _crash(out)
    resumed = resume(out, progress=False, models=given)
    assert read_records(out) == before  # nothing made again, nothing twice, the torn line gone
    assert (out / "records.jsonl").read_text(encoding="utf-8").endswith("\n")
    assert read_manifest(out)["status"] == "complete" and _same(resumed, summary)

    for derived in out.glob("*.parquet"):
        if derived.name not in ("prompts.parquet", "statements.parquet", "survey.parquet"):  # inputs, kept
            derived.unlink()
    assert _same(rebuild(out), resumed)  # the tables and the summary from the records alone

    if job.items is not None:
        def tables(file: str) -> pd.DataFrame | None:
            return pd.read_parquet(out / file) if (out / file).exists() else None

        first = str(tables(job.items.table)[job.items.key].iloc[0])
        fields, sections = job.items.detail(tables, first)
        assert fields[job.items.key] == first and all(s.title for s in sections)


def test_resume_refuses_in_one_line_what_is_no_run(tmp_path):
    result = invoke("resume", str(tmp_path))
    assert result.returncode == 2 and "not a pluralign run (no manifest.json)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_resume_refuses_settings_this_pluralign_cannot_read(tmp_path):
    from pluralign.runs import Run, RunError

    Run(tmp_path / "old", "learn", {"data": "simulated", "estimator": "bt", "no_such_setting": 1}, "data")
    with pytest.raises(RunError, match="'learn' settings this one cannot read .*no_such_setting.*--fresh"):
        resume(tmp_path / "old")
