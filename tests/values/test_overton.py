"""Overton coverage and balance, the labelled set that validates its scorer, and the relevance calibration."""

import numpy as np
import pandas as pd
import pytest

from pluralign.data import builtin_overton
from pluralign.metrics.checks import CHECKS
from pluralign.valuemaps.evaluate import calibrate_relevance, relevance_pairs
from pluralign.valuemaps.overton import coverage_requests, labelled_accuracy, overton_measures, p_covered
from pluralign.values.results import values_metrics, values_tables


def _entries(p_single, p_set):
    """A map of three entries (two supporting, one opposing) scored against one answer and a set of two."""
    map_ = [("Value", "A", "supports"), ("Value", "B", "supports"), ("Right", "C", "opposes")]
    rows = [{"situation_id": "s", "answer_set": "single", "answer_id": "1", "kind": k, "text": t, "valence": v,
             "relevance": 0.9, "p_covered": p} for (k, t, v), p in zip(map_, p_single)]
    rows += [{"situation_id": "s", "answer_set": "set", "answer_id": str(i), "kind": k, "text": t, "valence": v,
              "relevance": 0.9, "p_covered": p} for i, ps in enumerate(p_set) for (k, t, v), p in zip(map_, ps)]
    return pd.DataFrame(rows)


def test_a_set_covers_what_any_of_its_answers_covers():
    measures = overton_measures(_entries([0.9, 0.2, 0.1], [[0.1, 0.8, 0.3], [0.2, 0.1, 0.7]])).set_index("answer_set")
    assert measures.loc["single", "overton_coverage"] == pytest.approx(1 / 3)
    assert measures.loc["single", "overton_balance"] == 0  # one supporting entry, no opposing one
    assert measures.loc["set", "overton_coverage"] == pytest.approx(2 / 3)  # B and C, not A
    assert measures.loc["set", "overton_balance"] == 1
    assert measures.loc["set", "overton_coverage_soft"] == pytest.approx((0.2 + 0.8 + 0.7) / 3)


def test_balance_is_undefined_where_the_map_has_one_side():
    one_sided = _entries([0.9, 0.9, 0.9], []).assign(valence="supports")
    measures = overton_measures(one_sided)
    assert measures["overton_coverage"].item() == 1 and np.isnan(measures["overton_balance"].item())


def test_p_covered_renormalises_the_two_answer_words():
    assert p_covered([[np.log(0.3), np.log(0.1)]]) == pytest.approx([0.75])


def test_entries_of_one_answer_share_everything_before_the_entry():
    labelled = builtin_overton()
    one = labelled[labelled["answer_id"] == "diary-fr-a2"]
    requests = coverage_requests(one, chat=True)
    assert len(requests) == 3 and all(r.continuations == ("Oui", "Non") for r in requests)
    assert all(r.context[:-1] == requests[0].context[:-1] for r in requests)
    assert all(one["answer"].iloc[0] in r.context[-1]["content"] for r in requests)


def test_the_labelled_set_covers_every_language_with_0_to_3_entries_per_answer():
    labelled = builtin_overton()
    assert set(labelled["language"]) == {"en", "de", "fr", "it", "tr", "es", "pt"}
    covered = labelled.assign(c=labelled["label"] == "covered").groupby("answer_id")["c"].sum()
    assert sorted(covered.value_counts().index) == [0, 1, 2, 3]
    assert (covered.value_counts() == 14).all()  # 2 situations x 7 languages, one answer of each count
    for _, entries in labelled.groupby("situation_id"):
        assert {"supports", "opposes"} <= set(entries["valence"])


class _Simulated:
    """A relevance scorer of known quality: relevant entries score ``separation`` higher, plus seeded noise."""

    name = "simulated"

    def __init__(self, separation, seed=0):
        self.separation, self.rng = separation, np.random.default_rng(seed)

    def relevance_of(self, items):
        truth = items["relevant"].to_numpy(float)
        relevance = np.clip(0.3 + self.separation * truth + self.rng.normal(0, 0.05, len(items)), 0, 1)
        return relevance


def test_relevance_pairs_hold_each_situations_entries_and_its_neighbours():
    pairs = relevance_pairs(builtin_overton())
    assert len(pairs) == 84 and pairs["relevant"].sum() == 42
    lend = pairs[pairs["situation_id"] == "lend-en"]
    assert set(lend.loc[lend["relevant"], "text"]) == {"Family loyalty", "Financial security",
                                                       "Right to decide how to use one's own money"}
    assert "Right to privacy" in set(lend.loc[~lend["relevant"], "text"])


def test_calibration_finds_the_gap_of_a_separating_scorer_and_flags_one_at_chance():
    pairs = relevance_pairs(builtin_overton())
    good = calibrate_relevance(_Simulated(0.2), pairs)
    assert good["auc"] > 0.95 and 0.3 < good["threshold"] <= 0.5 + 0.15 and good["n"] == 84
    assert not CHECKS["relevance_near_chance"].fires(good["auc"])
    chance = [calibrate_relevance(_Simulated(0.0, seed), pairs)["auc"] for seed in range(20)]
    assert 0.4 < np.median(chance) < 0.6
    assert np.mean([CHECKS["relevance_near_chance"].fires(a) for a in chance]) > 0.5


def test_a_calibrated_run_writes_the_relevance_check():
    record = {"situation_id": "1", "situation": "x", "language": "en", "topic": "t", "n_candidates": 0, "n_kept": 0,
              "candidates": [], "overall": dict.fromkeys(("supports", "opposes", "either"), np.nan),
              "entropy": np.nan, "tensions": [], "relevance_threshold": 0.41, "relevance_auc": 0.52,
              "relevance_pairs": 84}
    metrics = values_metrics(values_tables([record]))
    row = metrics[metrics["metric"] == "relevance_near_chance"].iloc[0]
    assert row["value"] == 0.52 and row["n"] == 84 and row["group"] == "threshold 0.41"


def test_calibration_asks_the_lm_scorer_for_relevance_alone(hf_model):
    """6 score requests."""
    from pluralign.values import LMScorer

    pairs = relevance_pairs(builtin_overton()).head(2)
    scorer = LMScorer(hf_model)
    assert scorer.relevance_of(pairs) == pytest.approx(scorer.score(pairs)["relevance"].to_numpy(), abs=1e-4)


def test_the_embedded_model_scores_labelled_pairs(hf_model):
    """24 score requests (the English pairs)."""
    labelled = builtin_overton()
    scored = labelled_accuracy(hf_model, labelled[labelled["language"] == "en"], chat=True)
    assert len(scored) == 24 and scored["p_covered"].between(0, 1).all()
    assert (scored["correct"] == ((scored["p_covered"] >= 0.5) == (scored["label"] == "covered"))).all()


def test_overton_rows_score_every_answer_against_every_kept_entry(hf_model):
    """One greedy candidate list and about 10 coverage requests on the embedded model."""
    from pluralign.embed import SentenceEmbedder
    from pluralign.values import LMScorer, Thresholds, ValuesConfig
    from pluralign.valuemaps.overton import overton_rows

    config = ValuesConfig(samples=0, max_tokens=48, thresholds=Thresholds(relevance=dict.fromkeys(("Value", "Right",
                                                                                                 "Duty"), 0)))
    answers = pd.DataFrame({"situation_id": "s", "answer_set": ["single", "set", "set"], "answer_id": ["1", "1", "2"],
                            "answer": ["Tell the truth.", "Tell the truth gently.", "Keep quiet to spare them."]})
    rows = overton_rows(hf_model, [{"id": "s", "text": "Lying to a friend to protect their feelings", "language": "en"}],
                        answers, scorer=LMScorer(hf_model), embedder=SentenceEmbedder(), config=config)
    entries = rows[["kind", "text"]].drop_duplicates()
    assert len(entries) >= 1 and len(rows) == 3 * len(entries)
    assert rows["p_covered"].between(0, 1).all()
    measures = overton_measures(rows).set_index("answer_set")
    assert set(measures.index) == {"single", "set"} and (measures["entries"] == len(entries)).all()
    best = rows[rows["answer_set"] == "set"].groupby(["kind", "text"])["p_covered"].max()
    assert measures.loc["set", "overton_coverage_soft"] == pytest.approx(best.mean())
