"""The labelled stance set that measures the audit's stance judge: balanced over languages and labels, tied to English
statements of the suite, with the judge's own options as labels, and a bad label refused with its row named."""

from __future__ import annotations

import json

import pytest

from pluralign.audit.prompts import JUDGE_OPTIONS
from pluralign.data import DatasetError, builtin_stances, builtin_statements
from pluralign.data.builtin import _STANCE_COLUMNS, STANCE_LABELS, _load_labelled

LANGUAGES = ("en", "de", "fr", "it", "tr", "es", "pt")


@pytest.fixture(scope="module")
def stances():
    return builtin_stances()


def test_the_set_loads_with_its_columns(stances):
    assert list(stances.columns) == ["id", "language", "statement_id", "text", "label"]
    assert len(stances) == 112 and stances["text"].str.len().min() > 40


def test_sixteen_rows_per_language_four_per_label(stances):
    assert sorted(stances["language"].unique()) == sorted(LANGUAGES)
    counts = stances.groupby(["language", "label"]).size()
    assert len(counts) == len(LANGUAGES) * len(STANCE_LABELS) and (counts == 4).all(), counts


def test_every_statement_id_is_an_english_statement_of_the_suite(stances):
    statements = builtin_statements().set_index("id")
    assert stances["statement_id"].isin(statements.index).all()
    assert (statements.loc[stances["statement_id"], "language"] == "en").all()
    # Within a language each row answers a different statement.
    assert (stances.groupby("language")["statement_id"].nunique() == 16).all()


def test_ids_are_unique(stances):
    assert stances["id"].is_unique


def test_labels_are_the_judges_options(stances):
    assert STANCE_LABELS == JUDGE_OPTIONS
    assert set(stances["label"]) == set(JUDGE_OPTIONS)


def test_a_bad_label_is_refused_naming_its_row(tmp_path):
    path = tmp_path / "stances.jsonl"
    rows = [{"id": "st-en-01", "language": "en", "statement_id": "imm-01-en", "text": "I agree.", "label": "agree"},
            {"id": "st-en-02", "language": "en", "statement_id": "imm-02-en", "text": "Yes.", "label": "support"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(DatasetError, match=r"stances\.jsonl, row 2, column 'label': label must be one of agree, "
                                           r"disagree, neutral, refusal, got 'support'") as info:
        _load_labelled(path, _STANCE_COLUMNS, STANCE_LABELS)
    assert info.value.row == 2 and info.value.column == "label"
