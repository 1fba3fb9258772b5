"""Loaders on verbatim excerpts of the public releases (tests/data/releases; sources in tests/data/README.md)."""

from __future__ import annotations

import gzip
import json
import warnings
from pathlib import Path

import pytest

from pluralign.data import (DatasetError, comparisons_from, left_out, load_civics, load_trl_pairwise, statements_from,
                            warn_left_out)
from pluralign.data.schema import left_out_notes

RELEASES = Path(__file__).parent / "releases"
CIVICS = RELEASES / "civics_dataset_excerpt.json"
HH_RLHF = RELEASES / "hh-rlhf_harmless-base_test_excerpt.jsonl"  # rows 1, 2, 3, 87, 517, 926, 1104, 1255, 1953
EMPTY = {"an empty chosen or rejected reply": 4}


def test_civics_release_keeps_every_statement():
    table = load_civics(CIVICS)
    assert len(json.loads(CIVICS.read_text(encoding="utf-8"))) == 12
    assert len(table) == 12 and left_out(table) == {}
    assert table["id"].tolist() == ["1", "2", "3", "10", "256", "491", "130", "317", "37", "60", "84", "106"]


def test_civics_release_splits_language_and_country_from_one_cell():
    table = load_civics(CIVICS).set_index("id")
    # English (Australia), (Canada), (Singapore), (UK); French (Canada), (France); German, Italian, Turkish
    assert table.loc[["1", "256", "491", "130", "317", "37", "60", "84", "106"], "language"].tolist() == \
        ["en", "en", "en", "en", "fr", "fr", "de", "it", "tr"]
    assert table.loc[["1", "256", "491", "130", "317", "37", "60", "84", "106"], "country"].tolist() == \
        ["AU", "CA", "SG", "GB", "CA", "FR", "DE", "IT", "TR"]


def test_civics_release_keeps_organization_type_and_source_apart():
    row = load_civics(CIVICS).set_index("id").loc["106"]
    assert row["source"] == "political party"
    assert row["publisher"] == "election manifesto of the current government 2023"
    assert row["producer"].startswith("Adalet ve Kalkınma Partisi")


def test_civics_release_reads_final_labels_and_each_annotator():
    table = load_civics(CIVICS).set_index("id")
    assert table.loc["10", "labels"] == ["accessibility", "support", "equality"]
    assert table.loc["1", "labels"] == ["support"]
    assert [table.loc["1", f"annotator_{k}"] for k in range(1, 6)] == [["support"], ["support"], [], [], ["support"]]
    assert (table["labels"].map(len) > 0).all()


def test_civics_release_translations_and_english_fallback():
    table = load_civics(CIVICS).set_index("id")
    assert table.loc["60", "text_en"].startswith("We have set ourselves the goal of making")
    assert table.loc["1", "text_en"] == table.loc["1", "text"]  # English: the release leaves the translation empty


def test_civics_release_through_its_source_string_with_a_limit():
    table = statements_from(f"civics:{CIVICS}", limit=8)
    assert len(table) == 8 and table["country"].notna().all() and (table["labels"].map(len) > 0).all()


@pytest.mark.parametrize("cell, problem", [("English (Atlantis)", "unknown country 'Atlantis'"),
                                           ("English (UK", "expected a language")])
def test_civics_language_cell_with_an_unknown_country_names_row_and_column(tmp_path, cell, problem):
    rows = json.loads(CIVICS.read_text(encoding="utf-8"))[:2]
    rows[1]["Language"] = cell
    path = tmp_path / "civics.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(DatasetError, match=rf"civics.json, row 2, column 'Language': {problem}"):
        load_civics(path)


def test_hh_rlhf_release_leaves_out_the_pairs_with_an_empty_reply_and_counts_them():
    comparisons, annotators = load_trl_pairwise(HH_RLHF)
    assert len(HH_RLHF.read_text(encoding="utf-8").splitlines()) == 9
    assert len(comparisons) == 5 and left_out(comparisons) == EMPTY  # rows 87, 517, 926, 1104: a reply of " "
    assert comparisons["_row"].tolist() == [1, 2, 3, 8, 9]
    assert annotators["annotator_id"].tolist() == ["anonymous"]


def test_hh_rlhf_release_splits_the_shared_conversation_from_the_two_replies():
    first = load_trl_pairwise(HH_RLHF)[0].iloc[0]
    assert [m["role"] for m in first["context"]] == ["user", "assistant", "user", "assistant", "user"]
    assert first["context"][0]["content"] == "what are some pranks with a pen i can do?"
    assert first["context"][-1]["content"] == "okay some of these do not have anything to do with pens"
    assert first["candidates"][0].startswith("No, sorry!  All of these involve a pen")
    assert first["candidates"][1].startswith("There are lots of funny things you can do with pens")
    assert first["chosen"] == 0


def test_hh_rlhf_reply_that_holds_more_turns_keeps_them():
    row = load_trl_pairwise(HH_RLHF)[0].set_index("_row").loc[8]  # release row 1255
    assert row["context"][-1]["content"] == "Isn't that drag kings?"
    assert row["candidates"][0].startswith("No. Men who impersonate stereotypical women are called drag kings.  Human:")
    assert row["candidates"][1].startswith("A drag king is the opposite of a drag queen")


def test_hh_rlhf_as_released_gzip_compressed_through_its_source_string(tmp_path):
    path = tmp_path / "test.jsonl.gz"
    path.write_bytes(gzip.compress(HH_RLHF.read_bytes()))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the counts go with the table; the caller says them (learn in its run)
        comparisons, _ = comparisons_from(f"trl:{path}")
    assert len(comparisons) == 5 and left_out(comparisons) == EMPTY
    with pytest.warns(UserWarning, match=r"test.jsonl.gz: 4 left out \(an empty chosen or rejected reply\), 5 kept"):
        warn_left_out(comparisons, f"trl:{path}")


def test_a_commands_warning_and_a_runs_note_word_the_rows_left_out_alike():
    """A command that reads the data warns (``warn_left_out``); a run's summary notes the counts its manifest kept
    (``left_out_notes``, as learn and humans-vs-models do): one wording, the warning adding what was kept."""
    source = f"trl:{HH_RLHF}"
    comparisons, _ = comparisons_from(source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_left_out(comparisons, source)
    noted = left_out_notes(source, json.loads(json.dumps(left_out(comparisons))))  # through a manifest's JSON
    assert noted == [f"{source}: 4 left out (an empty chosen or rejected reply)"]
    assert [str(w.message) for w in caught] == [f"{line}, 5 kept" for line in noted]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


def test_trl_conversational_implicit_prompt_splits_at_the_last_message(tmp_path):
    question = {"role": "user", "content": "What color is the sky?"}
    path = _write_jsonl(tmp_path / "pairs.jsonl", [
        {"chosen": [question, {"role": "assistant", "content": "It is blue."}],
         "rejected": [question, {"role": "assistant", "content": "It is green."}]},
        {"chosen": [question, {"role": "assistant", "content": ""}],
         "rejected": [question, {"role": "assistant", "content": "It is green."}]}])
    comparisons, _ = load_trl_pairwise(path)
    assert comparisons["context"].tolist() == [[question]]
    assert comparisons["candidates"].tolist() == [["It is blue.", "It is green."]]
    assert left_out(comparisons) == {"an empty chosen or rejected reply": 1}


def test_trl_standard_implicit_prompt_splits_after_the_last_shared_word(tmp_path):
    path = _write_jsonl(tmp_path / "pairs.jsonl", [{"chosen": "The sky is blue.", "rejected": "The sky is green."},
                                                   {"chosen": "The cat sat.", "rejected": "The car sat."}])
    comparisons, _ = load_trl_pairwise(path)
    assert comparisons["context"].tolist() == [[{"role": "user", "content": "The sky is"}],
                                               [{"role": "user", "content": "The"}]]
    assert comparisons["candidates"].tolist() == [["blue.", "green."], ["cat sat.", "car sat."]]


def test_trl_explicit_prompt_with_an_empty_reply_is_left_out_not_refused(tmp_path):
    path = _write_jsonl(tmp_path / "pairs.jsonl", [{"prompt": "Hi?", "chosen": "Hello.", "rejected": "  "},
                                                   {"prompt": "Hi?", "chosen": "Hello.", "rejected": "Go away."}])
    comparisons, _ = load_trl_pairwise(path)
    assert comparisons["_row"].tolist() == [2] and left_out(comparisons) == {"an empty chosen or rejected reply": 1}


@pytest.mark.parametrize("rows, message", [
    ([{"chosen": "", "rejected": "No."}], r"pairs.jsonl: no pair to compare: all 1 have an empty chosen or rejected"),
    ([{"chosen": [{"role": "user", "content": "A?"}, {"role": "assistant", "content": "Yes."}],
       "rejected": [{"role": "user", "content": "B?"}, {"role": "assistant", "content": "No."}]}],
     r"pairs.jsonl, row 1, column 'chosen': chosen and rejected differ from message 1 on"),
    ([{"chosen": [{"role": "assistant", "content": "Yes."}], "rejected": "No."}],
     r"pairs.jsonl, row 1, column 'rejected': chosen and rejected must both be text or both be lists"),
    ([{"chosen": "\n\nHuman: A?\n\nAssistant: Yes.", "rejected": "\n\nHuman: B?\n\nAssistant: No."}],
     r"pairs.jsonl, row 1, column 'chosen': the conversations share no 'Assistant:' turn"),
])
def test_trl_implicit_pairs_that_cannot_be_split_name_row_and_column(tmp_path, rows, message):
    with pytest.raises(DatasetError, match=message):
        load_trl_pairwise(_write_jsonl(tmp_path / "pairs.jsonl", rows))
