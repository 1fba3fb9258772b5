"""Comparison tables: Community Alignment's wide shape, the generic long shape, TRL export, and bad data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pluralign.data import DatasetError, load_community_alignment, load_comparisons, to_trl_pairwise


def _ca_rows():
    base = {"conversation_id": "conv1", "annotator_id": "ann1", "assigned_lang": "fr", "annotator_age": "18-34",
            "annotator_gender": "Woman", "annotator_country": "France", "annotator_political": "Left",
            "is_pregenerated_first_prompt": True, "in_balanced_subset": False, "in_balanced_subset_10": False}
    first = {f"first_turn_response_{x}": f"Réponse 1{x}" for x in "abcd"}
    second = {f"second_turn_response_{x}": f"Réponse 2{x}" for x in "abcd"}
    one = {**base, "first_turn_prompt": "Faut-il travailler le dimanche ?", **first, "first_turn_preferred_response": "response_c",
           "first_turn_feedback": "Plus nuancée", "second_turn_prompt": "Pourquoi ?", **second,
           "second_turn_preferred_response": "response_a", "second_turn_feedback": ""}
    two = {**base, "conversation_id": "conv2", "annotator_id": "ann2", "assigned_lang": "pt", "annotator_country": "Brazil",
           "first_turn_prompt": "O que é justiça?", **{f"first_turn_response_{x}": f"Resposta {x}" for x in "abcd"},
           "first_turn_preferred_response": "response_b", "second_turn_prompt": ""}
    return [one, two]


def test_community_alignment_wide_rows_become_one_comparison_per_turn(tmp_path):
    path = tmp_path / "ca.parquet"
    pd.DataFrame(_ca_rows()).to_parquet(path)
    comparisons, annotators = load_community_alignment(path)
    assert comparisons["comparison_id"].tolist() == ["conv1-1", "conv1-2", "conv2-1"]
    assert comparisons["chosen"].tolist() == [2, 0, 1]
    assert comparisons["language"].tolist() == ["fr", "fr", "pt"]
    # The second turn continues from the response chosen in the first.
    assert comparisons["context"].iloc[1] == [{"role": "user", "content": "Faut-il travailler le dimanche ?"},
                                              {"role": "assistant", "content": "Réponse 1c"},
                                              {"role": "user", "content": "Pourquoi ?"}]
    assert comparisons["feedback"].iloc[0] == "Plus nuancée" and pd.isna(comparisons["feedback"].iloc[1])
    assert annotators.set_index("annotator_id")["country"].to_dict() == {"ann1": "France", "ann2": "Brazil"}


def test_community_alignment_keeps_letters_when_a_response_is_empty(tmp_path):
    rows = _ca_rows()
    rows[0]["first_turn_response_b"] = ""  # preferred is still response_c
    path = tmp_path / "ca.parquet"
    pd.DataFrame(rows).to_parquet(path)
    comparisons, _ = load_community_alignment(path)
    first = comparisons.iloc[0]
    assert first["candidates"][first["chosen"]] == "Réponse 1c"
    assert first["candidates"] == ["Réponse 1a", "", "Réponse 1c", "Réponse 1d"]
    assert comparisons["context"].iloc[1][1]["content"] == "Réponse 1c"
    # The empty one is never offered, so it is never rejected either.
    rejected = [r[0]["content"] for r in to_trl_pairwise(comparisons)["rejected"]]
    assert rejected[:2] == ["Réponse 1a", "Réponse 1d"] and "" not in rejected


def test_community_alignment_refuses_a_preferred_response_that_is_empty(tmp_path):
    rows = _ca_rows()
    rows[1]["first_turn_response_b"] = None
    path = tmp_path / "ca.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(DatasetError, match=r"ca.csv, row 2, column 'first_turn_preferred_response': preferred response "
                                           r"'response_b' is not one of the non-empty response_a, response_c, response_d"):
        load_community_alignment(path)


def test_community_alignment_with_an_unknown_preferred_response(tmp_path):
    rows = _ca_rows()
    rows[1]["first_turn_preferred_response"] = "response_e"
    path = tmp_path / "ca.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(DatasetError, match=r"ca.csv, row 2, column 'first_turn_preferred_response': preferred response 'response_e'"):
        load_community_alignment(path)


def test_trl_export_pairs_the_chosen_with_each_other_candidate_and_keeps_groups(tmp_path):
    path = tmp_path / "ca.parquet"
    pd.DataFrame(_ca_rows()).to_parquet(path)
    comparisons, annotators = load_community_alignment(path)
    trl = to_trl_pairwise(comparisons, annotators)
    assert len(trl) == 3 * 3
    first = trl.iloc[0]
    assert first["chosen"] == [{"role": "assistant", "content": "Réponse 1c"}]
    assert first["rejected"] == [{"role": "assistant", "content": "Réponse 1a"}]
    assert first["prompt"][-1]["role"] == "user"
    assert set(trl["country"]) == {"France", "Brazil"} and "annotator_id" in trl


def _long(tmp_path, rows, annotators=None):
    path = tmp_path / "comparisons.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    ann = None
    if annotators is not None:
        ann = tmp_path / "annotators.csv"
        pd.DataFrame(annotators).to_csv(ann, index=False)
    return path, ann


GOOD = {"conversation_id": "c1", "annotator_id": "a1", "context": "Is it fair?", "candidates": ["Yes", "No"], "chosen": 1, "language": "en"}


@pytest.mark.parametrize("rows, annotators, message", [
    ([GOOD, {**GOOD, "chosen": 2}], None, r"row 2, column 'chosen': chosen index 2 is out of range for 2 candidates"),
    ([{**GOOD, "candidates": ["Only one"]}], None, r"row 1, column 'candidates': a comparison needs at least two candidates"),
    ([GOOD, {**GOOD, "annotator_id": "a9"}], [{"annotator_id": "a1", "country": "FR"}], r"row 2, column 'annotator_id': annotator 'a9' is not in the annotator table"),
    ([GOOD, {**GOOD, "language": "de"}], None, r"row 1, column 'language': conversation 'c1' mixes languages \(de, en\)"),
])
def test_bad_comparison_data_names_row_and_column(tmp_path, rows, annotators, message):
    path, ann = _long(tmp_path, rows, annotators)
    with pytest.raises(DatasetError, match=message):
        load_comparisons(path, ann)


def test_generic_long_table_reads_plain_and_chat_contexts(tmp_path):
    chat = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Why?"}]
    path, ann = _long(tmp_path, [GOOD, {**GOOD, "conversation_id": "c2", "context": chat, "candidates": ["a", "b", "c"], "chosen": 2}],
                      [{"annotator_id": "a1", "country": "FR"}])
    comparisons, annotators = load_comparisons(path, ann)
    assert comparisons["context"].iloc[0] == [{"role": "user", "content": "Is it fair?"}]
    assert comparisons["context"].iloc[1] == chat
    assert comparisons["chosen"].tolist() == [1, 2] and annotators["country"].tolist() == ["FR"]


def test_a_long_table_without_annotator_ids_is_one_anonymous_annotators(tmp_path):
    unnamed = {k: v for k, v in GOOD.items() if k != "annotator_id"}
    path, _ = _long(tmp_path, [unnamed, {**unnamed, "conversation_id": "c2"}])
    comparisons, annotators = load_comparisons(path)
    assert comparisons["annotator_id"].tolist() == ["anonymous", "anonymous"] and annotators is None
    _, people = _long(tmp_path, [unnamed], [{"annotator_id": "a1", "country": "FR"}])
    with pytest.raises(DatasetError, match=r"comparisons.jsonl, column 'annotator_id': missing required column"):
        load_comparisons(path, people)  # an annotator table needs to know whose each choice is


def test_trl_pairwise_files_load_with_their_extra_columns_as_annotator_metadata(tmp_path):
    from pluralign.data import load_trl_pairwise

    path = tmp_path / "trl.jsonl"
    rows = [{"prompt": "Is tax fair?", "chosen": "Mostly.", "rejected": "No.", "annotator_id": "p1", "country": "IT"},
            {"prompt": [{"role": "user", "content": "Why?"}],
             "chosen": [{"role": "user", "content": "Why?"}, {"role": "assistant", "content": "Because."}],
             "rejected": [{"role": "assistant", "content": "No idea."}], "annotator_id": "p2", "country": "BR"}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    comparisons, annotators = load_trl_pairwise(path)
    assert comparisons["candidates"].tolist() == [["Mostly.", "No."], ["Because.", "No idea."]]
    assert comparisons["context"].iloc[1] == [{"role": "user", "content": "Why?"}]
    assert annotators.set_index("annotator_id")["country"].to_dict() == {"p1": "IT", "p2": "BR"}
    # And back: exporting gives the same pairs.
    again = to_trl_pairwise(comparisons, annotators)
    assert [c[0]["content"] for c in again["chosen"]] == ["Mostly.", "Because."]


def test_export_back_to_the_community_alignment_shape_round_trips(tmp_path):
    from pluralign.data import to_community_alignment

    path = tmp_path / "ca.parquet"
    pd.DataFrame(_ca_rows()).to_parquet(path)
    comparisons, annotators = load_community_alignment(path)
    wide = to_community_alignment(comparisons, annotators)
    assert wide["second_turn_preferred_response"].iloc[0] == "response_a"
    assert wide["annotator_country"].tolist() == ["France", "Brazil"]
    again_path = tmp_path / "again.parquet"
    wide.to_parquet(again_path)
    again, again_annotators = load_community_alignment(again_path)
    cols = ["comparison_id", "annotator_id", "context", "candidates", "chosen", "language"]
    assert again[cols].to_dict("records") == comparisons[cols].to_dict("records")
    assert again_annotators["country"].tolist() == annotators["country"].tolist()


def test_a_ranking_with_tied_places_reads_from_csv_and_pairs_only_across_places(tmp_path):
    """A place of the ranking may list tied candidates (PRISM's equal scores): they are never paired with each other."""
    path = tmp_path / "ranked.csv"
    pd.DataFrame([{"annotator_id": "a", "context": "Which?", "candidates": json.dumps(["x", "y", "z"]), "chosen": 1,
                   "ranking": json.dumps([[1, 0], [2]])}]).to_csv(path, index=False)
    comparisons, _ = load_comparisons(path)
    assert comparisons["ranking"].iloc[0] == [[1, 0], [2]]
    pairs = to_trl_pairwise(comparisons)
    assert [(c[0]["content"], r[0]["content"]) for c, r in zip(pairs["chosen"], pairs["rejected"])] == [("y", "z"), ("x", "z")]
