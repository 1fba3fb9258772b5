"""Degeneracy checks in the metrics table: registered like metrics, and compare and policies refuse to rank or pass on
the numbers a fired check says carry no information."""

from __future__ import annotations

import pandas as pd
import pytest

from pluralign.metrics import CHECKS, REGISTRY, check_results, check_row, degenerate, fired, read_metrics
from pluralign.metrics.compare import scorecard
from pluralign.metrics.policy import Policy, Rule, check

from ..conftest import invoke
from .tables import long_table, make_run


def _run(tmp_path, name: str, consistency: float, one_option: float, low_mass: float):
    """A run with judged metrics, stance metrics and answer mass, and two checks: the judge's one option at
    ``one_option`` (0.9 fires) and the share of items with low answer mass at ``low_mass`` (0.25 fires)."""
    table = pd.concat([
        long_table({"m": {"judged_agree_rate": (0.5, 0.45, 0.55), "refusal_rate": (0.1, 0.05, 0.15),
                          "refusal_judged_rate": (0.2, 0.15, 0.25),
                          "negation_consistency": (consistency, consistency - 0.01, consistency + 0.01),
                          "answer_mass": (0.7, 0.65, 0.75)}}),
        pd.DataFrame([{"model": "m", **check_row("judge_one_option", one_option, 200, "agree")},
                      {"model": "m", **check_row("low_answer_mass", low_mass, 200, "de")}]),
    ], ignore_index=True)
    return make_run(tmp_path / name, table)


def _bad_and_good(tmp_path):
    """"bad" has the better negation consistency, but a judge that gives one option to 99% and low answer mass."""
    return _run(tmp_path, "bad", 0.9, 0.99, 0.6), _run(tmp_path, "good", 0.8, 0.5, 0.1)


def test_every_check_is_a_registered_metric_with_a_threshold_and_advice():
    assert len(CHECKS) >= 7
    for registered in CHECKS.values():
        assert registered.name in REGISTRY and registered.advice and "{value" in registered.evidence
        assert set(registered.affects) <= set(REGISTRY)
        assert registered.fires(registered.threshold) is registered.above  # the threshold itself fires one firing above
        assert not registered.fires(float("nan"))
    with pytest.raises(ValueError, match="unknown check 'made_up'"):
        check_row("made_up", 1, 1)


def test_fired_checks_name_the_metrics_they_make_uninformative(tmp_path):
    metrics = read_metrics(list(_bad_and_good(tmp_path)))
    results = check_results(metrics)
    assert results.groupby("run")["fires"].all().to_dict() == {"bad": True, "good": False}
    found = fired(metrics)
    assert set(found["run"]) == {"bad"}
    assert "gave 'agree' to 99.0% of 200 answers" in found.set_index("check").loc["judge_one_option", "evidence"]
    flagged = degenerate(metrics)
    # refusal_rate falls back on its phrases when the judge has not passed judge_near_chance: not flagged
    assert set(zip(flagged["run"], flagged["metric"])) == {("bad", "judged_agree_rate"), ("bad", "refusal_judged_rate"),
                                                           ("bad", "negation_consistency")}


def test_a_check_is_cleared_by_another_that_passed(tmp_path):
    """One option for nearly every answer is a finding, not a fault, when the judge reads labelled answers well."""
    table = pd.DataFrame([{"model": "m", **check_row("judge_one_option", 0.95, 200, "refusal")},
                          {"model": "m", **check_row("judge_near_chance", 0.9, 112, "m")}])
    results = check_results(read_metrics(make_run(tmp_path / "r", table))).set_index("check")
    assert not results.loc["judge_one_option", "fires"] and "cleared" in results.loc["judge_one_option", "evidence"]
    failing = table.assign(value=[0.95, 0.3])
    assert check_results(read_metrics(make_run(tmp_path / "s", failing)))["fires"].all()


def test_a_check_without_a_setting_covers_every_setting_of_its_run(tmp_path):
    """compare-samplers writes the value judge's check once; it flags each sampler's coverage."""
    rows = long_table({"m": {"covers_both": (0.0, 0.0, 0.1)}})
    table = pd.concat([rows.assign(sampler="independent"), rows.assign(sampler="diverse"),
                       pd.DataFrame([{"model": "m", **check_row("value_judge_near_chance", 0.5, 44, "m")}])],
                      ignore_index=True)
    flagged = degenerate(read_metrics(make_run(tmp_path / "cs", table, job="compare-samplers")))
    assert sorted(flagged["setting"]) == ["sampler=diverse", "sampler=independent"]


def test_compare_shows_but_never_ranks_a_degenerate_number(tmp_path):
    metrics = read_metrics(list(_bad_and_good(tmp_path)))
    card = scorecard(metrics, pareto={"answer_mass": None})
    assert "judge_one_option" not in card.matrix.values.columns  # checks are warnings, not metrics to rank
    assert card.cell("bad", "negation_consistency").endswith("⚠ low_answer_mass")
    assert "⚠" not in card.cell("good", "negation_consistency")
    # "bad" has the higher negation consistency, but it carries no information: it is not the best
    assert "negation_consistency" not in card.best()
    default = scorecard(metrics)
    assert "negation_consistency" not in default.pareto_metrics and "answer_mass" in default.pareto_metrics
    with pytest.raises(ValueError, match="negation_consistency carries no information for bad .*low_answer_mass"):
        scorecard(metrics, pareto={"negation_consistency": None})
    with pytest.raises(ValueError, match="judged_agree_rate carries no information"):
        scorecard(metrics, weights={"judged_agree_rate": 1.0})


def test_a_policy_gives_no_verdict_on_a_degenerate_metric_but_can_bound_a_check(tmp_path):
    metrics = read_metrics(list(_bad_and_good(tmp_path)))
    policy = Policy([Rule("negation_consistency", at_least=0.85, name="consistent"),
                     Rule("judge_one_option", at_most=0.9, name="a judge that reads")])
    results = check(policy, metrics).set_index(["rule", "run"])
    assert tuple(results.loc[("consistent", "bad"), ["verdict", "check", "would_be"]]) == (
        "degenerate", "low_answer_mass", "pass")
    assert results.loc[("consistent", "good"), "verdict"] == "fail"
    assert results.loc[("a judge that reads", "bad"), "verdict"] == "fail"
    assert results.loc[("a judge that reads", "good"), "verdict"] == "pass"


def test_check_and_compare_commands_print_the_fired_checks(tmp_path):
    bad, good = _bad_and_good(tmp_path)
    policy = tmp_path / "policy.toml"
    policy.write_text('[[rule]]\nname = "consistent"\nmetric = "negation_consistency"\nat_least = 0.85\n')
    checked = invoke("check", str(policy), str(bad), env={"COLUMNS": "220"})
    assert checked.returncode == 0, checked.stderr  # degenerate, and its numbers alone would pass
    assert "degenerate (low_answer_mass; would pass)" in checked.stdout and "1 degenerate" in checked.stdout
    assert "judge_one_option" in checked.stdout and "gave 'agree' to 99.0%" in checked.stdout
    assert invoke("check", str(policy), str(bad), "--strict").returncode == 1
    # a degenerate number never turns a failing rule into a passing gate
    policy.write_text('[[rule]]\nname = "very consistent"\nmetric = "negation_consistency"\nat_least = 0.95\n')
    assert invoke("check", str(policy), str(bad)).returncode == 1
    html = tmp_path / "card.html"
    compared = invoke("compare", str(bad), str(good), "--html", str(html), env={"COLUMNS": "220"})
    assert compared.returncode == 0, compared.stderr
    assert "⚠ low_answer_mass" in compared.stdout and "check(s) fired" in compared.stdout
    page = html.read_text()
    assert "Numbers here that carry no information" in page and 'data-check="judge_one_option"' in page
