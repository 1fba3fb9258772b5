"""Loaders read each real shape and name file, row and column on bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pluralign.data import (DatasetError, builtin_statements, builtin_survey, load_civics, load_global_opinions,
                            load_statements, load_survey)

CIVICS_ORIGINAL = ["ID", "Topic", "Language", "Country", "Statement", "Statement - translated", "Data Source",
                   "Data Producer Organization", "Organization Type", "Link", "Consensus Annotation", "Annotations"]


def test_builtin_suite_is_large_multilingual_balanced_and_translated():
    s = builtin_statements()
    assert len(s) >= 150
    assert s["language"].nunique() >= 6 and {"en", "de", "fr", "it", "tr"} <= set(s["language"])
    assert s["topic"].nunique() >= 6
    counts = s.groupby(["topic", "position"]).size().unstack()
    assert (counts["progressive"] == counts["conservative"]).all()
    assert s["text_en"].notna().all() and (s["text"].str.len() > 20).all()
    assert s["id"].is_unique


def test_builtin_survey_distributions_sum_to_one():
    survey = builtin_survey()
    assert survey["question_id"].nunique() >= 6
    assert all(abs(sum(d) - 1) < 1e-9 and len(d) == len(o) for d, o in zip(survey["distribution"], survey["options"]))


def _civics_rows():
    return [["c1", "Immigration", "German", "Germany", "Zuwanderung bereichert uns.", "Immigration enriches us.",
             "web", "Ministry", "government", "http://x", "['Equity', 'Welfare']", "a"],
            ["c2", "LGBTQI rights", "English", "Canada", "Marriage is for all.", "", "web", "NGO", "civil society",
             "http://y", "Equality, Dignity", "b"]]


def test_civics_original_columns_as_csv(tmp_path):
    path = tmp_path / "civics.csv"
    pd.DataFrame(_civics_rows(), columns=CIVICS_ORIGINAL).to_csv(path, index=False)
    s = load_civics(path)
    assert s["language"].tolist() == ["de", "en"]
    assert s["topic"].tolist() == ["immigration", "lgbtqi_rights"]
    assert s["labels"].tolist() == [["Equity", "Welfare"], ["Equality", "Dignity"]]
    assert s["text_en"].tolist() == ["Immigration enriches us.", "Marriage is for all."]
    assert s["source"].tolist() == ["government", "civil society"]


def test_civics_cleaned_columns_as_parquet(tmp_path):
    cleaned = [c.lower().replace(" - ", "_").replace(" ", "_") for c in CIVICS_ORIGINAL]
    path = tmp_path / "civics.parquet"
    pd.DataFrame(_civics_rows(), columns=cleaned).to_parquet(path)
    assert load_civics(path)["id"].tolist() == ["c1", "c2"]


def test_generic_loader_with_a_column_mapping(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"uid": "a", "sentence": "Taxes are good.", "lang": "en", "theme": "welfare"},
        {"uid": "b", "sentence": "Steuern sind gut.", "lang": "German", "theme": "welfare"}]))
    s = load_statements(path, columns={"id": "uid", "text": "sentence", "language": "lang", "topic": "theme"})
    assert s["language"].tolist() == ["en", "de"]


@pytest.mark.parametrize("content, match", [
    ('{"id": "a", "text": "x", "language": "en", "topic": "t"}\n{"id": "b", "text": ', r"row 2.*malformed JSON"),
    ('{"id": "a", "text": "x", "language": "xx", "topic": "t"}', r"row 1, column 'language': unknown language code"),
    ('{"id": "a", "text": "  ", "language": "en", "topic": "t"}', r"row 1, column 'text': empty value"),
    ('{"id": "a", "text": 5, "language": "en", "topic": "t"}', r"row 1, column 'text': expected text, got int"),
    ('{"id": "a", "text": "x", "language": "en", "topic": "t"}\n{"id": "a", "text": "y", "language": "en", "topic": "t"}',
     r"row 2, column 'id': duplicate id"),
    ('{"id": "a", "language": "en", "topic": "t"}', r"column 'text': missing required column"),
])
def test_bad_statement_files_name_the_row_and_column(tmp_path, content, match):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(DatasetError, match=match) as info:
        load_statements(path)
    assert str(path) in str(info.value)


def test_a_header_that_names_a_column_twice_is_refused(tmp_path):
    path = tmp_path / "twice.csv"  # pandas would read the second as 'text.1' and the first alone would count
    path.write_text("id,text,language,topic,text\na,Taxes are good.,en,welfare,Taxes are bad.\n")
    with pytest.raises(DatasetError, match=r"twice.csv, column 'text': the header names this column twice "
                                           r"\(columns 2, 5\)"):
        load_statements(path)


def test_survey_with_wrong_number_of_shares_is_refused(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"question_id": "q", "question": "?", "options": ["a", "b"], "ordinal": False,
                                "group": "g", "distribution": [1.0]}))
    with pytest.raises(DatasetError, match="row 1, column 'distribution': 1 shares for 2 options"):
        load_survey(path)


def test_long_survey_positions_default_to_one_to_n(tmp_path):
    path = tmp_path / "s.csv"
    pd.DataFrame([{"question_id": "plain", "question": "?", "options": "low|mid|high", "ordinal": True, "group": "g",
                   "distribution": "0.2|0.3|0.5"},
                  {"question_id": "placed", "question": "?", "options": "safer|less safe|same", "ordinal": True,
                   "group": "g", "distribution": "0.2|0.3|0.5", "positions": "1|3|2"},
                  {"question_id": "flat", "question": "?", "options": "a|b|c", "ordinal": True, "group": "g",
                   "distribution": "0.2|0.3|0.5", "positions": "2|2|2"}]).to_csv(path, index=False)
    survey = load_survey(path).set_index("question_id")
    assert survey.loc["plain", "positions"] == [1.0, 2.0, 3.0] and survey.loc["plain", "ordinal"]
    assert survey.loc["placed", "positions"] == [1.0, 3.0, 2.0] and survey.loc["placed", "ordinal"]
    assert not survey.loc["flat", "ordinal"]  # equal positions: no distance between the options


@pytest.mark.parametrize("positions, problem", [([1, 2], "2 positions for 3 options"),
                                                (["low", "mid", "high"], "positions must be numbers")])
def test_survey_with_bad_positions_is_refused(tmp_path, positions, problem):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"question_id": "q", "question": "?", "options": ["a", "b", "c"], "ordinal": True,
                                "group": "g", "distribution": [0.2, 0.3, 0.5], "positions": positions}))
    with pytest.raises(DatasetError, match=rf"s.jsonl, row 1, column 'positions': {problem}"):
        load_survey(path)


def test_global_opinions_shape(tmp_path):
    path = tmp_path / "goqa.csv"
    pd.DataFrame([{"question": "Is X good?", "options": "['Yes', 'No']", "source": "GAS",
                   "selections": "defaultdict(<class 'list'>, {'Brazil': [0.6, 0.4], 'France': [0.3, 0.7]})"}]).to_csv(path, index=False)
    survey = load_global_opinions(path)
    assert survey["group"].tolist() == ["Brazil", "France"]
    assert survey["distribution"].tolist() == [[0.6, 0.4], [0.3, 0.7]]
