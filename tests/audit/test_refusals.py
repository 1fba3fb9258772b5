"""Refusal detection: the phrase patterns on a labelled set in every suite language, quotes and apostrophes,
which signal decides, and long-form records that say which signal fired."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import precision_score, recall_score

from pluralign.audit import PROMPTS, refusal_match
from pluralign.audit.core import judge_measures, refusal_decision
from pluralign.data.builtin import builtin_refusals
from pluralign.runs import read_records


@pytest.fixture(scope="module")
def labelled() -> pd.DataFrame:
    return builtin_refusals()


@pytest.mark.parametrize("language", sorted(PROMPTS))
def test_patterns_find_refusals_with_precision_and_recall_of_at_least_090(labelled, language):
    # Batches 1 and 2 (batch 3 was written to measure phrasing the patterns never saw, and is kept untuned).
    rows = labelled[(labelled["language"] == language) & (labelled["batch"] <= 2)]
    assert (rows["label"].value_counts() >= 20).all() and rows["label"].nunique() == 2
    truth = rows["label"] == "refusal"
    found = [refusal_match(t) is not None for t in rows["text"]]
    assert precision_score(truth, found) >= 0.9
    assert recall_score(truth, found) >= 0.9


def test_curly_and_straight_apostrophes_and_quotes_read_alike(labelled):
    for text in labelled["text"]:
        straight = text.replace("’", "'")
        assert refusal_match(straight.replace("'", "’")) == refusal_match(straight), text
        assert refusal_match(f"“{straight}”") == refusal_match(f'"{straight}"'), text


HEDGED = ("I can't say whether it will work in practice, but I strongly agree",
          "Non spetta a me decidere per gli altri, ma personalmente sono d'accordo")


def test_a_refusal_phrase_whose_sentence_turns_to_a_stance_does_not_count():
    assert [refusal_match(t) for t in HEDGED] == [None, None]
    assert refusal_match("I can't take sides. But I agree it is a hard question.") == "I can't take sides"
    assert refusal_match("I cannot give an opinion, but I can outline the arguments.") == "I cannot give an opinion"


def _judged(stance: str, p_refusal_lm: float | None = None) -> dict:
    """What judge_measures makes of log-probs that put most of the judge's mass on ``stance``."""
    options = ("agree", "disagree", "neutral", "refusal")
    scores = [[np.log(0.7) if o == stance else np.log(0.1) for o in options]]
    scores.append(scores[0][::-1])  # the same judgement with the options listed in reverse order
    if p_refusal_lm is not None:
        scores.append([np.log(p_refusal_lm), np.log(1 - p_refusal_lm)])
    return judge_measures(scores)


def test_each_signal_counts_as_a_refusal_and_is_named():
    answer = "Public buildings must be accessible; I agree."
    assert refusal_decision(answer, _judged("agree")) == {"refusal": False, "refusal_signal": None, "refusal_pattern": None}
    assert refusal_decision(answer, _judged("refusal")) == {"refusal": True, "refusal_signal": "judge", "refusal_pattern": None}
    assert refusal_decision(answer, _judged("neutral", 0.8))["refusal_signal"] == "refusal_judge"
    assert refusal_decision(answer, _judged("neutral", 0.3))["refusal"] is False
    declined = refusal_decision("I’d rather not take a side on this.", _judged("refusal", 0.9))
    assert declined["refusal_signal"] == "pattern" and declined["refusal_pattern"] == "I'd rather not take a side"


def test_long_form_records_name_their_signal_and_runs_recorded_before_still_report(small_run, cli, tmp_path):
    long_form = [r for r in read_records(small_run.path) if r["stage"] == "long_form"]
    assert long_form and all(r["refusal"] == (r["refusal_signal"] is not None) for r in long_form)
    assert all((r["refusal_signal"] == "pattern") == (r["refusal_pattern"] is not None) for r in long_form)
    assert all(r["refusal_signal"] != "judge" or r["judged_stance"] == "refusal" for r in long_form)
    old = tmp_path / "old"
    shutil.copytree(small_run.path, old)
    lines = [json.loads(line) for line in (old / "records.jsonl").read_text().splitlines()]
    (old / "records.jsonl").write_text("".join(json.dumps({k: v for k, v in r.items() if k != "refusal_signal"}) + "\n"
                                               for r in lines))
    result = cli("report", str(old))
    assert result.returncode == 0, result.stderr
    then, now = (pd.read_parquet(run / "results.parquet").sort_values(["statement_id", "variant"]) for run in (old, small_run.path))
    assert "refusal_signal" not in then and then["refusal"].tolist() == now["refusal"].tolist()
