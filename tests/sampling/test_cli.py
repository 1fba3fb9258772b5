"""`pluralign sample` and `compare-samplers` as a user runs them, and their one-line errors."""

import json

import pandas as pd
import pytest

from tests.values.test_values_cli import _one_line_error

from ..conftest import invoke


@pytest.mark.parametrize("args,fragments", [
    (["--sampler", "magic"], ["unknown sampler(s) magic"]),
    (["--sampler", "multi-model"], ["needs further models"]),
    (["--k", "1"], ["k must be at least 2"]),
    (["--model", "gpt:4"], ["unknown model spec 'gpt:4'"]),
    (["--nc-prompt", "poles"], ["unknown nc_prompt 'poles'", "values, axes"]),
])
def test_bad_arguments(tmp_path, args, fragments):
    _one_line_error(invoke("sample", "--suite", "builtin", "--out", str(tmp_path / "r"), *args), *fragments)


def test_malformed_prompt_file(tmp_path):
    bad = tmp_path / "prompts.jsonl"
    bad.write_text(json.dumps({"id": "a", "text": "Hi", "context": [{"role": "robot", "content": "x"}]}) + "\n")
    _one_line_error(invoke("sample", "--prompts", str(bad), "--out", str(tmp_path / "r")), str(bad),
                    "row 1, column 'context'")


def test_sample_from_the_command_line(tmp_path):
    prompts = tmp_path / "mine.csv"
    pd.DataFrame({"qid": ["q1"], "question": ["Is tradition worth keeping?"]}).to_csv(prompts, index=False)
    result = invoke("sample", "--prompts", str(prompts), "--map", "id=qid", "--map", "text=question", "--sampler",
                    "independent", "--k", "2", "--max-tokens", "16", "--out", str(tmp_path / "sets"), "-q")
    assert result.returncode == 0, result.stderr
    assert "1 sets, 2 responses" in result.stdout and (tmp_path / "sets" / "tasks.csv").is_file()


def test_people_and_models_from_community_alignment_data(tmp_path):
    from tests.data.test_comparisons import _ca_rows

    data = tmp_path / "ca.parquet"
    pd.DataFrame(_ca_rows()).to_parquet(data)
    result = invoke("humans-vs-models", "--data", f"ca:{data}", "--max-tokens", "24", "--out", str(tmp_path / "map"),
                    env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert "2 people against the models' default answers" in result.stdout and "embedded" in result.stdout
    people = pd.read_parquet(tmp_path / "map" / "people.parquet").set_index("annotator")
    assert people.loc["ann1", "n"] == 2 and people.loc["ann2", "n"] == 1
    defaults = pd.read_parquet(tmp_path / "map" / "defaults.parquet")
    assert len(defaults) == 3 and defaults[["traditional_secular", "survival_self_expression"]].abs().le(1).all().all()
    page = (tmp_path / "map" / "map.html").read_text()
    assert 'data-figure="humans-models"' in page and "<svg" in page and page.count("<tr>") == 2  # header, embedded
    _one_line_error(invoke("humans-vs-models", "--data", f"csv:{data}"), "comparison data is ca:FILE")
