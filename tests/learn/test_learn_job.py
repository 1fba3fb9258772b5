"""The learn job's run directory: a record per finished step, resume after SIGKILL, a changed config refused."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pluralign.learn.job import LearnConfig, run_learn
from pluralign.runs import RunError

from ..conftest import invoke
from ..golden import assert_golden

ARGS = ["learn", "--data", "simulated", "--estimator", "mixture", "--k", "2", "--seed", "3"]  # the golden learn run
STEPS = {"fit|model", "fit|baseline", "type_recovery", *(f"curve|{s}" for s in (0, 5, 10, 20)),
         *(f"evaluate|{m}|{s}" for m in ("MixtureBradleyTerry", "BradleyTerry (one reward)")
           for s in ("unseen conversations", "unseen prompts", "unseen people, 0-shot")),
         *(f"gain|{s}" for s in ("unseen conversations", "unseen prompts", "unseen people, 0-shot"))}


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@pytest.fixture(scope="module")
def cut_run(tmp_path_factory) -> Path:
    """`pluralign learn` killed with SIGKILL once it has recorded its two fits and one evaluation."""
    out = tmp_path_factory.mktemp("learn") / "cut"
    proc = subprocess.Popen([sys.executable, "-m", "pluralign", *ARGS, "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 900
    while time.time() < deadline and proc.poll() is None and len(_lines(out / "records.jsonl")) < 3:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    return out


@pytest.fixture
def cut(cut_run, tmp_path) -> Path:
    """A copy of the killed run, for one test to go on with."""
    return Path(shutil.copytree(cut_run, tmp_path / "cut"))


def test_resume_after_sigkill_repeats_nothing_and_gives_the_uninterrupted_metrics(cut):
    before = _lines(cut / "records.jsonl")
    assert 3 <= len(before) < len(STEPS)
    assert json.loads((cut / "manifest.json").read_text())["status"] == "running"
    fitted = (cut / "model.npz").stat().st_mtime_ns
    result = invoke(*ARGS, "--out", str(cut))
    assert result.returncode == 0, result.stderr
    after = _lines(cut / "records.jsonl")
    keys = [json.loads(line)["key"] for line in after]
    assert after[: len(before)] == before and len(keys) == len(set(keys)) and set(keys) == STEPS
    assert (cut / "model.npz").stat().st_mtime_ns == fitted  # read back, not fitted again
    assert json.loads((cut / "manifest.json").read_text())["status"] == "complete"
    assert_golden("learn-mixture", cut)  # what the uninterrupted run wrote
    assert (cut / "learning_curve.parquet").exists() and (cut / "report.html").exists()


def test_a_changed_config_is_refused_without_fresh(cut):
    before = _lines(cut / "records.jsonl")
    with pytest.raises(RunError, match=r"holds a run with a different config \(k\).*--fresh"):
        run_learn(LearnConfig(data="simulated", estimator="mixture", k=3, seed=3), cut)
    assert _lines(cut / "records.jsonl") == before
