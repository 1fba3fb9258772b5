"""Run directories keep everything a user produced and refuse to mix configurations."""

from __future__ import annotations

import json

import pytest

from pluralign.models.base import ModelSpecError
from pluralign.runs import Models, Run, RunError, in_chunks, read_manifest, read_records


def test_records_survive_reopening_and_are_skipped(tmp_path):
    run = Run(tmp_path / "r", "audit", {"a": 1}, "data")
    run.append([{"key": "x", "v": 1}, {"key": "y", "v": 2}])
    again = Run(tmp_path / "r", "audit", {"a": 1}, "data")
    assert again.done_keys() == {"x", "y"}


def test_in_chunks_computes_only_what_is_left_in_chunks_of_the_size_and_records_each_under_its_key(tmp_path):
    run = Run(tmp_path / "r", "audit", {}, "data")
    run.append([{"key": "b"}])
    blocks, advanced = [], []

    def doubled(block: list[dict]) -> list[dict]:
        blocks.append([it["n"] for it in block])
        return [{"twice": 2 * it["n"]} for it in block]

    in_chunks(run, run.done_keys(), list("abcde"), [{"n": n} for n in range(5)], doubled, advanced.append,
              model=None, size=2)
    assert blocks == [[0], [2, 3], [4]]  # "b" was finished: its chunk holds "a" alone
    assert advanced == [2, 2, 1]
    assert [(r["key"], r.get("twice")) for r in read_records(tmp_path / "r")] == [
        ("b", None), ("a", 0), ("c", 4), ("d", 6), ("e", 8)]


def test_facts_about_the_data_are_kept_in_the_manifest_beside_its_fingerprint(tmp_path):
    Run(tmp_path / "r", "learn", {"a": 1}, "data").describe_data(left_out={"an empty reply": 4})
    again = Run(tmp_path / "r", "learn", {"a": 1}, "data")  # resuming keeps them
    assert again.manifest["left_out"] == {"an empty reply": 4}
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["data_fingerprint"] == "data"


def test_a_line_cut_short_by_a_crash_is_dropped(tmp_path):
    run = Run(tmp_path / "r", "audit", {}, "data")
    run.append([{"key": "x"}])
    with (tmp_path / "r" / "records.jsonl").open("a") as fh:
        fh.write('{"key": "y", "half')
    Run(tmp_path / "r", "audit", {}, "data").append([{"key": "z"}])
    assert [r["key"] for r in read_records(tmp_path / "r")] == ["x", "z"]


def test_a_changed_config_is_refused_and_names_what_changed(tmp_path):
    Run(tmp_path / "r", "audit", {"models": ["a"], "max_tokens": 96}, "data")
    with pytest.raises(RunError, match=r"different config \(max_tokens\).*--fresh"):
        Run(tmp_path / "r", "audit", {"models": ["a"], "max_tokens": 50}, "data")
    with pytest.raises(RunError, match="data_fingerprint"):
        Run(tmp_path / "r", "audit", {"models": ["a"], "max_tokens": 96}, "other data")


def test_fresh_keeps_the_old_run_aside(tmp_path):
    run = Run(tmp_path / "r", "audit", {"v": 1}, "data")
    run.append([{"key": "x"}])
    Run(tmp_path / "r", "audit", {"v": 2}, "data", fresh=True)
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("r.")]
    assert len(kept) == 1 and json.loads((kept[0] / "records.jsonl").read_text())["key"] == "x"
    assert read_records(tmp_path / "r") == []


def test_a_directory_that_is_not_a_run_is_not_overwritten(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("precious")
    with pytest.raises(RunError, match="not a pluralign run"):
        Run(tmp_path / "mine", "audit", {}, "data")


def test_new_weights_under_the_same_spec_are_refused(tmp_path):
    run = Run(tmp_path / "r", "audit", {}, "data")
    run.set_model("hf:x", "fp1")
    with pytest.raises(RunError, match="now loads fp2"):
        Run(tmp_path / "r", "audit", {}, "data").set_model("hf:x", "fp2")


def test_a_run_records_each_models_number_format_and_a_resume_in_another_names_the_first(tmp_path):
    """``dtype=auto`` is bf16 on a CPU with AVX-512 BF16 or AMX and fp32 elsewhere: a run says which format gave its
    answers, and one resumed on a machine where auto means the other format is refused with the option to name."""
    run = Run(tmp_path / "r", "audit", {}, "data")
    run.set_model("embedded", "fp-bf16", "bfloat16")
    assert read_manifest(tmp_path / "r")["model_dtypes"] == {"embedded": "bfloat16"}
    with pytest.raises(RunError, match=r"computed in bfloat16, now in float32: name \?dtype=bfloat16 to go on"):
        Run(tmp_path / "r", "audit", {}, "data").set_model("embedded", "fp-fp32", "float32")


def test_models_load_at_first_use_once_and_hand_the_jobs_they_run_each_model_without_its_cache(tmp_path, hf_model):
    run = Run(tmp_path / "r", "align", {}, "data")
    opened = Models(run, given={"embedded": hf_model}, use_cache=True)
    model = opened("embedded")
    assert model is opened("embedded") and run.manifest["models"] == {}  # opened, not used: nothing recorded yet
    assert model.score.__self__.model is hf_model  # at its first use, behind the cache
    assert run.manifest["models"] == {"embedded": hf_model.fingerprint}
    inner = Models(Run(tmp_path / "inner", "judge", {}, "data"), given=opened.loaded(), use_cache=False)
    assert inner("embedded").score.__self__ is hf_model  # the model itself, for an inner job's own cache
    missing = opened(f"llamacpp:{tmp_path / 'none.gguf'}")  # a spec is loaded at its first use, not when opened
    with pytest.raises(ModelSpecError, match="no GGUF file"):
        missing.generate([])
