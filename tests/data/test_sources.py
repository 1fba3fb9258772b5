"""One string names a data source: each kind reads the table its loader reads, and anything else is refused with
the kinds that table accepts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pluralign.data import (DatasetError, builtin_prompts, builtin_situations, builtin_statements, builtin_survey,
                            comparisons_from, load_community_alignment, load_prism, parse_source, prompts_from,
                            situations_from, statements_from, survey_from, to_trl_pairwise, valueprism_from)
from tests.data.test_comparisons import _ca_rows
from tests.data.test_loaders import CIVICS_ORIGINAL, _civics_rows
from tests.data.test_opinionqa import _wave
from tests.data.test_prism import _release
from tests.values.valueprism_shape import SITUATIONS, labelled_rows, write_csv, write_release


def _civics(path):
    pd.DataFrame(_civics_rows(), columns=CIVICS_ORIGINAL).to_csv(path, index=False)
    return path


def test_builtin_names_each_built_in_suite():
    pd.testing.assert_frame_equal(statements_from("builtin"), builtin_statements())
    pd.testing.assert_frame_equal(survey_from("builtin"), builtin_survey())
    pd.testing.assert_frame_equal(situations_from("builtin"), builtin_situations())
    pd.testing.assert_frame_equal(prompts_from("builtin"), builtin_prompts())


def test_a_statement_limit_still_covers_every_language():
    suite = builtin_statements()
    sample = statements_from("builtin", limit=12)
    assert len(sample) == 12 and set(sample["language"]) == set(suite["language"])
    assert sample["id"].is_unique and set(sample["id"]) <= set(suite["id"])


def test_civics_by_prefix_or_by_format(tmp_path):
    path = _civics(tmp_path / "civics.csv")
    by_prefix = statements_from(f"civics:{path}")
    assert by_prefix["id"].tolist() == ["c1", "c2"] and by_prefix["language"].tolist() == ["de", "en"]
    pd.testing.assert_frame_equal(statements_from(path, fmt="civics"), by_prefix)


def test_a_plain_statement_file_with_a_column_mapping(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"uid": "s1", "sentence": "Taxes are good.", "language": "en", "topic": "welfare"}) + "\n")
    table = statements_from(path, columns={"id": "uid", "text": "sentence"})
    assert table[["id", "text"]].to_dict("records") == [{"id": "s1", "text": "Taxes are good."}]


def test_an_unknown_statement_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown statement format 'csv'; choose from generic, civics"):
        statements_from(_civics(tmp_path / "civics.csv"), fmt="csv")


def test_no_survey():
    assert survey_from("none") is None and survey_from(None) is None


def test_surveys_by_prefix_or_by_format(tmp_path):
    wave = _wave(tmp_path / "American_Trends_Panel_W26")
    by_prefix = survey_from(f"opinionqa:{wave}")
    assert set(by_prefix["question_id"]) == {"TRUST_W26", "GUNS_W26"}
    pd.testing.assert_frame_equal(survey_from(wave, fmt="opinionqa"), by_prefix)
    goqa = tmp_path / "goqa.csv"
    pd.DataFrame([{"question": "Is X good?", "options": "['Yes', 'No']", "source": "GAS",
                   "selections": "defaultdict(<class 'list'>, {'Brazil': [0.6, 0.4]})"}]).to_csv(goqa, index=False)
    assert survey_from(f"global-opinions:{goqa}")["distribution"].tolist() == [[0.6, 0.4]]
    long = tmp_path / "s.jsonl"
    long.write_text(json.dumps({"question_id": "q", "question": "?", "options": ["a", "b"], "ordinal": False,
                                "group": "g", "distribution": [0.25, 0.75]}) + "\n")
    assert survey_from(long)["distribution"].tolist() == [[0.25, 0.75]]
    assert survey_from(f"long:{long}")["question_id"].tolist() == ["q"]
    with pytest.raises(ValueError, match="unknown --survey-format 'wide'; choose from long, global-opinions, opinionqa"):
        survey_from(long, fmt="wide")


def test_situations_from_a_file_take_a_default_language_and_a_limit(tmp_path):
    path = write_csv(tmp_path / "mine.csv", [{"uid": "a", "action": "Lying"}, {"uid": "b", "action": "Stealing"}],
                     ["uid", "action"])
    table = situations_from(path, columns={"id": "uid", "text": "action"}, language="de", limit=1)
    assert table[["id", "text", "language"]].to_dict("records") == [{"id": "a", "text": "Lying", "language": "de"}]
    assert len(situations_from("builtin", limit=5)) == 5


def test_prompts_from_a_file(tmp_path):
    path = tmp_path / "mine.csv"
    pd.DataFrame({"qid": ["q1", "q2"], "question": ["Is tradition worth keeping?", "Why?"]}).to_csv(path, index=False)
    table = prompts_from(path, columns={"id": "qid", "text": "question"}, limit=1)
    assert table[["id", "text", "language"]].to_dict("records") == [
        {"id": "q1", "text": "Is tradition worth keeping?", "language": "en"}]


def test_each_kind_of_comparison_data(tmp_path):
    ca = tmp_path / "ca.parquet"
    pd.DataFrame(_ca_rows()).to_parquet(ca)
    comparisons, annotators = comparisons_from(f"ca:{ca}")
    pd.testing.assert_frame_equal(comparisons, load_community_alignment(ca)[0])
    assert comparisons["chosen"].tolist() == [2, 0, 1] and set(annotators["annotator_id"]) == {"ann1", "ann2"}

    trl = tmp_path / "trl.jsonl"
    to_trl_pairwise(comparisons, annotators).to_json(trl, orient="records", lines=True, force_ascii=False)
    pairs, groups = comparisons_from(f"trl:{trl}")
    assert len(pairs) == 9 and (pairs["chosen"] == 0).all() and set(groups["country"]) == {"France", "Brazil"}
    # our own export read back: its comparison ids and languages are the comparisons', not people's columns
    assert set(pairs["language"]) == set(comparisons["language"]) and not {"comparison_id", "language"} & set(groups)

    long = tmp_path / "choices.jsonl"
    long.write_text(json.dumps({"annotator_id": "a", "context": "Q?", "candidates": ["x", "y"], "chosen": 1}) + "\n")
    people = write_csv(tmp_path / "people.csv", [{"annotator_id": "a", "age": "30"}], ["annotator_id", "age"])
    choices, people_table = comparisons_from(f"comparisons:{long}", people)
    assert choices["candidates"].tolist() == [["x", "y"]] and people_table["age"].astype(str).tolist() == ["30"]

    folder = _release(tmp_path / "prism")
    prism, survey = comparisons_from(f"prism:{folder}")
    pd.testing.assert_frame_equal(prism, load_prism(folder)[0])
    assert len(prism) == 4 * 2 * 2 and len(survey) == 4


def test_valueprism_folders_give_their_split_and_files_all_rows(tmp_path):
    root = write_release(tmp_path / "ValuePrism", test_situations=3)
    test = valueprism_from([root], "test")
    assert set(test["situation"]) == {s for s, _ in SITUATIONS[-3:]}
    file = write_csv(tmp_path / "relevance.csv", labelled_rows(), ["situation", "vrd", "text", "label"])
    both = valueprism_from([root, file], "test")
    assert len(both) == len(test) + len(labelled_rows())


@pytest.mark.parametrize("read, source, accepted", [
    (statements_from, "csv:mine.csv", "a statement source is builtin, civics:FILE or a FILE, got 'csv:mine.csv'"),
    (survey_from, "pew:wave", "a survey is builtin, none, opinionqa:DIR, global-opinions:FILE, long:FILE or a FILE"),
    (situations_from, "valueprism:x.csv", "a situation source is builtin or a FILE"),
    (prompts_from, "hf:prompts", "a prompt source is builtin or a FILE"),
    (comparisons_from, "simulated", "comparison data is ca:FILE, prism:FILE|DIR, comparisons:FILE, trl:FILE or collect:DB, "
                                    "got 'simulated'"),
    (comparisons_from, "helpsteer:x.jsonl", "comparison data is ca:FILE"),
])
def test_an_unknown_source_names_what_is_accepted(read, source, accepted):
    with pytest.raises(ValueError) as caught:
        read(source)
    assert accepted in str(caught.value)


def test_a_file_whose_name_looks_like_a_prefix_is_still_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _civics(tmp_path / "data:civics.csv")
    assert parse_source("data:civics.csv", "statements").kind == "file"
    assert statements_from("data:civics.csv", fmt="civics")["id"].tolist() == ["c1", "c2"]


def test_a_missing_file_is_a_dataset_error(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        prompts_from(tmp_path / "nope.csv")
    with pytest.raises(DatasetError, match="no such file"):
        comparisons_from(f"ca:{tmp_path / 'nope.parquet'}")
