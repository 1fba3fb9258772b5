"""`pluralign align`: DPO with LoRA through TRL on the embedded model toward one group's learned reward, then judged
against the base on held-out prompts under every reward."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ..conftest import invoke, run_cli

BASE = "embedded?dtype=float32"  # the end-to-end gain's base model: its sizes were set in float32
TOPICS = ["my career", "where to live", "whom to marry", "my religion", "my parents' expectations", "my free time",
          "how to raise my children", "what to study", "my holidays", "my savings", "my friendships", "my neighbours",
          "my wedding", "my job offer abroad", "caring for my grandmother", "my diet"]
ASKS = ["How should I decide about {}?", "I am unsure about {}. What would you advise?",
        "What matters most when thinking about {}?", "Give me advice on {}."]


def _prompts(folder):
    path = folder / "prompts.jsonl"
    rows = [{"id": f"{k}{i}", "text": ask.format(topic), "language": "en"} for i, topic in enumerate(TOPICS)
            for k, ask in enumerate(ASKS)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.slow
def test_aligning_toward_a_group_raises_its_win_rate_over_the_base_on_held_out_prompts(reward_run, tmp_path):
    """End to end on the embedded model in float32 (``BASE``): 24 training prompts, one pass over their pairs in 12 DPO
    steps of 2 (Adam moves the adapters about as far a step at 2 pairs as at 8), answers of 24 tokens; the traditional
    group's reward prefers the tuned model's answers to the base's on the 40 held-out prompts, with the whole interval
    above 0.5, and the other group's reward sees it lose. Before and after, at the fewest items that give each shift a
    finite interval: stances on 2 statements, 2 survey questions steered toward each group, Overton coverage on 2
    held-out prompts (what the shifts mean is tested on models whose steering the tests control, in
    test_pluralism.py). The sizes were set in float32, at four seeds (benchmarks/RESULTS.md, session 26): traditional
    0.850 [0.708, 0.945], 0.875 [0.740, 0.963], 0.825 [0.681, 0.928], 0.800 [0.668, 0.912] at seeds 1 to 4, at 56%
    of the CPU time of the sizes before (32 prompts a side, 10 steps of 8 pairs, 32 tokens), which gave 0.688 [0.523,
    0.833], 0.578 [0.396, 0.747] and 0.812 [0.662, 0.926] at seeds 1 to 3: seed 2's interval held 0.5. With
    ``dtype=auto`` in bfloat16 (a CPU that computes it natively) the old sizes' win rate was 0.61 with an interval
    from 0.44 (session 24)."""
    out = tmp_path / "tuned"
    args = ["align", "--reward", str(reward_run), "--target", "traditional", "--model", BASE,
            "--prompts", str(_prompts(tmp_path)), "--eval-share", "0.625", "--steps", "12", "--batch-size", "2",
            "--learning-rate", "2e-3", "--max-tokens", "24", "--seed", "1",
            "--audit-limit", "2", "--pluralism-questions", "2", "--overton-prompts", "2", "--no-cache", "-q", "--out",
            str(out)]
    result = run_cli(*args, env={"COLUMNS": "80"})  # a process: TRL's and transformers' own logging reach its stderr
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "Tokenizing" not in result.stderr  # -q means quiet
    pairs = pd.read_json(out / "pairs.jsonl", lines=True)
    assert 0 < len(pairs) <= 24 and set(pairs.target) == {"traditional"} and (pairs.margin > 0).all()
    # one pass over the pairs: each step's loss is on pairs not yet seen, too noisy at 2 a step to fall reliably (the
    # held-out win rate below is what training learned); the first step is the reference itself, the later ones not
    curve = pd.read_parquet(out / "curve.parquet")
    assert len(curve) == 12 and curve.loss.iloc[0] == pytest.approx(np.log(2)) and curve.margin.iloc[0] == 0
    assert (curve.margin.iloc[1:] != 0).all(), curve
    summary = pd.read_parquet(out / "summary.parquet").set_index("reward")
    target = summary.loc["traditional"]
    assert target.target and target.n == 40 and target.ci_low > 0.5, summary
    assert set(summary.index) == {"traditional", "liberal", "worst reward"} and not summary.loc["liberal", "target"]
    assert summary.loc["worst reward", "worst"] == "liberal" and summary.loc["worst reward", "value"] == summary.loc["liberal", "value"]
    assert ((summary.ci_low <= summary.value) & (summary.value <= summary.ci_high)).all()
    # the other group's verdict is the sign test on the prompts it tells apart, at the tolerance 0.05 (one reward can
    # lose, so Holm's correction leaves its p-value as it is)
    from scipy.stats import binomtest

    margins = pd.read_parquet(out / "judge" / "verdicts.parquet").pivot(index="prompt_id", columns="reward",
                                                                       values="margin")
    losses, differing = int((margins.liberal < 0).sum()), int((margins.liberal != 0).sum())
    assert summary.loc["liberal", "p"] == pytest.approx(
        binomtest(losses, differing, 0.5 + 0.05 * 40 / differing, alternative="greater").pvalue)
    assert (summary.lost == (~summary.target & (summary.p <= 0.05))).all()
    assert summary.loc["traditional", "verdict"] == "gained" and summary.loc["liberal", "verdict"] == (
        "lost" if summary.loc["liberal", "p"] <= 0.05 else "no clear loss")
    assert "traditional (target)" in result.stdout and "gained" in result.stdout
    # before and after: both models gave the audit's stances on the same items; the shift is their difference
    items = pd.read_parquet(out / "audit" / "results.parquet")
    wide = items.pivot_table(index=["statement_id", "variant"], columns="model", values="p_agree")
    shift = pd.read_parquet(out / "stance.parquet").query("grouping == 'overall'").iloc[0]
    tuned = f"hf:{out / 'model'}"
    assert shift.n == len(wide) and abs(shift.value - (wide[tuned] - wide[BASE]).mean()) < 1e-12
    # and the three kinds of pluralism: each measure's change on the same questions and prompts, each kind apart
    shifts = pd.read_parquet(out / "pluralism_shift.parquet")
    assert set(shifts.kind) == {"steerable", "distributional", "overton"}, shifts
    overall = shifts[shifts.grouping == "overall"].set_index("measure")
    assert ((overall.ci_low <= overall.value) & (overall.value <= overall.ci_high)).all(), overall
    assert overall.loc["steered_alignment", "n"] == 2 * 3 and overall.loc["overton_coverage", "n"] == 2
    opinions = pd.read_parquet(out / "pluralism" / "opinions.parquet").pivot_table(
        index=["question_id", "group"], columns="model", values="alignment")
    assert overall.loc["opinion_alignment", "value"] == pytest.approx((opinions[tuned] - opinions[BASE]).mean())
    assert {"steer_specificity_shift", "overton_coverage_shift"} <= set(pd.read_parquet(out / "metrics.parquet").metric)
    assert "pluralism_shift" in result.stdout and "steered_alignment" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80, result.stdout  # its tables too
    # the tension between the target's gain and the other group's, prompt by prompt, is Spearman's rho of margins on
    # the prompts whose answers differ
    from scipy.stats import spearmanr

    moved = margins[(margins != 0).any(axis=1)]
    tension = pd.read_parquet(out / "tensions.parquet").set_index("group").loc["liberal"]
    assert tension.value == pytest.approx(spearmanr(moved.traditional, moved.liberal).statistic)
    assert tension.n == len(moved) and tension.focus == "traditional"
    report = (out / "report.html").read_text()
    assert "Who gained, who lost" in report and "Stances before and after" in report and "Tensions" in report
    assert "Three kinds of pluralism, before and after" in report
    assert f"<td>{summary.loc['liberal', 'verdict']}</td>" in report
    # the tuned model is a transformers checkpoint any hf: spec loads: the audit above read its stances as hf:DIR
    lines = (out / "records.jsonl").read_text().count("\n")
    assert invoke(*args).returncode == 0 and (out / "records.jsonl").read_text().count("\n") == lines


def test_a_max_min_target_chooses_the_answer_whose_least_pleased_reward_is_pleased_most():
    from pluralign.align.core import target_scores
    from pluralign.align.targets import preference_pairs

    rewards = np.array([[3.0, -3.0], [1.0, 1.0], [-3.0, 3.0], [0.0, -1.0]])  # four answers, two rewards
    # each reward centred within the set (its zero is arbitrary per context), its unit kept
    assert target_scores(rewards, ["a", "b"], "max-min") == pytest.approx([-3.0, 0.75, -3.25, -1.0])
    assert list(target_scores(rewards, ["a", "b"], "b")) == [-3.0, 1.0, 3.0, -1.0]
    record = {"prompt_id": "p", "prompt": "Which?", "candidates": [{"text": f"answer {i}", "rewards": list(r)}
                                                                    for i, r in enumerate(rewards)]}
    pair = preference_pairs([record], ["a", "b"], "max-min").iloc[0]
    assert (pair.chosen[0]["content"], pair.rejected[0]["content"], pair.target) == ("answer 1", "answer 2", "max-min")
    # a set every reward scores alike teaches nothing and is left out
    same = {**record, "candidates": [{"text": t, "rewards": [1.0, 2.0]} for t in ("x", "y")]}
    assert preference_pairs([same], ["a", "b"], "max-min").empty


def test_max_min_keeps_how_much_a_group_cares():
    """Group A chooses the first of four answers with probability 0.98 (logits 5, 0, 0, 0); group B is indifferent
    (logits 0, .001, .002, .003: 0.2496 to 0.2504). Max-min must not train against A's choice on B's behalf: the
    first answer is chosen (rescaling each reward by its spread within the set rejected it)."""
    from scipy.special import softmax

    from pluralign.align.targets import preference_pairs

    rewards = np.array([[5.0, 0.0], [0.0, 0.001], [0.0, 0.002], [0.0, 0.003]])
    assert softmax(rewards[:, 0])[0] > 0.98 and np.ptp(softmax(rewards[:, 1])) < 0.001
    record = {"prompt_id": "p", "prompt": "Which?", "candidates": [{"text": f"answer {i}", "rewards": list(r)}
                                                                    for i, r in enumerate(rewards)]}
    pair = preference_pairs([record], ["A", "B"], "max-min").iloc[0]
    assert pair.chosen[0]["content"] == "answer 0" and pair.rejected[0]["content"] != "answer 0"


@pytest.mark.parametrize("case", ["target", "model", "job", "max-min over poles"])
def test_align_refuses_bad_inputs_in_one_line(reward_run, tmp_path, case):
    target, model, reward = "traditional", "embedded", ["--reward", str(reward_run)]
    if case == "target":
        target = "nobody"
    elif case == "model":
        model = "openai:http://127.0.0.1:9/v1#m"
    elif case == "job":
        reward = ["--reward", str(tmp_path)]
    else:  # the poles mirror each other: max-min over them would pick the most central answer, serving no group
        target, reward = "max-min", []
    result = invoke("align", *reward, "--target", target, "--model", model, "--out", str(tmp_path / "a"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert {"target": "has no reward named 'nobody'; it has: liberal, traditional", "model": "cannot be trained",
            "job": "not a pluralign run", "max-min over poles": "max-min serves the worst-off of a learn run's groups"
            }[case] in result.stderr


@pytest.mark.slow
def test_sft_on_the_chosen_answers_makes_them_likelier_under_the_tuned_model(tmp_path):
    from pluralign.align.job import AlignConfig, train_policy
    from pluralign.models import load
    from pluralign.models.base import ScoreRequest

    asks = [f"How should I decide about {t}?" for t in TOPICS[:4]]
    answers = ["Ask your family and keep to the customs of your elders.",
               "Follow the faith and the traditions you were raised in."]
    pairs = pd.DataFrame([{"prompt": [{"role": "user", "content": q}],
                           "chosen": [{"role": "assistant", "content": answers[i % 2]}],
                           "rejected": [{"role": "assistant", "content": "Do whatever you like."}]}
                          for i, q in enumerate(asks)])
    config = AlignConfig(reward="unused", target="unused", method="sft", steps=4, batch_size=2, learning_rate=1e-3)
    curve = train_policy(pairs, config, tmp_path, progress=False)
    assert len(curve) == 4 and curve.loss.notna().all() and curve.margin.isna().all()

    def likelihood(model) -> float:
        requests = [ScoreRequest([{"role": "user", "content": f"How should I decide about {t}?"}], (answers[0],))
                    for t in TOPICS[8:12]]  # prompts it was not trained on
        return sum(s[0] for s in model.score(requests))

    tuned, base = load(f"hf:{tmp_path / 'model'}"), load("embedded")
    assert tuned.dtype == base.dtype  # dtype=auto computes both in one format (bf16 where the CPU computes it natively)
    assert likelihood(tuned) > likelihood(base) + 1.0  # measured in fp32: -146 against -250


@pytest.mark.slow
def test_align_trains_on_one_groups_own_choices_with_where(reward_run, tmp_path):
    """export-pairs -> align --pairs trl:FILE --where side=traditional: the pairs are the traditional people's own
    choices, every prompt is judged, and a column the people do not have is refused in one line."""
    from .conftest import TRADITIONAL

    exported = tmp_path / "pairs.jsonl"
    assert invoke("export-pairs", "--reward", str(reward_run), "--out", str(exported)).returncode == 0
    prompts = _prompts(tmp_path)
    args = ["align", "--reward", str(reward_run), "--target", "traditional", "--pairs", f"trl:{exported}",
            "--where", "side=traditional", "--prompts", str(prompts), "--limit", "2", "--steps", "1",
            "--max-tokens", "8", "--audit", "none", "--survey", "none", "--overton-prompts", "0", "--no-cache", "-q",
            "--out", str(tmp_path / "own")]
    result = invoke(*args)
    assert result.returncode == 0, result.stderr
    pairs = pd.read_json(tmp_path / "own" / "pairs.jsonl", lines=True)
    assert len(pairs) == 12 * 16 and pairs.chosen.map(lambda m: m[0]["content"] in TRADITIONAL).all()
    summary = pd.read_parquet(tmp_path / "own" / "summary.parquet").set_index("reward")
    assert summary.loc["traditional", "n"] == 2 and not (tmp_path / "own" / "stance.parquet").exists()
    assert "people's own choices" in (tmp_path / "own" / "report.html").read_text()
    bad = invoke(*[a if a != "side=traditional" else "country=Mexico" for a in args[:-1]], str(tmp_path / "bad"))
    assert bad.returncode == 2 and "has no person column 'country' (it has: side)" in bad.stderr, bad.stderr


# The two pole tests below sample the same candidate sets from the base model and have the same value placer place
# them (same prompts, k, length and seed): they keep the suite's answer cache on, so the second finds those answers
# in it and pays only for its own training and judging.
@pytest.mark.slow
def test_align_toward_a_value_pole_ranks_answers_by_the_value_judge_and_judges_the_pole(reward_run, tmp_path):
    out = tmp_path / "pole"
    args = ["align", "--reward", str(reward_run), "--target", "pole:traditional", "--prompts", str(_prompts(tmp_path)),
            "--limit", "4", "--eval-share", "0.5", "--k", "3", "--steps", "1", "--max-tokens", "16", "--audit", "none",
            "--survey", "none", "--overton-prompts", "0", "-q", "--out", str(out)]
    result = invoke(*args)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    sets = {r["prompt_id"]: r for r in records if r["kind"] == "set"}
    pairs = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    for pair in pairs:  # the chosen answer sits furthest toward the pole (the rewards' last column)
        toward = {c["text"]: c["rewards"][-1] for c in sets[pair["prompt_id"]]["candidates"]}
        assert toward[pair["chosen"][0]["content"]] == max(toward.values()) and -1 <= min(toward.values())
    pole = next(r for r in records if r["kind"] == "pole")
    wins = [0.5 + np.sign(a - b) / 2 for a, b in zip(pole["model"], pole["against"])]
    summary = pd.read_parquet(out / "summary.parquet").set_index("reward")
    row = summary.loc["pole:traditional"]
    assert row.target and row.n == 2 and row.value == pytest.approx(np.mean(wins))
    assert {"traditional", "liberal", "worst reward"} <= set(summary.index) and summary.target.sum() == 1
    bad = invoke(*[a if a != "pole:traditional" else "pole:nowhere" for a in args[:-1]], str(tmp_path / "bad"))
    assert bad.returncode == 2 and "unknown value pole 'nowhere'" in bad.stderr


@pytest.mark.slow
def test_align_toward_a_value_pole_without_a_learn_run_takes_the_four_poles_as_its_rewards(tmp_path):
    out = tmp_path / "poles"
    args = ["align", "--target", "pole:self_expression", "--prompts", str(_prompts(tmp_path)), "--limit", "4",
            "--eval-share", "0.5", "--k", "3", "--steps", "1", "--max-tokens", "16", "--audit", "none", "--survey", "none",
            "--overton-prompts", "0", "-q", "--out", str(out)]
    result = invoke(*args)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    sets = {r["prompt_id"]: r for r in records if r["kind"] == "set"}
    for pair in (json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()):
        toward = {c["text"]: c["rewards"][3] for c in sets[pair["prompt_id"]]["candidates"]}  # the fourth pole's
        assert toward[pair["chosen"][0]["content"]] == max(toward.values())
        assert toward[pair["rejected"][0]["content"]] == min(toward.values())
    assert not any(r["kind"] == "pole" for r in records)  # the pole is one of the rewards, judged with them
    summary = pd.read_parquet(out / "summary.parquet").set_index("reward")
    # the poles mirror each other, so the judge computes no worst-off row (at most 0.5 by construction)
    assert set(summary.index) == {"pole:traditional", "pole:secular_rational", "pole:survival", "pole:self_expression"}
    assert summary.loc["pole:self_expression", "target"] and summary.target.sum() == 1 and (summary.n == 2).all()
    # opposite poles mirror each other: what the tuned model gained toward one it lost toward the other
    assert summary.loc["pole:survival", "value"] == pytest.approx(1 - summary.loc["pole:self_expression", "value"])
    assert "pole:self_expression (target)" in result.stdout
    assert "the value poles, placed by embedded" in (out / "report.html").read_text()
    bad = invoke(*[a if a != "pole:self_expression" else "traditional" for a in args[:-1]], str(tmp_path / "bad"))
    assert bad.returncode == 2 and "without --reward the rewards are the value poles" in bad.stderr
