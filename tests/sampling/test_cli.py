"""`pluralign sample` and `compare-samplers` as a user runs them, and their one-line errors."""

import json

import pandas as pd
import pytest

from tests.values.test_values_cli import _one_line_error


@pytest.mark.parametrize("args,fragments", [
    (["--sampler", "magic"], ["unknown sampler(s) magic"]),
    (["--sampler", "multi-model"], ["needs further models"]),
    (["--k", "1"], ["k must be at least 2"]),
    (["--model", "gpt:4"], ["unknown model spec 'gpt:4'"]),
])
def test_bad_arguments(cli, tmp_path, args, fragments):
    _one_line_error(cli("sample", "--suite", "builtin", "--out", str(tmp_path / "r"), *args), *fragments)


def test_malformed_prompt_file(cli, tmp_path):
    bad = tmp_path / "prompts.jsonl"
    bad.write_text(json.dumps({"id": "a", "text": "Hi", "context": [{"role": "robot", "content": "x"}]}) + "\n")
    _one_line_error(cli("sample", "--prompts", str(bad), "--out", str(tmp_path / "r")), str(bad), "row 1, column 'context'")


def test_sample_from_the_command_line(cli, tmp_path):
    prompts = tmp_path / "mine.csv"
    pd.DataFrame({"qid": ["q1"], "question": ["Is tradition worth keeping?"]}).to_csv(prompts, index=False)
    result = cli("sample", "--prompts", str(prompts), "--map", "id=qid", "--map", "text=question", "--sampler",
                 "independent", "--k", "2", "--max-tokens", "16", "--out", str(tmp_path / "sets"), "-q")
    assert result.returncode == 0, result.stderr
    assert "1 sets, 2 responses" in result.stdout and (tmp_path / "sets" / "tasks.csv").is_file()
