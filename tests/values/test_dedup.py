"""Relevance threshold and near-duplicate removal, with the real embedded MiniLM; ROUGE-L against the library."""

import numpy as np
import pandas as pd
import pytest
from rouge_score import rouge_scorer

from pluralign.embed import SentenceEmbedder
from pluralign.values import Thresholds, deduplicate, rouge_l


@pytest.fixture(scope="module")
def embedder():
    return SentenceEmbedder(cache=None)


@pytest.mark.parametrize("candidate,kept", [("Loyalty to friends", "Loyalty to one's friends"),
                                            ("Respect for the elderly", "Respect for property"),
                                            ("Protecting the children", "Protection of children"), ("Honesty", "Kindness")])
def test_rouge_l_is_the_libraries_precision_in_english(candidate, kept):
    expected = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True).score(kept, candidate)["rougeL"].precision
    assert rouge_l(candidate, kept, "en") == pytest.approx(expected)


def test_rouge_l_is_the_share_of_the_candidates_words_the_kept_one_holds():
    assert rouge_l("Public safety", "Public safety at night") == pytest.approx(1.0)  # all of it is in the kept one
    assert rouge_l("Public safety at night", "Public safety") == pytest.approx(0.5)  # it adds two words


def test_rouge_l_keeps_words_whole_in_other_languages():
    # Longest common subsequence of [würde, des, menschen] and [würde, der, menschen] is 2 of 3 words each way.
    assert rouge_l("Würde des Menschen", "Würde der Menschen", "de") == pytest.approx(2 / 3)
    # The library's default tokenizer drops non-ASCII letters, so it would see "w rde" and score differently.
    default = rouge_scorer.RougeScorer(["rougeL"]).score("Würde des Menschen", "Würde der Menschen")["rougeL"].fmeasure
    assert default != pytest.approx(2 / 3)
    assert rouge_l("Değerlere saygı", "Değerlere saygı", "tr") == pytest.approx(1.0)


def _candidates(rows):
    return pd.DataFrame(rows, columns=["kind", "text", "relevance"])


def test_planted_paraphrases_go_and_distinct_values_stay(embedder):
    table = _candidates([
        ("Right", "Right to privacy", 0.9), ("Right", "Right to personal privacy", 0.8),
        ("Value", "Loyalty to friends", 0.85), ("Value", "Loyalty to one's friends", 0.7),
        ("Duty", "Duty to help others", 0.75), ("Duty", "Duty to assist others", 0.95),
        ("Value", "Honesty", 0.8), ("Value", "Kindness", 0.8), ("Right", "Right to free speech", 0.7),
        ("Duty", "Duty to obey the law", 0.6), ("Value", "Privacy", 0.9),
    ])
    reasons = deduplicate(table, embedder.embed(table["text"].tolist()), "en", Thresholds())
    dropped = dict(zip(table["text"], reasons))
    assert dropped["Right to personal privacy"].startswith(("rouge:", "cosine:"))
    assert dropped["Right to personal privacy"].endswith("Right to privacy")
    assert dropped["Loyalty to one's friends"] == "cosine:Loyalty to friends"  # it adds a word, so ROUGE keeps it
    assert dropped["Duty to help others"] == "cosine:Duty to assist others"  # the more relevant twin stays
    for text in ("Right to privacy", "Loyalty to friends", "Duty to assist others", "Honesty", "Kindness",
                 "Right to free speech", "Duty to obey the law", "Privacy"):  # a value is not a right's duplicate
        assert dropped[text] is None, text


def test_a_candidate_wholly_inside_a_kept_one_goes_and_a_more_specific_one_stays(embedder):
    table = _candidates([
        ("Duty", "Duty to protect children from harm", 0.9), ("Duty", "Duty to protect children", 0.6),
        ("Value", "Freedom", 0.95), ("Value", "Freedom of speech", 0.7),
    ])
    reasons = dict(zip(table["text"], deduplicate(table, embedder.embed(table["text"].tolist()), "en", Thresholds())))
    # Every word of it is in a kept, more relevant twin (precision 1, F-measure 0.67).
    assert reasons["Duty to protect children"] == "rouge:Duty to protect children from harm"
    # A third of its words are in "Freedom": it says more, and stays.
    assert reasons["Freedom of speech"] is None and reasons["Freedom"] is None


def test_one_word_is_not_a_duplicate_of_every_text_that_uses_it():
    # "life" is all of "Right to life" once its frame is stripped, and it is in "a dignified end of life".
    assert rouge_l("life", "a dignified end of life") == pytest.approx(1 / 3)  # F-measure, not precision 1
    assert rouge_l("protect children", "protect children from harm") == pytest.approx(1.0)


def test_relevance_threshold_per_kind(embedder):
    table = _candidates([("Value", "Honesty", 0.45), ("Duty", "Duty to care", 0.45), ("Right", "Right to life", 0.2)])
    reasons = deduplicate(table, embedder.embed(table["text"].tolist()), "en", Thresholds(relevance={"Value": 0.4}))
    assert reasons.tolist() == [None, "relevance", "relevance"]


def test_thresholds_are_checked():
    assert Thresholds(cosine={"Value": 0.9}).cosine == {"Value": 0.9, "Right": 0.75, "Duty": 0.75}
    with pytest.raises(ValueError, match="per kind"):
        Thresholds(rouge={"Virtue": 0.5})
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Thresholds(relevance={"Value": 1.5})


def test_nothing_to_deduplicate(embedder):
    empty = _candidates([])
    assert deduplicate(empty, np.zeros((0, 384), np.float32), "en", Thresholds()).empty


def test_gold_coverage_counts_gold_items_matched_by_a_generated_one(embedder):
    from pluralign.valuemaps.evaluate import gold_coverage

    gold = pd.DataFrame({"situation": ["s1", "s1", "s1", "s2"],
                         "text": ["Right to privacy", "Duty to help others", "Honesty", "Public safety"]})
    made = pd.DataFrame({"situation": ["s1", "s1", "s3"],
                         "text": ["Right to personal privacy", "Duty to assist others", "Public safety"]})
    result = gold_coverage(made, gold, embedder).set_index("situation")
    assert result.loc["s1", ["gold", "generated", "matched"]].tolist() == [3, 2, 2]
    assert result.loc["s1", "coverage"] == pytest.approx(2 / 3)
    assert result.loc["s2", "coverage"] == 0  # nothing generated for it
    assert gold_coverage(made, gold, embedder, threshold=0.99).loc[0, "matched"] == 0


def test_gold_coverage_counts_only_relevant_gold_and_reports_precision(embedder):
    from pluralign.valuemaps.evaluate import gold_coverage

    # ValuePrism's relevance config pairs a situation with unrelated candidates labelled not relevant: not gold.
    gold = pd.DataFrame({"situation": ["s1"] * 4, "text": ["Right to privacy", "Duty to help others", "Honesty", "Public safety"],
                         "relevant": [True, None, True, False]})
    made = pd.DataFrame({"situation": ["s1"] * 4, "text": ["Right to personal privacy", "Duty to assist others",
                                                           "Public safety", "Love of music"]})
    row = gold_coverage(made, gold, embedder).iloc[0]
    assert row[["gold", "generated", "matched", "matched_generated"]].tolist() == [3, 4, 2, 2]
    assert row["coverage"] == pytest.approx(2 / 3)  # privacy and helping found, honesty missed
    assert row["precision"] == pytest.approx(2 / 4)  # "Public safety" matches only a not-relevant row
    assert np.isnan(gold_coverage(made.iloc[:0], gold, embedder).loc[0, "precision"])


def test_gold_items_read_nullable_relevance_labels():
    from pluralign.valuemaps.evaluate import gold_items

    labelled = pd.DataFrame({"situation": ["s", "s", "s"], "text": ["Honesty", "Greed", "Care"],
                             "relevant": pd.array([True, False, None], dtype="boolean")})
    assert gold_items(labelled)["text"].tolist() == ["Honesty", "Care"]
