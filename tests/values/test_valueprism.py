"""The ValuePrism loader, on small files written in each config's shape."""

import pytest

from pluralign.data import DatasetError, load_valueprism

from .valueprism_shape import labelled_rows, write_csv, write_release


def test_release_folder_every_config_and_split(tmp_path):
    root = write_release(tmp_path / "ValuePrism")
    every = load_valueprism(root)
    assert set(every["config"]) == {"full", "relevance", "valence"}
    assert set(every["split"].dropna()) == {"train", "test"}
    train = load_valueprism(root, split="train")
    assert set(train["split"]) == {"train"} and set(train["config"]) == {"relevance", "valence"}
    relevance = train[train["config"] == "relevance"]
    assert relevance["relevant"].map(type).eq(bool).all() and relevance["relevant"].any() and not relevance["relevant"].all()
    assert set(train.loc[train["config"] == "valence", "valence"]) == {"supports", "opposes", "either"}
    full = load_valueprism(root, config="full")
    assert full["explanation"].str.endswith("bears on this.").all() and full["relevant"].isna().all()
    assert set(full["kind"]) == {"Value", "Right", "Duty"}


def test_single_files_of_the_other_configs(tmp_path):
    rows = [r for r in labelled_rows() if r["valence"]][:4]
    explanation = write_csv(tmp_path / "explanation" / "explanation_val.csv",
                            [{**r, "explanation": "Because."} for r in rows], ["situation", "vrd", "text", "explanation"])
    table = load_valueprism(explanation)
    assert table["config"].eq("explanation").all() and table["split"].eq("val").all()
    assert table["explanation"].eq("Because.").all() and table["valence"].isna().all()
    generative = load_valueprism(write_csv(tmp_path / "generative_train.csv", rows, ["situation", "vrd", "text"]))
    assert generative["config"].eq("generative").all() and len(generative) == 4
    tasks = [{**rows[0], "task": "relevance", "label": "No"}, {**rows[1], "task": "valence", "label": "Either"},
             {**rows[2], "task": "explanation", "label": "It matters."}, {**rows[3], "task": "generative", "label": ""}]
    mixture = load_valueprism(write_csv(tmp_path / "mixture" / "mixture_test.csv", tasks, ["task", "situation", "vrd", "text", "label"]))
    assert mixture["relevant"].tolist()[0] is False and mixture["valence"].tolist()[1] == "either"
    assert mixture["explanation"].tolist()[2] == "It matters." and mixture.iloc[3][["relevant", "valence", "explanation"]].isna().all()


def test_errors_name_file_row_and_column(tmp_path):
    rows = [r for r in labelled_rows() if r["valence"]][:3]
    bad_label = write_csv(tmp_path / "valence" / "valence_train.csv",
                          [{**rows[0], "label": "Supports"}, {**rows[1], "label": "Maybe"}], ["situation", "vrd", "text", "label"])
    with pytest.raises(DatasetError, match=r"valence_train.csv, row 2, column 'label': unknown label 'Maybe'"):
        load_valueprism(bad_label)
    bad_kind = write_csv(tmp_path / "full.csv", [{**rows[0], "vrd": "Virtue"}], ["situation", "vrd", "text", "valence"])
    with pytest.raises(DatasetError, match=r"row 1, column 'vrd': unknown label 'Virtue'"):
        load_valueprism(bad_kind)
    no_text = write_csv(tmp_path / "other.csv", rows, ["situation", "vrd"])
    with pytest.raises(DatasetError, match=r"column 'text': not a ValuePrism file: no 'text' column \(has: situation, vrd\)"):
        load_valueprism(no_text)
    empty = write_csv(tmp_path / "relevance" / "relevance_test.csv", [{**rows[0], "situation": " "}], ["situation", "vrd", "text", "label"])
    with pytest.raises(DatasetError, match=r"row 1, column 'situation': empty value"):
        load_valueprism(empty)
    with pytest.raises(DatasetError, match="no ValuePrism CSV files"):
        load_valueprism(tmp_path / "relevance", split="val")
