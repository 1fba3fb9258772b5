"""Data cards: every source pluralign reads has one, a table read through a source carries its card, and the training
commands warn once when their data's card restricts training or commercial use."""

from __future__ import annotations

import json
from pathlib import Path

from pluralign.data import (card, card_of, comparisons_from, data_cards, read_cards, source_card, statements_from,
                            survey_from, to_trl_pairwise, training_warning)
from pluralign.data.sources import SOURCES
from tests.data.test_prism import _release

from ..conftest import invoke

RELEASES = Path(__file__).parent / "releases"
CIVICS = RELEASES / "civics_dataset_excerpt.json"
HH_RLHF = RELEASES / "hh-rlhf_harmless-base_test_excerpt.jsonl"
SOURCE_KINDS = {kind for kinds, _ in SOURCES.values() for kind in kinds} - {"none"}


def test_pluralign_datasets_lists_a_card_for_every_kind_of_source():
    result = invoke("datasets", "--json")
    assert result.returncode == 0, result.stderr
    listed = {entry["key"] for entry in json.loads(result.stdout)}
    assert SOURCE_KINDS | {"simulated", "valueprism"} <= listed
    assert listed == set(data_cards())


def test_one_card_in_full_holds_the_loaders_own_column_mapping():
    result = invoke("datasets", "civics", "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["columns"]["final_label"] == "labels" and shown["columns"]["statement"] == "text"
    assert shown["restricts_training"] and not shown["restricts_commercial"]


def test_an_unknown_card_is_one_line_naming_the_cards_there_are():
    result = invoke("datasets", "pew")
    assert result.returncode == 2 and "no data card 'pew'" in result.stderr and "civics" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_civics_release_carries_its_card_which_restricts_training():
    statements = statements_from(f"civics:{CIVICS}", limit=4)
    assert card_of(statements).name == "CIVICS"
    assert list(card_of(statements).restrictions) == ["training"]
    message = training_warning([card_of(statements)])
    assert "CIVICS" in message and "You agree not to use this dataset for training" in message


def test_a_civics_file_read_by_format_has_the_civics_card_and_a_plain_file_the_format_card(tmp_path):
    assert card_of(statements_from(CIVICS, fmt="civics")).key == "civics"
    plain = tmp_path / "mine.jsonl"
    plain.write_text(json.dumps({"id": "s1", "text": "Taxes are good.", "language": "en", "topic": "welfare"}) + "\n")
    assert card_of(statements_from(plain)).key == "file"


def test_hh_rlhf_read_as_trl_pairs_warns_of_nothing():
    comparisons, annotators = comparisons_from(f"trl:{HH_RLHF}")
    pairs = to_trl_pairwise(comparisons, annotators)
    assert card_of(pairs).key == "trl" and training_warning([card_of(pairs)]) is None


def test_prism_pairs_keep_their_card_and_its_commercial_restriction(tmp_path):
    comparisons, _ = comparisons_from(f"prism:{_release(tmp_path / 'prism')}")
    pairs = to_trl_pairwise(comparisons)
    assert card_of(pairs).key == "prism" and list(card_of(pairs).restrictions) == ["commercial"]
    assert "CC BY-NC 4.0" in training_warning([card_of(pairs), card_of(comparisons)])


def test_read_cards_gives_each_distinct_card_once_for_the_manifest():
    statements, survey = statements_from(f"civics:{CIVICS}"), survey_from("builtin")
    recorded = read_cards(statements, survey, statements, None)
    assert [entry["card"] for entry in recorded] == ["civics", "builtin"]
    assert recorded[0]["licence"] == card("civics").licence and recorded[1]["restrictions"] == {}


def test_a_source_card_needs_no_loading():
    assert source_card("prism:/nowhere/prism", "comparisons").key == "prism"
    assert source_card("builtin", "prompts").key == "builtin"


def test_align_warns_once_before_training_on_prism_and_not_on_hh_rlhf(tmp_path):
    """The warning comes before the run: a target the value poles do not have stops align right after it."""
    restricted = invoke("align", "--pairs", f"prism:{_release(tmp_path / 'prism')}", "--target", "type 0",
                        "--out", str(tmp_path / "a"), "-q")
    assert restricted.returncode == 2
    assert restricted.stderr.count("warning:") == 1 and "PRISM" in restricted.stderr
    unrestricted = invoke("align", "--pairs", f"trl:{HH_RLHF}", "--target", "type 0", "--out", str(tmp_path / "b"),
                          "-q")
    assert unrestricted.returncode == 2 and "warning:" not in unrestricted.stderr
