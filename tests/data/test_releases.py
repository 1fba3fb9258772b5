"""Loaders on verbatim excerpts of the public releases (tests/data/releases; sources in tests/data/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pluralign.data import DatasetError, load_civics, statements_from
from pluralign.data.schema import left_out

RELEASES = Path(__file__).parent / "releases"
CIVICS = RELEASES / "civics_dataset_excerpt.json"


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
