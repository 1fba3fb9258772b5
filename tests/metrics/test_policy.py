"""Policies: rules evaluated with their intervals, and malformed files named by their line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pluralign.metrics import read_metrics
from pluralign.metrics.policy import PolicyError, Rule, _statistic, check, load_policy

from ..conftest import invoke
from .tables import long_table, make_run


def _policy(tmp_path, text: str, suffix: str = ".toml"):
    path = tmp_path / f"policy{suffix}"
    path.write_text(text)
    return path


def test_verdicts_follow_the_interval():
    rule = Rule("accuracy", at_least=0.6)
    assert rule.verdict(0.7, 0.65, 0.75) == "pass"
    assert rule.verdict(0.5, 0.45, 0.55) == "fail"
    assert rule.verdict(0.62, 0.55, 0.69) == "inconclusive"  # the interval straddles the line
    assert rule.verdict(0.62, float("nan"), float("nan")) == "pass"  # no interval: the value decides
    assert Rule("framing_sensitivity", at_most=0.15).verdict(0.1, 0.05, 0.2) == "inconclusive"


@pytest.fixture
def runs(tmp_path):
    """An audit run with refusal rates by language and a learn run with worst-group accuracy per split."""
    refusals = pd.DataFrame([
        {"model": "m", "metric": "refusal_rate", "grouping": "language", "group": g, "value": v, "ci_low": lo,
         "ci_high": hi, "n": 50}
        for g, v, lo, hi in (("de", 0.20, 0.15, 0.25), ("en", 0.10, 0.08, 0.12), ("ratio", 0.5, 0.4, 0.7),
                             ("gap", 0.1, 0.05, 0.15))])
    sensitivity = long_table({"m": {"framing_sensitivity": (0.12, 0.10, 0.14)}})
    audit = make_run(tmp_path / "audit", pd.concat([refusals, sensitivity]))
    learn = long_table({"IdealPoint": {"worst_group_accuracy": (0.7, 0.65, 0.75)},
                        "BradleyTerry": {"worst_group_accuracy": (0.58, 0.5, 0.66)}}).assign(split="unseen conversations")
    unseen = learn.assign(split="unseen people", value=0.3, ci_low=0.25, ci_high=0.35)
    return [audit, make_run(tmp_path / "learn", pd.concat([learn, unseen]), job="learn")]


def test_check_evaluates_each_rule_on_each_run(tmp_path, runs):
    policy = load_policy(_policy(tmp_path, """
name = "gate"
[[rule]]
name = "refusals alike"
metric = "refusal_rate"
grouping = "language"
statistic = "max_ratio"
at_most = 1.25

[[rule]]
metric = "refusal_rate"
grouping = "language"
at_most = 0.22

[[rule]]
metric = "framing_sensitivity"
at_most = 0.15

[[rule]]
metric = "worst_group_*"
at_least = 0.6
where = { split = "unseen conversations" }

[[rule]]
metric = "covers_both"
at_least = 0.5
"""))
    result = check(policy, read_metrics(runs)).set_index(["rule", "model"])
    ratio = result.loc[("refusals alike", "m")]
    assert ratio.verdict == "fail" and ratio.value == pytest.approx(2.0)  # max/min from min/max = 0.5
    assert (ratio.ci_low, ratio.ci_high) == pytest.approx((1 / 0.7, 1 / 0.4))
    each = result.loc[("refusal_rate each by language", "m")]
    assert (each.group, each.verdict) == ("de", "inconclusive")  # de's interval [0.15, 0.25] straddles 0.22
    assert result.loc[("framing_sensitivity overall", "m")].verdict == "pass"
    assert result.loc[("worst_group_* overall", "IdealPoint")].verdict == "pass"
    assert result.loc[("worst_group_* overall", "BradleyTerry")].verdict == "inconclusive"
    assert len(result.loc["worst_group_* overall"]) == 2  # the unseen-people split is filtered out by where
    assert result.loc["covers_both overall"].verdict.tolist() == ["missing"]  # no run has it


@pytest.mark.parametrize("suffix, text, line, words", [
    (".toml", '[[rule]]\nmetric = "accuracy"\nat_least = \n', 3, "Invalid value"),
    (".toml", '[[rule]]\nmetric = "accuracy"\nat_least = 0.6\n\n[[rule]]\nmetric = "accuracy"\nat_leest = 0.6\n', 7, "unknown rule field 'at_leest'"),
    (".toml", '[[rule]]\nmetric = "acuracy"\nat_least = 0.6\n', 2, "unknown metric 'acuracy'"),
    (".toml", '[[rule]]\nmetric = "accuracy"\nstatistic = "gap"\nat_most = 0.1\n', 3, "add grouping"),
    (".toml", '[[rule]]\nmetric = "accuracy"\nat_least = "high"\n', 3, "must be a number"),
    (".toml", '[[rule]]\nmetric = "accuracy"\n', 1, "needs at_least or at_most"),
    (".toml", 'name = "x"\n', 1, "no rules"),
    (".yaml", 'rules:\n  - metric: accuracy\n    at_least: [0.6\n', 4, ""),
    (".yaml", 'rules:\n  - metric: accuracy\n    at_least: 0.6\n  - metric: ece\n    statistik: overall\n', 5, "unknown rule field 'statistik'"),
    (".yml", 'rulez:\n  - metric: accuracy\n', 1, "unknown key 'rulez'"),
])
def test_malformed_policies_name_the_line(tmp_path, suffix, text, line, words):
    path = _policy(tmp_path, text, suffix)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value).startswith(f"{path}:{line}: ") and words in str(caught.value)


def test_yaml_and_toml_policies_say_the_same(tmp_path):
    toml = load_policy(_policy(tmp_path, '[[rule]]\nmetric = "ece"\nat_most = 0.1\nwhere = { split = "x" }\n'))
    yaml = load_policy(_policy(tmp_path, 'rules:\n  - metric: ece\n    at_most: 0.1\n    where: {split: x}\n', ".yaml"))
    assert [(r.metric, r.at_most, r.where, r.name) for r in toml.rules] == [(r.metric, r.at_most, r.where, r.name) for r in yaml.rules]


def test_check_cli_gates_on_failures(tmp_path, runs):
    passing = _policy(tmp_path, '[[rule]]\nmetric = "framing_sensitivity"\nat_most = 0.15\n')
    result = invoke("check", str(passing), *map(str, runs))
    assert result.returncode == 0, result.stderr
    assert "1 pass, 0 fail" in result.stdout
    straddling = _policy(tmp_path, '[[rule]]\nmetric = "framing_sensitivity"\nat_most = 0.13\n')
    assert invoke("check", str(straddling), *map(str, runs)).returncode == 0
    assert invoke("check", str(straddling), *map(str, runs), "--strict").returncode == 1
    failing = _policy(tmp_path, '[[rule]]\nmetric = "framing_sensitivity"\nat_most = 0.05\n')
    result = invoke("check", str(failing), str(runs[0]))
    assert result.returncode == 1 and "fail" in result.stdout


def test_check_cli_malformed_policy_is_one_line_and_exit_2(tmp_path, runs):
    bad = _policy(tmp_path, '[[rule]]\nmetric = "accuracy"\nat_least = 0.6\nbogus = 1\n')
    result = invoke("check", str(bad), str(runs[0]))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and f"{bad}:4:" in result.stderr and "Traceback" not in result.stderr


def test_the_readme_policy_is_valid(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("```toml\n# policy.toml", 1)[1].split("```", 1)[0]
    policy = load_policy(_policy(tmp_path, block))
    assert [r.statistic for r in policy.rules] == ["max_ratio", "overall", "overall", "overall"]


def test_unbounded_intervals_are_inconclusive_not_missing():
    rule = Rule("refusal_rate", "max_ratio", "language", at_most=1.25)
    assert rule.verdict(float("inf"), 1.0, float("inf")) == "inconclusive"  # 0/40 against 20/40
    assert rule.verdict(1.0, 1.0, float("inf")) == "inconclusive"  # every group at 0
    assert rule.verdict(float("inf"), 2.0, float("inf")) == "fail"
    assert Rule("accuracy", at_least=0.6).verdict(0.9, float("-inf"), float("inf")) == "inconclusive"
    assert rule.verdict(float("nan"), 1.0, 2.0) == "missing"


def test_each_rule_with_no_n_gets_the_widest_factor():
    table = pd.DataFrame([{"model": "m", "metric": "refusal_rate", "grouping": "language", "group": g, "value": 0.1,
                           "ci_low": 0.05, "ci_high": 0.15, "n": float("nan")} for g in ("en", "de")])
    found = _statistic(Rule("refusal_rate", "each", "language", at_most=0.18), table)
    assert all(hi > 0.18 for _, _, _, hi in found)  # finite and widened, not NaN
