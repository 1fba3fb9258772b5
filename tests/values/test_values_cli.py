"""`pluralign values`, `values-train`, `values-eval` and `values-overton` as a user runs them."""

import json

import pytest

from ..conftest import invoke
from .valueprism_shape import write_csv, write_release


def _one_line_error(result, *fragments):
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


# README's tour maps this situation with these settings (`pluralign values "Keeping a wallet you found" --samples 2`),
# so the lists below are the same requests: the run's answer cache computes them once, for whichever asks first.
TOUR = ("Keeping a wallet you found", "--samples", "2")


def test_one_situation_prints_its_value_map():
    result = invoke("values", *TOUR, "--relevance-threshold", "0", "--all", env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert TOUR[0] in result.stdout
    assert "relevance" in result.stdout and "supports" in result.stdout
    assert "overall: supports" in result.stdout and "entropy" in result.stdout


NO_MODEL = "llamacpp:/no/such/model.gguf"


@pytest.mark.parametrize("args,fragments", [
    (["   "], ["the situation is empty"]),
    # A wrong scorer is named before the model loads (this model would fail to load).
    (["Lying", "--model", NO_MODEL, "--scorer", "trained:/no/such/scorer.joblib"],
     ["no trained scorer at /no/such/scorer.joblib"]),
    (["Lying", "--model", NO_MODEL, "--scorer", "oracle"], ["unknown scorer 'oracle'"]),
    (["Lying", "--suite", "builtin"], ["not both"]),
    (["Lying", "--language", "elvish"], ["unknown language 'elvish'"]),
    (["Lying", "--cosine-threshold", "Virtue=0.5"], ["per kind"]),
    ([], ["give a SITUATION"]),
])
def test_bad_arguments(args, fragments):
    _one_line_error(invoke("values", *args), *fragments)


def test_malformed_situation_files(tmp_path):
    bad = tmp_path / "situations.jsonl"
    bad.write_text(json.dumps({"id": "a", "text": "Lying"}) + "\n" + '{"id": "b", "text": \n')
    _one_line_error(invoke("values", "--situations", str(bad), "--out", str(tmp_path / "r")), str(bad), "row 2: malformed JSON line")
    empty = tmp_path / "empty.csv"
    empty.write_text("id,text\na,Lying\nb,\n")
    _one_line_error(invoke("values", "--situations", str(empty), "--out", str(tmp_path / "r")), "row 2, column 'text': empty value")


def test_train_a_scorer_then_map_and_evaluate_with_it(tmp_path):
    root = write_release(tmp_path / "ValuePrism")
    scorer = tmp_path / "scorer.joblib"
    trained = invoke("values-train", "--data", str(root), "--test", str(root), "--out", str(scorer))
    assert trained.returncode == 0, trained.stderr
    assert scorer.is_file() and "relevance" in trained.stdout and "majority baseline" in trained.stdout
    _one_line_error(invoke("values-train", "--data", str(root), "--out", str(scorer)), "exists", "--force")
    situations = write_csv(tmp_path / "mine.csv", [{"uid": "x", "action": TOUR[0]}], ["uid", "action"])
    out = tmp_path / "run"
    mapped = invoke("values", "--situations", str(situations), "--map", "id=uid", "--map", "text=action", "--scorer",
                    f"trained:{scorer}", *TOUR[1:], "--out", str(out), "-q")
    assert mapped.returncode == 0, mapped.stderr
    assert json.loads((out / "manifest.json").read_text())["config"]["scorer"] == f"trained:{scorer}"
    (out / "report.html").unlink()
    rebuilt = invoke("report", str(out))
    assert rebuilt.returncode == 0 and (out / "report.html").is_file()
    evaluated = invoke("values-eval", "--data", str(root), "--scorer", f"trained:{scorer}", "--coverage", "1",
                       "--samples", "1", env={"COLUMNS": "200"})
    assert evaluated.returncode == 0, evaluated.stderr
    assert "valence" in evaluated.stdout and "macro-F1" in evaluated.stdout
    # Each test situation has three relevant items and three labelled not relevant: only the three are gold.
    assert "of 3 gold items" in evaluated.stdout and "precision" in evaluated.stdout
    bad = write_csv(tmp_path / "valence_test.csv", [{"situation": "s", "vrd": "Value", "text": "t", "label": "Perhaps"}],
                    ["situation", "vrd", "text", "label"])
    _one_line_error(invoke("values-eval", "--data", str(bad), "--scorer", f"trained:{scorer}"), "row 1, column 'label'")


@pytest.mark.parametrize("content,fragments", [
    ("text\nno answer column\n", ["answers.csv", "answer"]),
    ("answer,answer_set\n,single\n", ["answers.csv", "row", "answer"]),
])
def test_overton_answers_file_errors_name_file_row_and_column(tmp_path, content, fragments):
    path = tmp_path / "answers.csv"
    path.write_text(content, encoding="utf-8")
    _one_line_error(invoke("values-overton", "Lying to a friend", "--answers", str(path)), *fragments)


def test_overton_rejects_an_unknown_language():
    _one_line_error(invoke("values-overton", "Lying", "--language", "elvish"), "unknown language 'elvish'")
