"""`pluralign judge`: every reward a learn run fitted judges two real models' answers to the same prompts."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from pluralign.align.core import judge_metrics, verdicts
from pluralign.audit import AuditConfig, run_audit
from pluralign.metrics import MetricFrame
from pluralign.metrics.registry import metric_info
from pluralign.estimators.reward import GroupRewards
from pluralign.learn.job import LearnConfig, run_learn
from tests.align.conftest import LIBERAL, TRADITIONAL

from ..conftest import invoke


def test_each_groups_reward_prefers_its_own_side(reward_run):
    rewards = GroupRewards.from_run(reward_run)
    assert sorted(rewards.names) == ["liberal", "traditional"] and np.isclose(rewards.weights.sum(), 1)
    scores = pd.DataFrame(rewards(["How should I live?"] * 8, TRADITIONAL + LIBERAL), columns=rewards.names)
    assert (scores["traditional"][:4].min() > scores["traditional"][4:].max())
    assert (scores["liberal"][4:].min() > scores["liberal"][:4].max())


def test_verdicts_and_summaries_follow_the_reward_differences():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(40, 3)), rng.normal(size=(40, 3))
    a[:, 0] = b[:, 0] + 1.0  # reward "x" prefers A everywhere; "z" ties everywhere
    a[:, 2] = b[:, 2]
    prompts = [f"p{i}" for i in range(40)]
    table = verdicts(prompts, a, b, ["x", "y", "z"])
    metrics = judge_metrics(table, {"x": 0.5, "y": 0.25, "z": 0.25}, n_boot=200)
    value = metrics.set_index(["metric", "group"])["value"]
    assert np.isclose(value["p_prefer", "y"], expit(a[:, 1] - b[:, 1]).mean())
    assert value["win_rate", "x"] == 1 and value["win_rate", "z"] == 0.5
    assert value["win_rate", "y"] == np.mean(a[:, 1] > b[:, 1])
    worst = metrics[metrics.metric == "maxmin_win_rate"].iloc[0]
    assert worst["group"] == min(("y", value["win_rate", "y"]), ("z", 0.5), key=lambda t: t[1])[0]
    assert 0 <= worst["ci_low"] <= worst["value"] <= worst["ci_high"] <= 1
    mixed = 0.5 * 1 + 0.25 * (a[:, 1] > b[:, 1]) + 0.25 * 0.5
    assert np.isclose(value["utilitarian_win_rate", "all"], mixed.mean())
    # the per-reward intervals are MetricFrame's over prompts
    frame = MetricFrame(table, "win", by="reward", cluster="prompt_id", n_boot=200).by_group.set_index("reward")
    assert metrics.set_index(["metric", "group"]).loc[("win_rate", "y"), "ci_low"] == frame.loc["y", "ci_low"]


def test_judge_scores_two_real_models_answers_with_every_reward_and_resumes(reward_run, tmp_path):
    out = tmp_path / "judged"
    args = ["judge", "--reward", str(reward_run), "--model", "embedded", "--against", "llamacpp:embedded",
            "--limit", "4", "--max-tokens", "24", "--no-cache", "-q", "--out", str(out)]
    result = invoke(*args)
    assert result.returncode == 0, result.stderr
    assert "maxmin_win_rate" in result.stdout and "traditional" in result.stdout
    answers = pd.read_parquet(out / "answers.parquet")
    assert len(answers) == 8 and set(answers.role) == {"model", "against"}
    # every stored reward is the learned reward of that answer to its prompt
    rewards = GroupRewards.from_run(reward_run)
    again = rewards(answers["prompt"].tolist(), answers["text"].tolist())
    assert np.allclose(np.stack(answers["rewards"].to_numpy()), again, atol=1e-5)
    table = pd.read_parquet(out / "verdicts.parquet")
    pivot = answers.pivot(index="prompt_id", columns="role", values="rewards")
    margin = np.stack(pivot["model"].to_numpy()) - np.stack(pivot["against"].to_numpy())
    assert np.allclose(table.sort_values(["prompt_id", "reward"])["margin"],
                       pd.DataFrame(margin, index=pivot.index, columns=rewards.names).stack().sort_index())
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert {"win_rate", "p_prefer", "maxmin_win_rate", "utilitarian_win_rate"} <= set(metrics.metric)
    assert set(metrics.model) == {"embedded"} and set(metrics.against) == {"llamacpp:embedded"}
    report = (out / "report.html").read_text()
    assert "Whose preferences do the answers satisfy?" in report and "liberal" in report
    lines = (out / "records.jsonl").read_text().count("\n")
    assert invoke(*args).returncode == 0 and (out / "records.jsonl").read_text().count("\n") == lines


def test_the_same_answers_tie_under_every_reward(reward_run, hf_model, tmp_path):
    from pluralign.align.judge import JudgeConfig, run_judge

    config = JudgeConfig(reward=str(reward_run), model="embedded", against="hf:embedded", limit=3, max_tokens=16)
    out = run_judge(config, tmp_path / "same", progress=False, use_cache=False,
                    models={"embedded": hf_model, "hf:embedded": hf_model}).path
    metrics = pd.read_parquet(out / "metrics.parquet").set_index(["metric", "group"])["value"]
    assert metrics["win_rate", "liberal"] == metrics["win_rate", "traditional"] == 0.5
    assert metrics["p_prefer", "liberal"] == 0.5


def test_without_a_learn_run_the_value_poles_judge_each_answer_by_its_place_on_the_axes(hf_model, tmp_path):
    from pluralign.align.judge import JudgeConfig, run_judge
    from pluralign.align.targets import PoleRewards
    from pluralign.candidates.placement import ValuePlacer

    judge = ValuePlacer(hf_model)
    poles = PoleRewards(judge)
    scores = poles(None, TRADITIONAL[:2] + LIBERAL[:2])
    placed = judge.positions(TRADITIONAL[:2] + LIBERAL[:2])
    assert poles.names == ["pole:traditional", "pole:secular_rational", "pole:survival", "pole:self_expression"]
    assert np.allclose(scores[:, 1], placed["traditional_secular"]) and np.allclose(scores[:, 0], -scores[:, 1])
    assert np.allclose(scores[:, 3], placed["survival_self_expression"]) and np.allclose(scores[:, 2], -scores[:, 3])
    # a judge run with no learn run: every answer is scored toward each pole by the judge (the --against model)
    config = JudgeConfig(model="embedded", against="hf:embedded", limit=4, max_tokens=16)
    out = run_judge(config, tmp_path / "poles", progress=False, use_cache=False,
                    models={"embedded": hf_model, "hf:embedded": hf_model}).path
    answers = pd.read_parquet(out / "answers.parquet")
    assert np.allclose(np.stack(answers["rewards"].to_numpy()), poles(None, answers["text"].tolist()), atol=1e-5)
    verdict = pd.read_parquet(out / "verdicts.parquet")
    assert sorted(verdict.reward.unique()) == sorted(poles.names) and verdict.prompt_id.nunique() == 4
    # opposite poles mirror each other: their population rows (0.5) and worst row (at most 0.5) are not findings
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert not metrics.metric.str.startswith(("maxmin_", "utilitarian_")).any()
    assert set(metrics[metrics.group != "gap"].group) == set(poles.names)
    report = (out / "report.html").read_text()
    assert "the value poles, placed by hf:embedded" in report and "not the probability of anyone's choice" in report
    assert "pole_margin" in set(metrics.metric) and "p_prefer" not in set(metrics.metric)


POLES = ["pole:traditional", "pole:secular_rational"]


def test_value_poles_get_a_pole_margin_not_a_probability_of_choice():
    """Before, a pole's row was p_prefer (mean sigmoid of the position difference, 0.541 here) under the definition
    "probability that a group's people choose A"; the poles' own metric is the mean difference itself."""
    a = np.array([[0.4, -0.4], [0.2, -0.2], [-0.1, 0.1]])
    table = verdicts(["p0", "p1", "p2"], a, np.zeros_like(a), POLES)
    metrics = judge_metrics(table, dict.fromkeys(POLES, 0.5), n_boot=200, poles=True)
    value = metrics.set_index(["metric", "group"])["value"]
    assert set(metrics.metric) == {"win_rate", "pole_margin"}
    assert np.isclose(value["pole_margin", "pole:traditional"], 0.5 / 3)
    assert np.isclose(value["pole_margin", "gap"], 1 / 3)
    assert "probability" in metric_info("p_prefer").description
    assert "not a probability" in metric_info("pole_margin").description


def test_the_pole_margin_interval_covers_the_true_mean_margin_95_percent_of_the_time():
    """200 seeded judge runs of 25 prompts, margins around a true mean of 0.15 toward the pole (sd 0.5): the interval
    over prompts covers 0.15 in at least 92% of them (measured: 95.0%; over 1,000 runs 94.1%)."""
    covered = []
    for seed in range(200):
        margin = np.random.default_rng(seed).normal(0.15, 0.5, size=(25, 1))
        row = judge_metrics(verdicts([f"p{i}" for i in range(25)], margin, np.zeros_like(margin), POLES[:1]),
                            {POLES[0]: 1.0}, n_boot=400, seed=seed, poles=True).query("metric == 'pole_margin'").iloc[0]
        covered.append(row.ci_low <= 0.15 <= row.ci_high)
    assert np.mean(covered) >= 0.92


@pytest.mark.parametrize("case", ["simulated", "not-a-run", "audit-run", "same-model", "judge-with-reward"])
def test_judge_refuses_bad_inputs_in_one_line(reward_run, tmp_path, request, case):
    """Each bad input is refused before any model loads (the command checks a --reward's manifest before it imports
    the job), so no case needs more than a run directory to point at. The audit run is the smallest real one (one
    statement's stance); it was conftest's `small_run`, a complete audit of 16 statements, whose building the first
    case was charged with when no other test on its worker had built it (91.6 CPU s here)."""
    reward, against = str(reward_run), "llamacpp:embedded"
    if case == "simulated":
        reward = str(tmp_path / "sim")
        run_learn(LearnConfig(data="simulated", estimator="bt"), reward, progress=False)  # in this process: a setup
    elif case == "not-a-run":
        reward = str(tmp_path)
    elif case == "audit-run":
        config = AuditConfig(models=["embedded"], limit=1, translated=False, stages=["stance"], survey="none")
        reward = str(run_audit(config, tmp_path / "audit", progress=False, use_cache=False,
                               models={"embedded": request.getfixturevalue("hf_model")}).path)
    elif case == "same-model":
        against = "embedded"
    extra = ["--judge", "embedded"] if case == "judge-with-reward" else []
    result = invoke("judge", "--reward", reward, "--model", "embedded", "--against", against, *extra,
                    "--out", str(tmp_path / "j"))
    assert result.returncode == 2 and result.stderr.strip().startswith("error:")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert {"simulated": "simulated feature vectors", "not-a-run": "not a pluralign run", "audit-run": "'audit' run",
            "same-model": "judge two different models", "judge-with-reward": "it has nothing to do"}[case] in result.stderr


def test_a_wrong_reward_is_refused_before_torch_is_imported(tmp_path):
    """The refusal costs the command line's imports (1.7 CPU s here), not the judge job's torch and scikit-learn (4.1
    CPU s before): `pluralign judge` checks its options and the --reward run's manifest before it imports the job."""
    code = ("import sys\nfrom pluralign.cli.app import app\ntry:\n    app(sys.argv[1:])\nexcept SystemExit as exc:\n"
            "    print(exc.code, 'torch' in sys.modules)")
    for reward in (tmp_path, tmp_path / "missing"):
        result = subprocess.run([sys.executable, "-c", code, "judge", "--reward", str(reward), "--model", "embedded",
                                 "--against", "llamacpp:embedded", "--out", str(tmp_path / "j")],
                                capture_output=True, text=True, timeout=600)
        assert result.stdout.split() == ["2", "False"], result.stdout + result.stderr
        assert "not a pluralign run" in result.stderr
