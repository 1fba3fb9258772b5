"""OpinionQA's survey-wave folders (info.csv, metadata.csv, responses.csv): written small in the real shape, and the
release's own info.csv and metadata.csv (verbatim excerpts in tests/data/releases; sources in tests/data/README.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pluralign.data import DatasetError, load_opinionqa

from ..conftest import invoke

HUMAN_RESP = Path(__file__).parent / "releases" / "opinionqa_human_resp_excerpt"
DISAGREEMENT = HUMAN_RESP / "Pew_American_Trends_Panel_disagreement_500"  # info.csv: 14 of 498 rows, one per wave
# The release's responses.csv is Pew's respondent data (not public: Pew asks for registration), so the answers below
# are written after the columns OpinionQA's code reads: an answer column per info.csv key holding the option's text
# (blank where the question was not asked), a column per metadata.csv key, and the weights. W26 has two weights
# (Pew's readme for W26: WEIGHT_W26 for the wave, WEIGHT_W25W26 for its respondents to W25 too); OpinionQA reads W26's.
RESPONSES_W26 = pd.DataFrame({
    "SAFECRIME_W26": ["Very safe", "Somewhat safe", "Not at all safe", "Refused", "Very safe", "Not too safe"],
    "WORLDDANGER_W26": ["We live in a safer world", "We live in a more dangerous world",
                        "We live in a more dangerous world", "The world we live in is neither safer nor more dangerous",
                        "We live in a more dangerous world", "Refused"],
    "WORRYA_W26": ["Worry a lot", "Worry a little", "Do not worry at all", "Worry a little", "Refused", "Worry a lot"],
    "IMPREASONGUN_W26": ["For protection", "", "", "For hunting", "Refused", ""],  # asked of gun owners only
    "GUNSAFE_W26": ["Safer than you would feel without a gun in your household", "", "",
                    "Safer than you would feel without a gun in your household", "No more or less safe", ""],
    "SEX": ["Male", "Female", "Female", "Male", "Male", "Female"],
    "POLIDEOLOGY": ["Liberal", "Very conservative", "Refused", "Moderate", "Conservative", "Liberal"],
    "WEIGHT_W26": [1.0, 2.0, 0.5, 1.5, 1.0, 3.0],
    "WEIGHT_W25W26": [1.2, None, 0.4, None, 0.9, 2.5],
})


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
    with pytest.raises(DatasetError, match=r"responses.csv, column 'WEIGHT_W26': no survey weight for wave 26"):
        load_opinionqa(_wave(tmp_path / "American_Trends_Panel_W26", responses=no_weight))
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


def test_audit_cli_reads_an_opinionqa_wave_or_says_why_not(tmp_path):
    result = invoke("audit", "--survey", str(tmp_path / "missing"), "--survey-format", "opinionqa", "--limit", "1",
                    "--out", str(tmp_path / "run"))
    assert result.returncode == 2 and "missing: no such folder" in result.stderr and "Traceback" not in result.stderr


def _release_wave(tmp_path, name: str, responses: pd.DataFrame) -> Path:
    """The release's folder ``name`` (verbatim info.csv and metadata.csv) with ``responses`` as its responses.csv."""
    folder = shutil.copytree(HUMAN_RESP / name, tmp_path / "human_resp" / name)
    responses.to_csv(folder / "responses.csv")  # with the unnamed index column the release's CSVs have
    return folder


def test_release_wave_counts_questions_and_groups_weighted_by_its_own_wave(tmp_path):
    folder = _release_wave(tmp_path, "American_Trends_Panel_W26", RESPONSES_W26)
    survey = load_opinionqa(folder, attributes=["SEX", "POLIDEOLOGY"])
    # 5 questions of info.csv in, 5 out; 6 respondents. Per question: Overall, each sex and each of metadata's
    # ideologies that gave a substantive answer (POLIDEOLOGY "Refused" is no group): 6 + 7 + 6 + 4 + 5 rows
    assert survey["question_id"].unique().tolist() == ["SAFECRIME_W26", "WORLDDANGER_W26", "WORRYA_W26",
                                                       "IMPREASONGUN_W26", "GUNSAFE_W26"]
    assert survey.groupby("question_id", sort=False).size().tolist() == [6, 7, 6, 4, 5]
    rows = survey.set_index(["question_id", "group"])
    # WEIGHT_W26: very safe 1 + 1, somewhat 2, not too 3, not at all 0.5 (Refused left out)
    safecrime = rows.loc[("SAFECRIME_W26", "Overall"), "distribution"]
    assert safecrime == pytest.approx([2 / 7.5, 2 / 7.5, 3 / 7.5, 0.5 / 7.5])
    assert rows.loc[("GUNSAFE_W26", "POLIDEOLOGY: Moderate"), "distribution"] == pytest.approx([1, 0, 0])
    assert (survey["source"] == "American_Trends_Panel_W26").all()


def test_release_wave_keeps_the_release_option_order_and_positions(tmp_path):
    survey = load_opinionqa(_release_wave(tmp_path, "American_Trends_Panel_W26", RESPONSES_W26), attributes=["SEX"])
    questions = survey.drop_duplicates("question_id").set_index("question_id")
    assert questions.loc["SAFECRIME_W26", "options"] == ["Very safe", "Somewhat safe", "Not too safe",
                                                         "Not at all safe"]
    assert questions.loc["SAFECRIME_W26", "question"] == ("How safe, if at all, would you say your local community "
                                                          "is from crime? Would you say it is")
    gunsafe = questions.loc["GUNSAFE_W26"]
    assert gunsafe["options"][2] == "No more or less safe" and gunsafe["positions"] == [1.0, 2.0, 1.5]
    assert gunsafe["ordinal"] and gunsafe["distribution"] == pytest.approx([2.5 / 3.5, 0, 1 / 3.5])
    reasons = questions.loc["IMPREASONGUN_W26"]  # option_ordinal [1, 1, 1, 1, 1]: unordered
    assert len(reasons["options"]) == 5 and reasons["positions"] == [1.0] * 5 and not reasons["ordinal"]
    assert reasons["distribution"] == pytest.approx([0.4, 0.6, 0, 0, 0])


def test_release_key_with_several_wordings_gives_each_its_own_question(tmp_path):
    responses = pd.DataFrame({
        "RACESURV1a_W43": ["In a better situation than I expected", "Refused"],
        "RACESURV18a_W43": ["Very well", "Not sure"],
        "IDIMPORT_W43": ["Extremely important", "Not at all important"],
        "SEX": ["Male", "Female"], "WEIGHT_W43": [1.0, 3.0],
    })
    survey = load_opinionqa(_release_wave(tmp_path, "American_Trends_Panel_W43", responses), attributes=["SEX"])
    questions = survey[survey["group"] == "Overall"].set_index("question_id")
    assert questions.index.tolist() == ["RACESURV1a_W43", "RACESURV18a_W43", "IDIMPORT_W43", "IDIMPORT_W43#2",
                                        "IDIMPORT_W43#3", "IDIMPORT_W43#4", "IDIMPORT_W43#5"]
    assert questions.loc["IDIMPORT_W43#3", "question"] == ("How important is being Hispanic to how you think about "
                                                           "yourself?")
    assert questions["distribution"].iloc[2:].map(tuple).nunique() == 1  # one column of answers for five wordings
    assert questions.loc["IDIMPORT_W43", "distribution"] == pytest.approx([0.25, 0, 0, 0, 0.75])
    # "Not sure" and "Refused" follow the option_ordinal places: left out, as OpinionQA does
    assert questions.loc["RACESURV18a_W43", "options"] == ["Very well", "Pretty well", "Not too well",
                                                           "Not at all well"]


def test_release_disagreement_folder_says_what_it_is_and_what_to_pass():
    with pytest.raises(DatasetError, match=(
            r"Pew_American_Trends_Panel_disagreement_500/responses.csv: no such file: "
            r"Pew_American_Trends_Panel_disagreement_500 is not a survey wave but a selection of questions from 14 "
            r"waves .*; pass a wave folder instead, such as \S*/opinionqa_human_resp_excerpt/American_Trends_Panel_W26$")):
        load_opinionqa(DISAGREEMENT)


def test_release_folder_of_waves_names_them():
    with pytest.raises(DatasetError, match=(
            r"opinionqa_human_resp_excerpt: holds OpinionQA survey waves \(American_Trends_Panel_W26, "
            r"American_Trends_Panel_W43\), not one wave; pass one of them, such as \S*/American_Trends_Panel_W26$")):
        load_opinionqa(HUMAN_RESP)


@pytest.mark.parametrize("name, weights, message", [
    ("American_Trends_Panel_W26", {"WEIGHT_W25W26": [1.0] * 6},
     r"responses.csv, column 'WEIGHT_W26': no survey weight for wave 26 \(the folder's name\); its weight columns: "
     r"WEIGHT_W25W26"),
    ("wave", {"WEIGHT_W26": [1.0] * 6, "WEIGHT_W27": [1.0] * 6},
     r"responses.csv, column 'WEIGHT_W\*': cannot tell the wave: .* 2 columns are named WEIGHT_W<number> "
     r"\(WEIGHT_W26, WEIGHT_W27\); rename the folder"),
    ("American_Trends_Panel_W26", {"WEIGHT_W26": [1.0, 2.0, "n/a", 1.0, 1.0, 1.0]},
     r"responses.csv, row 3, column 'WEIGHT_W26': a survey weight must be a non-negative number, got 'n/a'"),
])
def test_wave_weight_follows_the_folder_name_or_says_why_not(tmp_path, name, weights, message):
    folder = shutil.copytree(HUMAN_RESP / "American_Trends_Panel_W26", tmp_path / name)
    RESPONSES_W26.drop(columns=["WEIGHT_W26", "WEIGHT_W25W26"]).assign(**weights).to_csv(folder / "responses.csv")
    with pytest.raises(DatasetError, match=message):
        load_opinionqa(folder, attributes=["SEX"])


def test_renamed_wave_folder_reads_its_one_wave_weight(tmp_path):
    folder = _release_wave(tmp_path, "American_Trends_Panel_W26", RESPONSES_W26)
    renamed = load_opinionqa(folder.rename(tmp_path / "w26"), attributes=["SEX"]).drop(columns="source")
    folder = _release_wave(tmp_path / "again", "American_Trends_Panel_W26", RESPONSES_W26)
    pd.testing.assert_frame_equal(renamed, load_opinionqa(folder, attributes=["SEX"]).drop(columns="source"))


def test_audit_cli_refuses_the_disagreement_folder_in_one_line(tmp_path):
    result = invoke("audit", "--survey", str(DISAGREEMENT), "--survey-format", "opinionqa", "--limit", "1",
                    "--out", str(tmp_path / "run"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "is not a survey wave but a selection of questions from 14 waves" in result.stderr
