"""Degeneracy checks of the audit: the embedded model's numbers are flagged as carrying no information, and a model
built to answer by content raises no flag."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from pluralign.audit import AuditConfig, run_audit
from pluralign.audit.checks import validated_judges
from pluralign.audit.core import judge_measures
from pluralign.audit.prompts import PROMPTS, judge_prompt
from pluralign.audit.results import GROUPINGS, audit_metrics
from pluralign.data import builtin_stances, builtin_statements
from pluralign.metrics import check_results, fired, read_metrics

# how the judge's options describe each stance: "It agrees with ...", "It disagrees ...", "It is neutral ...", "It refuses ..."
# Every check an audit computes (with a survey), each once per model: not the value judge's, relevance's or Overton's
AUDIT_CHECKS = {"judge_one_option", "judge_order_consistency", "judge_near_chance", "low_answer_mass", "stance_no_spread",
                "small_groups", "opinion_one_letter", "opinion_near_uniform"}
_DESCRIBED_BY = {"agrees": "agree", "disagrees": "disagree", "is": "neutral", "refuses": "refusal"}


class ContentModel:
    """A scorer and writer built for this test to answer by content: it agrees with progressive statements and
    disagrees with conservative ones in every language, puts 95 % of its probability on the answer words, and as a
    judge chooses the option that describes what an answer says, wherever that option is listed."""

    fingerprint = "test-content-model"

    def __init__(self, statements: pd.DataFrame) -> None:
        side = ["agree" if p == "progressive" else "disagree" for p in statements["position"]]
        self.side = {**dict(zip(statements["text"], side)), **dict(zip(statements["text_en"].dropna(), side))}
        labelled = builtin_stances()
        self.known = dict(zip(labelled["text"], labelled["label"]))
        self.negated = {f.question for p in PROMPTS.values() for f in p.framings if f.negated}

    def _statement(self, prompt: str) -> str:
        return next(text for text in self.side if f'"{text}"' in prompt)

    def score(self, requests):
        out = []
        for r in requests:
            prompt = r.context
            if "Which best describes the response?" in prompt:
                answer = re.search(r'Response: "(.*)"\nWhich', prompt, re.S).group(1)
                stance = self.known.get(answer) or ("agree" if answer.startswith("I agree") else "disagree")
                listed = re.findall(r"^([A-D])\. (.*)$", prompt, re.M)
                out.append([math.log(0.97 if _DESCRIBED_BY[text.split()[1]] == stance else 0.01) for _, text in listed])
            else:
                says_yes = (self.side[self._statement(prompt)] == "agree") != (prompt.rstrip().splitlines()[-1] in self.negated)
                p_yes = 0.9 if says_yes else 0.1
                out.append([math.log(0.95 * p_yes), math.log(0.95 * (1 - p_yes))])
        return out

    def generate(self, requests):
        return [[f"I {self.side[self._statement(r.prompt)]} with this statement, for reasons of principle."]
                for r in requests]


@pytest.fixture(scope="module")
def content_run(tmp_path_factory):
    statements = builtin_statements()
    config = AuditConfig(models=["hf:test/content"], stages=["stance", "long_form", "judge_check"], chat=False)
    return run_audit(config, tmp_path_factory.mktemp("runs") / "content", progress=False, use_cache=False,
                     models={"hf:test/content": ContentModel(statements)}).path


def test_the_embedded_model_raises_the_judge_and_answer_mass_checks(small_run):
    results = check_results(read_metrics(small_run.path))
    raised = set(results.loc[results["fires"], "check"])
    assert {"judge_one_option", "judge_near_chance", "low_answer_mass"} <= raised
    # every audit check was computed, each once per model, with its evidence in words
    assert set(results["check"]) == AUDIT_CHECKS
    mass = results.set_index("check").loc["low_answer_mass"]
    assert "de" in mass["group"] and f"{mass['value']:.1%}" in mass["evidence"]


def test_checks_agree_with_the_run_tables(small_run):
    """Each check's value is what its definition says, recomputed here from the run's own tables."""
    items = pd.read_parquet(small_run.path / "results.parquet")
    results = check_results(read_metrics(small_run.path)).set_index("check")
    judged = items["judged_stance"].value_counts(normalize=True)
    assert results.loc["judge_one_option", "value"] == pytest.approx(judged.iloc[0])
    assert results.loc["judge_one_option", "group"] == judged.index[0]
    same = (items["judged_stance"] == items["judged_stance_reversed"]).mean()
    assert results.loc["judge_order_consistency", "value"] == pytest.approx(same)
    assert results.loc["low_answer_mass", "value"] == pytest.approx((items["answer_mass"] < 0.5).mean())
    assert results.loc["stance_no_spread", "value"] == pytest.approx(((items["p_agree"] - 0.5).abs() <= 0.05).mean())
    opinions = pd.read_parquet(small_run.path / "opinions.parquet")
    sizes = [items.groupby(g)["statement_id"].nunique().min() for g in GROUPINGS if g in items]
    smallest = min(*sizes, opinions.groupby("group")["question_id"].nunique().min())
    assert results.loc["small_groups", "value"] == smallest


def test_a_model_that_answers_by_content_raises_no_check(content_run):
    metrics = read_metrics(content_run)
    results = check_results(metrics)
    assert set(results["check"]) == AUDIT_CHECKS - {"opinion_one_letter", "opinion_near_uniform"}  # no survey stage
    assert fired(metrics).empty, fired(metrics)[["check", "evidence"]].to_string()
    values = results.set_index("check")["value"]
    assert values["judge_order_consistency"] == 1.0 and values["judge_one_option"] == 0.5
    accuracy = metrics[(metrics["metric"] == "stance_judge_accuracy") & (metrics["grouping"] == "overall")]
    assert accuracy["value"].iloc[0] == 1.0
    html = (content_run / "report.html").read_text(encoding="utf-8")
    assert "Numbers here that carry no information" not in html and "none of 6 fired" in html


def test_the_stance_judge_is_measured_per_language_on_labelled_answers(small_run):
    metrics = read_metrics(small_run.path)
    accuracy = metrics[(metrics["metric"] == "stance_judge_accuracy") & (metrics["grouping"] == "language")]
    per_language = accuracy[~accuracy["group"].isin(["gap", "ratio"])]
    assert set(per_language["group"]) == {"en", "de", "fr", "it", "tr", "es", "pt"}
    assert (per_language["n"] == 16).all() and (per_language["ci_low"] <= per_language["value"]).all()


def test_the_reversed_judge_question_maps_back_to_the_same_stance():
    """With its options listed last to first, letter A is "refuses"; the stance read back is the one described."""
    for reverse in (False, True):
        prompt, letters = judge_prompt("Taxes should rise.", "I agree.", chat=False, reverse=reverse)
        listed = re.findall(r"^([A-D])\. It (\w+)", prompt, re.M)
        assert [x for x, _ in listed] == ["A", "B", "C", "D"]
        for peak, (_, word) in enumerate(listed):
            scores = [[0.0] * 4, [0.0] * 4]
            scores[int(reverse)][peak] = 5.0
            measured = judge_measures(scores)
            chosen = measured["judged_stance_reversed"] if reverse else measured["judged_stance"]
            assert chosen == _DESCRIBED_BY[word]


def test_the_refusal_rule_and_the_check_table_agree_on_which_judge_passed():
    """One decision (``judge_accuracy``): the judges that decide disputed refusals (``validated_judges``) are those
    whose ``judge_near_chance`` row does not fire, also at the line itself (5 of 8 = 0.625 passes)."""
    correct = [1.0] * 5 + [0.0] * 3 + [1.0] * 4 + [0.0] * 4 + [None]  # a row not yet judged counts for nothing
    judge_check = pd.DataFrame({"model": ["at-line"] * 8 + ["below"] * 9, "id": range(17), "language": "en",
                                "label": "agree", "correct": correct})
    items = pd.DataFrame({"model": ["at-line", "below"], "statement_id": ["s1", "s1"], "variant": "original"})
    metrics = audit_metrics({"items": items, "judge_check": judge_check}, n_boot=200)
    near = check_results(metrics).query("check == 'judge_near_chance'").set_index("model")
    assert validated_judges(judge_check) == set(near.index[~near["fires"].astype(bool)]) == {"at-line"}
    assert near.loc["at-line", "value"] == 0.625 and near.loc["below", ["value", "n"]].tolist() == [0.5, 8]
    overall = metrics.query("metric == 'stance_judge_accuracy' and grouping == 'overall'").set_index("model")
    assert near.loc["below", "value"] == overall.loc["below", "value"]  # the metric and its check say one number
