"""The values job end to end on the embedded model: records, tables, metrics, resume, and its report in Chromium."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import sync_playwright

from pluralign.data import builtin_situations
from pluralign.runs import RunError, read_records
from pluralign.values import Thresholds, ValuesRunConfig, run_values
from tests.conftest import invoke
from tests.golden import assert_golden
from tests.report.test_report_browser import CHROMIUM_ARGS

# Four situations, one chunk (values.job.CHUNK): three languages, two topics (en-21 health, the others honesty), and
# tr-04, whose map keeps nothing on the embedded model. A fifth situation made a second chunk of one, which cost a
# fifth of the run (benchmarks/RESULTS.md).
IDS = ["en-01", "en-21", "de-01", "tr-04"]
# The 135M model's relevance sits near 0.3-0.5, so a lower bar keeps something to look at.
THRESHOLDS = Thresholds(relevance={"Value": 0.3, "Right": 0.3, "Duty": 0.3})


@pytest.fixture(scope="module")
def values_run(tmp_path_factory, fp32_model):
    out = tmp_path_factory.mktemp("values") / "run"
    situations = out.parent / "situations.jsonl"
    builtin_situations().set_index("id").loc[IDS].reset_index().to_json(situations, orient="records", lines=True,
                                                                        force_ascii=False)
    config = ValuesRunConfig(situations=str(situations), samples=2, max_tokens=48, explain=True, thresholds=THRESHOLDS)

    def run(config=config, **kw):
        return run_values(config, out, progress=False, use_cache=False, models={"embedded": fp32_model}, **kw).path

    run.path = run()
    run.config = config
    return run


def test_every_situation_is_mapped_with_proper_scores(values_run):
    records = read_records(values_run.path)
    assert [r["situation_id"] for r in records] == IDS
    candidates = pd.read_parquet(values_run.path / "candidates.parquet")
    assert candidates.groupby("situation_id").size().sum() == sum(r["n_candidates"] for r in records) > 0
    assert candidates["relevance"].between(0, 1).all()
    assert np.allclose(candidates[["supports", "opposes", "either"]].sum(axis=1), 1)
    kept = candidates[candidates["kept"]]
    assert (kept["relevance"] >= 0.3).all() and kept["dropped"].isna().all()
    assert kept["explanation"].str.len().gt(0).all() and candidates.loc[~candidates["kept"], "explanation"].isna().all()
    assert candidates.loc[~candidates["kept"], "dropped"].str.match(r"^(relevance|rouge:|cosine:|copied from)").all()
    situations = pd.read_parquet(values_run.path / "situations.parquet")
    mapped = situations[situations["n_kept"] > 0]
    assert len(mapped) and np.allclose(mapped[["overall_supports", "overall_opposes", "overall_either"]].sum(axis=1), 1)
    assert mapped["entropy"].between(0, np.log2(3)).all()
    metrics = pd.read_parquet(values_run.path / "metrics.parquet")
    assert {"valence_entropy", "kept_candidates", "kept_share", "tensions"} <= set(metrics["metric"])
    assert set(metrics.loc[metrics["grouping"] == "language", "group"]) >= {"en", "de", "tr", "gap", "ratio"}
    # the smallest language or topic group, as a check: a handful of situations each, so its intervals say little
    smallest = min(situations.groupby(g)["situation_id"].nunique().min() for g in ("language", "topic"))
    small = metrics[metrics["metric"] == "small_groups"]
    assert small["value"].tolist() == [smallest] and small["grouping"].tolist() == ["check"]
    assert smallest < 5 and "Numbers here that carry no information" in (values_run.path / "report.html").read_text()


def test_rerunning_adds_nothing_and_a_changed_config_is_refused(values_run):
    before = (values_run.path / "records.jsonl").read_text()
    values_run()
    assert (values_run.path / "records.jsonl").read_text() == before
    with pytest.raises(RunError, match="samples"):
        values_run(replace(values_run.config, samples=3))


def test_report_shows_a_value_map_per_situation(values_run):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors, outside = [], []
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.on("request", lambda req: not req.url.startswith("file://") and outside.append(req.url))
        page.goto((values_run.path / "report.html").as_uri())
        assert errors == [] and outside == []
        assert page.locator("details.situation").count() == len(IDS)
        kept = pd.read_parquet(values_run.path / "candidates.parquet").query("kept")
        first = kept[kept["situation_id"] == IDS[0]]
        bars = page.locator(f"details[data-situation='{IDS[0]}'] .bar")
        assert bars.count() == (first["valence"] != "either").sum()
        if len(first):
            top = first.sort_values("relevance").iloc[-1]
            width = page.locator(f"details[data-situation='{IDS[0]}'] .bar .fill").first.evaluate("e => e.style.width")
            assert width  # sized by relevance
            assert page.get_by_text(f"{top['kind']}: {top['text']}").first.is_visible() or top["valence"] == "either"
        assert page.locator("h2#contested + table tr").count() == 1 + (pd.read_parquet(values_run.path / "situations.parquet")["n_kept"] > 0).sum()
        browser.close()


def _values_args(out):
    """Two chunks of four situations, each a greedy list alone, at a fixed relevance threshold: what is cut and
    resumed are the chunks, so the calibration (84 labelled pairs scored afresh by each process) and sampled lists
    would only add model work."""
    return ["values", "--suite", "builtin", "--limit", "8", "--samples", "0", "--max-tokens", "32",
            "--relevance-threshold", "0.3", "--no-cache", "-q", "--out", str(out)]


def test_resume_after_sigkill_loses_nothing_and_duplicates_nothing(tmp_path):
    """The run is killed as a process of its own (only a process can be), then resumed by the same command in this
    process: the resume reads what the killed process left in the run directory, whichever process it runs in, and
    is spared a second interpreter's imports and model loads."""
    out = tmp_path / "cut"
    proc = subprocess.Popen([sys.executable, "-m", "pluralign", *_values_args(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    # wait for a whole record, not the file: the first append creates it an instant before it writes the chunk
    while time.time() < deadline and proc.poll() is None and not read_records(out):
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be killed (its error.log says why)"
    os.kill(proc.pid, signal.SIGKILL)  # after the first chunk of four, before the second
    proc.wait()
    assert 0 < len(read_records(out)) < 8
    resumed = invoke(*_values_args(out))
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    keys = [json.loads(line)["key"] for line in (out / "records.jsonl").read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 8
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def test_values_run_writes_what_it_wrote(values_run):
    assert_golden("values", values_run.path)
