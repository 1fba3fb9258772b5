"""No traceback, ever: every command that reads a file or folder named on its command line, given garbage, an empty
file, a folder, binary bytes, duplicated columns or a damaged run, says what is wrong in one line, exits 2 and leaves
the input as it was.

The commands run in this process (``invoke``), each refusing its input before any model loads, so that the
whole sweep takes about a minute."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from .conftest import invoke

BAD, OUT = "{bad}", "{out}"
# Each command that reads a file or folder, with the options that make it read BAD before it loads any model.
READERS = {
    "audit --statements": ["audit", "--statements", BAD, "--out", OUT, "-q"],
    "audit --format civics": ["audit", "--statements", BAD, "--format", "civics", "--out", OUT, "-q"],
    "audit --out": ["audit", "--suite", "builtin", "--limit", "2", "--out", BAD, "-q"],
    "audit --survey": ["audit", "--suite", "builtin", "--limit", "2", "--survey", BAD, "--out", OUT, "-q"],
    "audit --survey-format global-opinions": ["audit", "--suite", "builtin", "--limit", "2", "--survey", BAD,
                                              "--survey-format", "global-opinions", "--out", OUT, "-q"],
    "audit --survey-format opinionqa": ["audit", "--suite", "builtin", "--limit", "2", "--survey", BAD,
                                        "--survey-format", "opinionqa", "--out", OUT, "-q"],
    "values --situations": ["values", "--situations", BAD, "--out", OUT, "-q"],
    "values-train --data": ["values-train", "--data", BAD, "--out", OUT],
    "values-train --test": ["values-train", "--data", "{valueprism}", "--test", BAD, "--out", OUT],
    "values-eval --data": ["values-eval", "--data", BAD],
    "learn --data ca:": ["learn", "--data", "ca:" + BAD, "--out", OUT],
    "learn --data prism:": ["learn", "--data", "prism:" + BAD, "--out", OUT],
    "learn --data comparisons:": ["learn", "--data", "comparisons:" + BAD, "--out", OUT],
    "learn --data trl:": ["learn", "--data", "trl:" + BAD, "--out", OUT],
    "learn --data collect:": ["learn", "--data", "collect:" + BAD, "--out", OUT],
    "learn --annotators": ["learn", "--data", "comparisons:{comparisons}", "--annotators", BAD, "--out", OUT],
    "export-pairs --reward": ["export-pairs", "--reward", BAD, "--out", OUT],
    "sample --prompts": ["sample", "--prompts", BAD, "--out", OUT, "-q"],
    "compare-samplers --prompts": ["compare-samplers", "--prompts", BAD, "--out", OUT, "-q"],
    "humans-vs-models --data": ["humans-vs-models", "--data", "comparisons:" + BAD],
    "judge --reward": ["judge", "--model", "embedded", "--against", "llamacpp:embedded", "--reward", BAD,
                       "--out", OUT, "-q"],
    "judge --prompts": ["judge", "--model", "embedded", "--against", "llamacpp:embedded", "--prompts", BAD,
                        "--out", OUT, "-q"],
    "align --reward": ["align", "--target", "max-min", "--reward", BAD, "--out", OUT, "-q"],
    "align --prompts": ["align", "--target", "max-min", "--prompts", BAD, "--out", OUT, "-q"],
    "align --pairs": ["align", "--target", "pole:traditional", "--pairs", "trl:" + BAD, "--out", OUT, "-q"],
    "report": ["report", BAD],
    "check POLICY": ["check", BAD, OUT],
    "check RUNS": ["check", "{policy}", BAD],
    "compare": ["compare", BAD],
    "view": ["view", BAD],
    "collect invite": ["collect", "invite", BAD],
    "collect serve": ["collect", "serve", BAD],
    "collect export": ["collect", "export", BAD, "--out", OUT],
}
NOISE = random.Random(0).randbytes(512)
# What a user may hand a command by mistake: a file name and its bytes, or a folder name and its files.
INPUTS = {
    "garbage text": ("garbage.csv", b"this is, not \"a table\n}{ ][ :: \\x00\n;;\n"),
    "garbage JSON lines": ("garbage.jsonl", b"{\"id\": 1,\nnot json at all\n"),
    "garbage JSON": ("garbage.json", b"[{\"id\": \"a\"}, 7, \"x\""),
    "empty CSV": ("empty.csv", b""),
    "empty JSON lines": ("empty.jsonl", b""),
    "a folder": ("folder", {}),
    "binary CSV": ("binary.csv", NOISE),
    "binary Parquet": ("binary.parquet", NOISE),
    "gzip-looking bytes": ("broken.jsonl.gz", b"\x1f\x8b\x08\x00" + NOISE),
    "duplicated columns": ("duplicated.csv", b"id,text,language,topic,text\na,Taxes are good.,en,welfare,again\n"),
    "a run with a binary manifest": ("damaged-run", {"manifest.json": NOISE, "records.jsonl": NOISE}),
    "a run cut short": ("unfinished-run", {"manifest.json": b'{"job": "learn", "config": {"data": "ca:x.csv"}}',
                                           "records.jsonl": b'{"key": "fit", "kind": "fit"}\n{"nokey": 1}\n'}),
}
# Inputs a command takes as they are: an empty folder is a new run (--out) or a directory of runs (view).
VALID = {("audit --out", "a folder"), *(("view", given) for given, (_, content) in INPUTS.items()
                                       if isinstance(content, dict))}


def _write(path: Path, content: bytes | dict[str, bytes]) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
        return
    path.mkdir()
    for name, data in content.items():
        (path / name).write_bytes(data)


def _snapshot(path: Path) -> dict[str, bytes]:
    """Every file at or under ``path`` with its bytes."""
    return {str(f): f.read_bytes() for f in ([path] if path.is_file() else sorted(path.rglob("*")))}


@pytest.fixture
def good(tmp_path) -> dict[str, str]:
    """The good files that some commands need beside the bad one."""
    comparisons = tmp_path / "comparisons.jsonl"
    comparisons.write_text("\n".join(json.dumps(
        {"annotator_id": f"p{i}", "context": [{"role": "user", "content": "Hi"}], "candidates": ["a", "b"],
         "chosen": 0}) for i in range(3)) + "\n")
    policy = tmp_path / "policy.toml"
    policy.write_text('[[rule]]\nmetric = "accuracy"\nat_least = 0.5\n')
    valueprism = tmp_path / "valueprism.csv"
    valueprism.write_text("situation,vrd,text,relevant,valence\nLying,Value,Honesty,Yes,Opposes\n"
                          "Lying,Duty,Kindness,No,Supports\n")
    return {"comparisons": str(comparisons), "policy": str(policy), "valueprism": str(valueprism)}


@pytest.mark.parametrize("reader, given", [(r, g) for r in READERS for g in INPUTS if (r, g) not in VALID])
def test_bad_input_is_one_line_exit_2_and_left_as_it_was(tmp_path, good, reader, given):
    name, content = INPUTS[given]
    bad = tmp_path / name
    _write(bad, content)
    before = _snapshot(bad)
    result = invoke(*[a.format(bad=bad, out=tmp_path / "out", **good) for a in READERS[reader]])
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "bug in pluralign" not in result.stderr
    assert _snapshot(bad) == before


NOT_UTF8 = "naïve,text\n".encode() + "abéc,d\n".encode("latin-1")  # é in Latin-1: 3rd character of the 2nd line


@pytest.mark.parametrize("reader, name", [("audit --statements", "statements.csv"), ("check POLICY", "policy.toml"),
                                          ("collect invite", "study.toml")])
def test_a_file_that_is_not_utf8_is_named_by_row_and_column_by_every_reader(tmp_path, good, reader, name):
    bad = tmp_path / name
    bad.write_bytes(NOT_UTF8)
    result = invoke(*[a.format(bad=bad, out=tmp_path / "out", **good) for a in READERS[reader]])
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (f"error: {bad}, row 2, column 3: not UTF-8 text (byte 0xe9: invalid continuation "
                                      "byte); save the file as UTF-8"), result.stderr
