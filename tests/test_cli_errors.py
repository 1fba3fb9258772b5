"""Bad input: one line naming the problem, exit code 2, no traceback."""

from __future__ import annotations

import json

import pytest

GOOD = {"id": "a", "text": "Taxes are good.", "language": "en", "topic": "welfare"}


def _jsonl(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


CASES = {
    "missing column": ([{"id": "a", "text": "x", "language": "en"}], "column 'topic': missing required column"),
    "unknown language": ([{**GOOD, "language": "klingon"}], "unknown language code 'klingon'"),
    "empty statement": ([{**GOOD, "text": ""}], "column 'text': empty value"),
    "malformed json": ([GOOD, '{"id": "b", "text": '], "row 2: malformed JSON line"),
    "wrong type": ([{**GOOD, "labels": 7}], "column 'labels': expected a list"),
    "duplicate ids": ([GOOD, GOOD], "row 2, column 'id': duplicate id 'a'"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_statements_file(cli, tmp_path, case):
    rows, message = CASES[case]
    path = _jsonl(tmp_path / "statements.jsonl", rows)
    result = cli("audit", "--statements", str(path), "--out", str(tmp_path / "run"), "-q")
    assert result.returncode == 2
    assert message in result.stderr
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreadable_file(cli, tmp_path):
    path = tmp_path / "statements.csv"
    path.write_bytes(b"id,text\n\xff\xfe\x00bad")
    result = cli("audit", "--statements", str(path), "--out", str(tmp_path / "run"), "-q")
    assert result.returncode == 2 and "not UTF-8" in result.stderr and "Traceback" not in result.stderr


def test_missing_file(cli, tmp_path):
    result = cli("audit", "--statements", str(tmp_path / "nope.csv"), "-q")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_unknown_model_spec(cli, tmp_path):
    result = cli("audit", "--model", "gpt-17", "--out", str(tmp_path / "run"), "-q")
    assert result.returncode == 2
    assert "unknown model spec 'gpt-17'" in result.stderr and "Traceback" not in result.stderr


def test_missing_gguf_file(cli, tmp_path):
    result = cli("audit", "--model", f"llamacpp:{tmp_path / 'none.gguf'}", "--out", str(tmp_path / "run"), "-q")
    assert result.returncode == 2 and "no GGUF file" in result.stderr


def test_report_of_a_directory_that_is_no_run(cli, tmp_path):
    result = cli("report", str(tmp_path))
    assert result.returncode == 2 and "not a pluralign run" in result.stderr


def test_help_teaches_with_examples(cli):
    result = cli("audit", "--help")
    assert result.returncode == 0
    assert "Examples" in result.stdout and "--fresh" in result.stdout
