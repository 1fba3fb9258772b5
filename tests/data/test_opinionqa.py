"""OpinionQA's survey-wave folders (info.csv, metadata.csv, responses.csv), written small in the real shape."""

from __future__ import annotations

import pandas as pd
import pytest

from pluralign.data import DatasetError, load_opinionqa


def _wave(folder, responses=None, info=None):
    folder.mkdir(exist_ok=True)
    (info if info is not None else pd.DataFrame({
        "key": ["TRUST_W26", "GUNS_W26"],
        "question": ["How much do you trust scientists?", "Should gun laws be stricter?"],
        "references": ["['A great deal', 'Some', 'Not at all', 'Refused']", "['Yes', 'No', 'Refused']"],
        "option_ordinal": ["[1.0, 2.0, 3.0]", "[1.0, 2.0]"],
        "option_mapping": ["{}", "{}"],
    })).to_csv(folder / "info.csv", index=False)
    pd.DataFrame({"key": ["SEX", "POLIDEOLOGY"], "options": ["['Male', 'Female']", "['Liberal', 'Conservative']"]}).to_csv(
        folder / "metadata.csv", index=False)
    (responses if responses is not None else pd.DataFrame({
        "TRUST_W26": ["A great deal", "Some", "Not at all", "Refused", "A great deal", ""],
        "GUNS_W26": ["Yes", "No", "Yes", "Yes", "Refused", "No"],
        "SEX": ["Male", "Male", "Female", "Female", "Female", "Male"],
        "POLIDEOLOGY": ["Liberal", "Conservative", "Liberal", "Conservative", "Liberal", "Refused"],
        "WEIGHT_W26": [1.0, 3.0, 2.0, 5.0, 2.0, 1.0],
    })).to_csv(folder / "responses.csv", index=False)
    return folder


def test_weighted_group_distributions_without_refusals(tmp_path):
    survey = load_opinionqa(_wave(tmp_path / "American_Trends_Panel_W26")).set_index(["question_id", "group"])
    trust = survey.loc[("TRUST_W26", "Overall")]
    assert trust.options == ["A great deal", "Some", "Not at all"] and trust.ordinal
    # weights of the substantive answers: great deal 1 + 2, some 3, not at all 2 (refused and blank left out)
    assert trust.distribution == pytest.approx([3 / 8, 3 / 8, 2 / 8])
    assert survey.loc[("TRUST_W26", "SEX: Female"), "distribution"] == pytest.approx([2 / 4, 0, 2 / 4])
    assert survey.loc[("GUNS_W26", "POLIDEOLOGY: Conservative"), "distribution"] == pytest.approx([5 / 8, 3 / 8])
    assert "POLIDEOLOGY: Refused" not in survey.index.get_level_values("group")  # only metadata's groups
    assert survey.loc[("GUNS_W26", "Overall"), "source"] == "American_Trends_Panel_W26"


def test_chosen_attributes_only(tmp_path):
    survey = load_opinionqa(_wave(tmp_path / "w"), attributes=["SEX"])
    assert set(survey["group"]) == {"Overall", "SEX: Male", "SEX: Female"}


def test_bad_waves_name_file_row_and_column(tmp_path):
    bad_info = pd.DataFrame({"key": ["TRUST_W26"], "question": ["?"], "references": ["A great deal, Some"],
                             "option_ordinal": ["[1.0]"]})
    with pytest.raises(DatasetError, match=r"info.csv, row 1, column 'references': expected a list"):
        load_opinionqa(_wave(tmp_path / "a", info=bad_info))
    no_weight = pd.DataFrame({"TRUST_W26": ["Some"], "GUNS_W26": ["Yes"], "SEX": ["Male"], "POLIDEOLOGY": ["Liberal"]})
    with pytest.raises(DatasetError, match=r"responses.csv, column 'WEIGHT_W\*': expected one survey weight column"):
        load_opinionqa(_wave(tmp_path / "b", responses=no_weight))
    with pytest.raises(DatasetError, match="demographic 'AGE' is not in metadata.csv"):
        load_opinionqa(_wave(tmp_path / "c"), attributes=["AGE"])


def _positions_wave(folder, option_ordinal):
    """A wave whose two questions have the given option_ordinal cells (GUNSAFE's shape, and an unordered one)."""
    info = pd.DataFrame({
        "key": ["GUNSAFE_W26", "IMPREASON_W26"],
        "question": ["Does having a gun in your household make you feel",
                     "What is the most important reason you own a gun?"],
        "references": ["['Safer', 'Less safe', 'No more or less safe', 'Refused']",
                       "['For protection', 'For hunting', 'For sport', 'Refused']"],
        "option_ordinal": option_ordinal,
    })
    responses = pd.DataFrame({
        "GUNSAFE_W26": ["Safer", "Less safe", "No more or less safe", "Refused"],
        "IMPREASON_W26": ["For protection", "For hunting", "For sport", "For hunting"],
        "SEX": ["Male", "Female", "Female", "Male"], "POLIDEOLOGY": ["Liberal", "Conservative", "Liberal", "Liberal"],
        "WEIGHT_W26": [1.0, 2.0, 1.0, 1.0],
    })
    return _wave(folder, responses=responses, info=info)


def test_option_ordinal_gives_each_option_its_position_and_equal_positions_are_nominal(tmp_path):
    survey = load_opinionqa(_positions_wave(tmp_path / "w", ["[1.0, 2.0, 1.5]", "[1, 1, 1]"]))
    by_question = survey.drop_duplicates("question_id").set_index("question_id")
    assert by_question.loc["GUNSAFE_W26", "positions"] == [1.0, 2.0, 1.5] and by_question.loc["GUNSAFE_W26", "ordinal"]
    assert by_question.loc["IMPREASON_W26", "positions"] == [1.0, 1.0, 1.0]
    assert not by_question.loc["IMPREASON_W26", "ordinal"]


@pytest.mark.parametrize("option_ordinal, problem", [
    ("[1.0, 'x', 3.0]", "positions must be numbers"),
    ("[1.0, 2.0, 3.0, 4.0, 5.0]", "5 positions for 4 options"),  # more positions than references
])
def test_bad_option_ordinal_names_file_row_and_column(tmp_path, option_ordinal, problem):
    with pytest.raises(DatasetError, match=rf"info.csv, row 1, column 'option_ordinal': {problem}"):
        load_opinionqa(_positions_wave(tmp_path / "w", [option_ordinal, "[1, 1, 1]"]))


def test_audit_cli_reads_an_opinionqa_wave_or_says_why_not(cli, tmp_path):
    result = cli("audit", "--survey", str(tmp_path / "missing"), "--survey-format", "opinionqa", "--limit", "1",
                 "--out", str(tmp_path / "run"))
    assert result.returncode == 2 and "missing: no such folder" in result.stderr and "Traceback" not in result.stderr
