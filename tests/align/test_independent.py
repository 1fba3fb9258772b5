"""align's independent evaluation (rewards that did not pick the training pairs) and its spread between seeds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ..conftest import invoke
from .conftest import LIBERAL, TRADITIONAL
from .crossfit_sim import choice_data, simulate
from .test_align import _prompts


def test_the_spread_between_seeds_is_the_sd_and_range_of_each_seeds_win_rate():
    from pluralign.align.seeds import seed_spread

    # win rates: a 1.0, 0.5, 0.25 over three seeds; b 0, 0.5, 0.75; the worst learned reward min(a, b) per seed
    per_seed = {0: pd.DataFrame({"a": [1, 2, 3, 4], "b": [-1, -2, -3, -4]}),
                1: pd.DataFrame({"a": [1, -1, 0, 0], "b": [0, 0, 1, -1]}),
                2: pd.DataFrame({"a": [-1, -1, -1, 1], "b": [1, 1, 1, -1]})}
    long, spread = seed_spread(per_seed)
    assert long.query("reward == 'a'").win_rate.tolist() == [1.0, 0.5, 0.25]
    assert long.query("reward == 'worst reward'").win_rate.tolist() == [0.0, 0.5, 0.25]
    spread = spread.set_index("reward")
    assert spread.loc["a", "seed_sd"] == pytest.approx(np.std([1.0, 0.5, 0.25], ddof=1))
    assert (spread.loc["b", "seed_low"], spread.loc["b", "seed_high"], spread.loc["b", "seeds"]) == (0.0, 0.75, 3)
    # one seed has no spread to show
    assert np.isnan(seed_spread({0: per_seed[0]})[1].seed_sd).all()


def test_a_same_reward_evaluation_overstates_the_gain_a_cross_fitted_one_measures():
    """Seeded simulation with a known answer (crossfit_sim): people whose choices are random (no answer serves them
    better: true win rate 0.5), a reward learned from 8 of them picks the best of 4 answers on 40 held-out prompts.
    Judged by that same reward the pick wins about k/(k+1) = 0.8 and is called "gained" in almost every run (measured:
    0.79, 99%); judged by a reward learned on 8 other people its win rate centres on the truth (0.497) and "gained" is
    called far less often (12.5% of 80 runs: the sign test holds its 5% for the reward as fitted, not over the people
    it was learned from, whose noise it does not resample; docs/methods.md says so). With a real signal (true win rate
    0.70) the same reward says 0.82, the cross-fitted one 0.63: its own noise pulls it toward 0.5, never above the
    truth. Cost: 240 logistic fits of 200 choices (with sklearn, measured 50 s under a load average of 19 on the 2
shared cores, most of it waiting for a core; Newton's method, as now, fits the same coefficients in milliseconds)."""
    null = simulate(0.0, runs=80, seed=0)
    assert (null.truth == 0.5).all()
    assert null.same.mean() > 0.75 and (null.p_same <= 0.05).mean() > 0.9
    assert abs(null.cross.mean() - 0.5) < 0.03 and (null.p_cross <= 0.05).mean() < 0.25
    signal = simulate(0.2, runs=40, seed=1000)
    assert signal.same.mean() > signal.truth.mean() + 0.08
    assert 0.5 < signal.cross.mean() <= signal.truth.mean() + 0.02


def test_a_cross_fitted_verdict_that_refits_on_resampled_people_holds_its_5_percent():
    """Seeded simulation with a known answer (crossfit_sim, as a learn run's held-out people are: 32 people train the
    reward that picks the best of 4 answers on 40 held-out prompts, 8 others judge; people differ and all answer the
    same 25 prompts, each with a shared shift). No one gains: the sign test over the prompts alone calls the
    cross-fitted reward's target gained in 19.5% of 200 runs, align's verdict (200 refits on resamples of the 8 people
    crossed with their prompts, the held-out prompts resampled too) in 0.5% (benchmarks/RESULTS.md has these rows and
    more). With a true signal (true win rate 0.75) and 32 people alike judging, it calls the gain in 64% of 50 runs
    (the sign test, which also calls 18% of null runs gained, in 86% of 100). Sized to clear both bars with margin:
    200 null runs from seeds 0, 400, 800 and 1200 gave the sign test 16.5-19.5% (bar 10%) and the verdict 0-0.5% (bar
    5%); 50 signal runs from seeds 1000, 1050, 1100 and 1150 called the gain in 54-64% (bar 40%). Refits by Newton's
    method for all 200 resamples at once: about 0.03 s of CPU a run."""
    null = simulate(0.0, runs=200, seed=0, people=32, held_out=8, learn_prompts=25, person_sd=0.5, prompt_sd=0.5,
                    replicates=200)
    assert (null.p_cross <= 0.05).mean() > 0.1 and null.gained_refit.mean() <= 0.05
    signal = simulate(0.2, runs=50, seed=1000, people=32, replicates=200)
    assert signal.gained_refit.mean() > 0.4


def test_a_refit_verdict_reads_the_win_rates_of_the_refits_on_resampled_prompts():
    """Reward a: half the refits prefer every tuned answer, half every base answer, so its win rate is 1 or 0 whatever
    prompts a replicate draws; reward b: every refit prefers every tuned answer but on one prompt, tied in all."""
    from pluralign.align.refit import refit_tests

    replicates = np.ones((200, 4, 2), dtype=int)
    replicates[100:, :, 0] = -1
    replicates[:, 3, 1] = 0
    observed = np.array([[1, 1], [1, 1], [-1, 1], [-1, 0]])
    rows, tests = refit_tests(observed, replicates, ["a", "b"], 0.05, seed=0)
    rates = rows.query("metric == 'win_rate'").set_index("group")
    a, b = rates.loc["a"], rates.loc["b"]
    assert (a.value, a.ci_low, a.ci_high, a.n) == (0.5, 0.0, 1.0, 4)
    assert b.value == 0.875 and b.ci_high == 1.0 and 0.5 <= b.ci_low < 1.0
    # a replicate's win rate of b is 1 − (the share of draws of the tied prompt) / 2: never at most 0.5 here
    assert tests.loc["a", "gain_p"] == tests.loc["a", "loss_p"] == pytest.approx(101 / 201)
    assert tests.loc["b", "gain_p"] == pytest.approx(1 / 201) and tests.loc["b", "loss_p"] == 1.0
    worst = rows.query("metric == 'maxmin_win_rate'").iloc[0]
    assert (worst.group, worst.value, worst.ci_low, worst.ci_high) == ("a", 0.5, 0.0, 1.0)


def test_the_independent_summary_judges_each_reward_by_its_own_margins_and_tags_every_row():
    """A hand-made record of two learned rewards and a pole target (as --eval-reward with --eval-judge scores them):
    each win rate is the share of prompts whose tuned answer the independent reward scores higher, the worst row is
    over the learned rewards alone, and every row says it is independent and who judged."""
    from pluralign.align.independent import IndependentRewards, independent_summary

    scorer = IndependentRewards([(["a", "b"], lambda c, r: np.array([[len(t), -len(t)] for t in r], float), False),
                                 (["pole:traditional"], lambda c, r: np.array([[t.count("!")] for t in r], float),
                                  True)], "other people; another judge")
    tuned, base = ["long answer!", "short!", "mid answer", "x"], ["short", "longer answer", "mid answer", "y"]
    record = {"prompt_id": ["p1", "p2", "p3", "p4"], "names": scorer.names, "poles": scorer.poles,
              "judged_by": scorer.judged_by, "model": scorer(["?"] * 4, tuned).tolist(),
              "against": scorer(["?"] * 4, base).tolist()}
    assert scorer.names == ["a", "b", "pole:traditional"] and scorer.poles == [False, False, True]
    summary = independent_summary(record, "pole:traditional", 0.05, seed=0).set_index("reward")
    # a: longer wins (p1), loses (p2), ties (p3, p4) -> 0.5; b the mirror; the pole: one '!' more on p1 and p2, ties
    assert summary.loc["a", "value"] == 0.5 and summary.loc["b", "value"] == 0.5
    assert summary.loc["pole:traditional", "value"] == pytest.approx((1 + 1 + 0.5 + 0.5) / 4)
    assert summary.loc["pole:traditional", "target"] and summary.loc["worst reward", "worst"] in ("a", "b")
    assert (summary.evaluation == "independent").all() and (summary.judged_by == "other people; another judge").all()


def test_another_judge_model_beside_a_learned_target_is_refused_before_anything_runs():
    """--eval-judge places answers on the value poles: with a learn run's target it would judge nothing the run
    trained toward."""
    from pluralign.align.job import AlignConfig
    from pluralign.errors import InputError

    with pytest.raises(InputError, match="beside --reward it judges a pole target only"):
        AlignConfig(target="traditional", reward="runs/learned", eval_judge="hf:Qwen/Qwen2.5-0.5B-Instruct")
    AlignConfig(target="pole:traditional", reward="runs/learned", eval_judge="hf:Qwen/Qwen2.5-0.5B-Instruct")


@pytest.mark.parametrize("case", ["no reward", "same judge", "seeds", "shared people"])
def test_an_evaluation_that_is_not_independent_is_refused_in_one_line(reward_run, tmp_path, case):
    args = {"no reward": ["--target", "pole:traditional", "--eval-reward", str(reward_run)],
            "same judge": ["--target", "pole:traditional", "--eval-judge", "embedded"],
            "seeds": ["--reward", str(reward_run), "--target", "traditional", "--seeds", "0"],
            "shared people": ["--reward", str(reward_run), "--target", "traditional", "--eval-reward", str(reward_run)],
            }[case]
    result = invoke("align", *args, "--prompts", str(_prompts(tmp_path)), "--limit", "4", "--audit", "none",
                    "--survey", "none", "--overton-prompts", "0", "--out", str(tmp_path / "a"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert {"no reward": "--eval-reward judges a learn run's rewards independently: give --reward too",
            "same judge": "--eval-placer embedded is the placer that picked the training pairs",  # given as --eval-judge
            "seeds": "seeds must be at least 1",
            "shared people": "learned from 24 of the people --reward"}[case] in result.stderr


@pytest.mark.slow
def test_align_judges_with_a_reward_cross_fitted_on_held_out_people_and_shows_the_spread_between_seeds(
        reward_run, tmp_path):
    """Two trainings of one step on 2 prompts' pairs, each judged on 2 held-out prompts by the training reward and by
    the reward run fitted again on the 5 people it held out of fitting; resuming retrains nothing."""
    out = tmp_path / "crossfit"
    args = ["align", "--reward", str(reward_run), "--target", "traditional", "--eval-reward", "held-out", "--seeds", "2",
            "--prompts", str(_prompts(tmp_path)), "--limit", "4", "--eval-share", "0.5", "--k", "2", "--steps", "1",
            "--batch-size", "2", "--max-tokens", "8", "--audit", "none", "--survey", "none", "--overton-prompts", "0",
            "--no-cache", "-q", "--out", str(out)]
    result = invoke(*args)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    keys = {r["key"] for r in records}
    assert {"trained", "trained|1", "independent", "independent|1"} <= keys
    assert (out / "model").is_dir() and (out / "seeds" / "1" / "model").is_dir()
    assert (out / "seeds" / "1" / "judge" / "verdicts.parquet").exists()
    independent = next(r for r in records if r["key"] == "independent")
    assert "held out of fitting" in independent["judged_by"] and "5 people" in independent["judged_by"]
    # each training's refits are drawn with its own seed, and the record says which
    assert independent["refit_seed"] == 0
    assert next(r for r in records if r["key"] == "independent|1")["refit_seed"] == 1
    summary = pd.read_parquet(out / "summary.parquet")
    assert set(summary.evaluation) == {"training reward", "independent"}
    both = summary.set_index(["evaluation", "reward"])
    # the 5 held-out people split over the two groups, so one group's reward rests on fewer than 3: no interval, no
    # verdict, and its check fires
    people = dict(zip(independent["refit"], independent["refit_people"]))
    assert sum(people.values()) == 5 and min(people.values()) < 3
    for reward, n in people.items():
        row = both.loc[("independent", reward)]
        assert row.people == n and np.isnan(row.ci_low) == (n < 3) and (n >= 3 or row.p == 1.0)
    checks = pd.read_parquet(out / "metrics.parquet").query("metric == 'few_judging_people'")
    assert sorted(checks.value) == sorted(people.values())
    assert "(few_judging_people)" in result.stdout
    assert both.loc[("independent", "traditional"), "target"] and both.loc[("independent", "traditional"), "n"] == 2
    # the independent reward is another fit: its scores of the same answers are not the training reward's
    answers = pd.read_parquet(out / "judge" / "answers.parquet").query("role == 'model'").set_index("prompt_id")
    column = independent["names"].index("traditional")
    heads = next(json.loads(line) for line in (out / "judge" / "records.jsonl").read_text().splitlines()
                 if json.loads(line)["kind"] == "rewards")
    training = [answers.loc[p, "rewards"][heads["names"].index("traditional")] for p in independent["prompt_id"]]
    assert not np.allclose(training, np.asarray(independent["model"])[:, column])
    # each row's spread is the sd and range of its win rate over the two seeds' judgements
    seeds = pd.read_parquet(out / "seeds.parquet")
    assert set(seeds.seed) == {0, 1} and set(seeds.evaluation) == {"training reward", "independent"}
    for (evaluation, reward), part in seeds.groupby(["evaluation", "reward"]):
        row = both.loc[(evaluation, reward)]
        assert row.seeds == 2 and row.seed_sd == pytest.approx(np.std(part.win_rate, ddof=1))
        assert (row.seed_low, row.seed_high) == (part.win_rate.min(), part.win_rate.max())
    first = seeds.query("seed == 0 and evaluation == 'training reward'").set_index("reward").win_rate
    assert both.loc[("training reward", "traditional"), "value"] == pytest.approx(first["traditional"])
    assert "between seeds" in result.stdout and "independent: judged by" in result.stdout
    report = (out / "report.html").read_text()
    assert "between seeds: sd [range]" in report and "<td>independent</td>" in report
    lines = (out / "records.jsonl").read_text().count("\n")
    assert invoke(*args).returncode == 0 and (out / "records.jsonl").read_text().count("\n") == lines


@pytest.mark.slow
def test_align_judges_with_a_learn_run_of_other_people_and_another_judge_model_through_the_cli(
        reward_run, other_people_run, tmp_path):
    """--eval-reward RUN and --eval-judge MODEL end to end in one training of one step toward a pole (the base model
    places the pole for the pairs): the rewards 10 other people taught and the pole as llama.cpp's copy of the
    embedded model places it judge the same 2 held-out answers beside the training rewards. The learned rows'
    intervals and verdicts come from refits on resamples of those people (the record keeps each refit's signs), the
    pole's from the prompts; llama.cpp's copy runs the placer's own weights (the embedded GGUF), so the pole's row is
    marked "same weights, not independent". What align prints fits 80 columns. The before-and-after stages are left
    out: the end-to-end gain test in test_align.py measures them (and their table at 80 columns)."""
    out = tmp_path / "other"
    result = invoke("align", "--reward", str(reward_run), "--target", "pole:traditional", "--eval-reward",
                    str(other_people_run), "--eval-judge", "llamacpp:embedded", "--prompts", str(_prompts(tmp_path)),
                    "--limit", "4", "--eval-share", "0.5", "--k", "2", "--steps", "1", "--batch-size", "2",
                    "--max-tokens", "8", "--audit", "none", "--survey", "none", "--overton-prompts", "0", "--no-cache",
                    "-q", "--out", str(out), env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    record = next(json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()
                  if json.loads(line)["key"] == "independent")
    assert record["names"] == ["liberal", "traditional", "pole:traditional"] and record["poles"] == [False, False, True]
    assert record["judged_by"] == (f"{other_people_run}, learned on 8 other people; the value poles placed by "
                                   "llamacpp:embedded, the same weights as embedded, which placed them for the "
                                   "training pairs: not independent")
    assert record["same_weights"] == ["pole:traditional"]  # the embedded GGUF under another spec
    refits = np.asarray(record["refits"])
    assert record["refit"] == ["liberal", "traditional"] and refits.shape == (200, 2, 2)
    summary = pd.read_parquet(out / "summary.parquet").set_index(["evaluation", "reward"])
    independent = summary.loc["independent"]
    assert set(independent.index) == {"traditional", "liberal", "worst reward"}
    # before, the pole placed by llama.cpp's copy of the placer's own weights was an "independent" row
    assert summary.loc[("same weights, not independent", "pole:traditional"), "target"]
    assert summary.loc[("same weights, not independent", "pole:traditional"), "n"] == 2
    # a learned row's interval is the spread of its win rate over the refits, each on a resample of the 2 prompts
    from pluralign.align.refit import refit_tests

    margins = np.subtract(record["model"], record["against"])[:, :2]
    rows, tests = refit_tests(np.sign(margins), refits, ["liberal", "traditional"], 0.05, seed=0)
    liberal = rows[rows.metric == "win_rate"].set_index("group").loc["liberal"]  # the worst's row may be liberal's too
    assert (independent.loc["liberal", "ci_low"], independent.loc["liberal", "ci_high"]) == (liberal.ci_low,
                                                                                            liberal.ci_high)
    from pluralign.metrics.multiple import holm

    # the pole is the target: the learned rewards are the family that can lose, Holm-adjusted together
    assert independent.loc["liberal", "p"] == pytest.approx(holm(tests.loss_p)[0])
    assert summary.loc[("training reward", "pole:traditional"), "judged_by"].endswith("placed by embedded")
    assert "independent: judged by" in result.stdout and "llamacpp:embedded" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80, result.stdout


def test_a_reward_learned_from_too_few_people_gets_no_interval_and_no_verdict():
    """Rewards a and b: every refit prefers every tuned answer. a was learned from 5 people, b from 2 (fewer than
    FEW_PEOPLE): a keeps its interval and its gain (p 1/201), b gets no interval and p-values of 1, so neither "gained"
    nor "lost" can be said of it, and the worst row, whose least takes b in, no interval either."""
    from pluralign.align.refit import refit_tests

    replicates = np.ones((200, 4, 2), dtype=int)
    rows, tests = refit_tests(np.ones((4, 2)), replicates, ["a", "b"], 0.05, seed=0, people=[5, 2])
    rates = rows.set_index(["metric", "group"])
    assert (rates.loc[("win_rate", "a"), "ci_low"], rates.loc[("win_rate", "a"), "ci_high"]) == (1.0, 1.0)
    assert rates.loc[("win_rate", "b"), ["ci_low", "ci_high"]].isna().all()
    assert rates.loc[("win_rate", "b"), "value"] == 1.0  # the point estimate is still shown
    assert rows.query("metric == 'maxmin_win_rate'")[["ci_low", "ci_high"]].isna().all(axis=None)
    assert tests.loc["a", "gain_p"] == pytest.approx(1 / 201)
    assert (tests.loc["b", "gain_p"], tests.loc["b", "loss_p"]) == (1.0, 1.0)
    # the same refits with enough people behind b: its verdict comes back
    _, enough = refit_tests(np.ones((4, 2)), replicates, ["a", "b"], 0.05, seed=0, people=[5, 3])
    assert enough.loc["b", "gain_p"] < 0.05


def test_the_few_judging_people_check_fires_below_three_people_and_names_the_reward():
    from pluralign.align.refit import people_checks
    from pluralign.metrics.checks import check_results

    results = check_results(pd.DataFrame(people_checks(["liberal", "traditional"], [2, 3]))).set_index("group")
    assert results.loc["liberal", "fires"] and not results.loc["traditional", "fires"]
    assert "liberal was learned from 2 people" in results.loc["liberal", "evidence"]


def test_a_refit_verdict_on_one_person_calls_gains_where_no_one_gains_so_align_draws_none():
    """Seeded simulation (crossfit_sim, plain design: people alike, each choice between answers of its own): no one
    gains, and the cross-fitted reward is learned from the choices of 1 or 3 people. Resampling one person draws them
    whole every time, so the bootstrap sees none of the reward's noise and calls a gain as often as the sign test over
    prompts (measured: 19.5% of 200 runs, the sign test 19.5%); from 3 people it holds its 5% (3.6% of 1,000 runs in
    benchmarks/RESULTS.md; here 400). Align draws no verdict below 3 people (FEW_PEOPLE)."""
    one = simulate(0.0, runs=200, seed=0, people=32, held_out=1, replicates=200)
    assert one.gained_bare.mean() > 0.1 and not one.gained_refit.any()
    three = simulate(0.0, runs=400, seed=0, people=32, held_out=3, replicates=200)
    assert three.gained_bare.mean() <= 0.05 and (three.gained_refit == three.gained_bare).all()


@pytest.mark.parametrize("estimator", ["group", "bt"])
def test_the_refits_fitted_at_once_are_the_separate_fits_of_each_resample(estimator):
    """CrossFit.refits fits all its resamples as one L-BFGS problem (``fit_resamples``); each refit must be the fit of
    its own resample's rows, drawn as one by one: here 10 refits of 8 people's 10 choices each among 20 shared prompts
    (people and prompts resampled; 128 simulated features), as a group reward (2 groups) and as one shared reward.
    Largest difference measured: 6.4e-5 (group) and 2.4e-5 (bt), the separate fits' own stopping error (on 768
    features and 200 refits, up to 1.5e-4: benchmarks/RESULTS.md); two resamples' refits differ by over 0.3, so
    refits of other resamples (another draw, the counts ignored) fail it."""
    from pluralign.embed import SentenceEmbedder
    from pluralign.estimators.crossfit import CrossFit, crossed_resample
    from pluralign.estimators.reward import GroupRewards, reward_heads
    from pluralign.learn import BradleyTerry, GroupBradleyTerry

    choices = choice_data(np.zeros(128), 8, 10, np.random.default_rng(0), learn_prompts=20)
    choices.group = np.where(choices.annotator % 2, "a", "b")
    make = GroupBradleyTerry if estimator == "group" else BradleyTerry
    fit = CrossFit(GroupRewards(make().fit(choices), SentenceEmbedder()), choices, make, 8)
    batched = fit.refits(10, seed=3)
    rng = np.random.default_rng([3, 1])  # refits' own stream of seed 3
    separate = np.empty_like(batched)
    for b in range(10):
        names, coef, _ = reward_heads(make().fit(choices.subset(crossed_resample(choices, rng))))
        separate[b] = coef[[names.index(n) for n in fit.rewards.names]]
    assert np.abs(batched - separate).max() < 5e-4
    assert np.abs(np.diff(batched, axis=0)).max() > 0.1  # the resamples differ, and so do their refits


def test_the_refits_follow_the_training_seed_and_the_record_says_which():
    """A record scored for the training of seed 1 holds the refits of seed 1 (their first 20 are the first 20 that
    seed draws, not seed 0's: a reward learned from 8 people choosing at random, whose refits disagree on the
    margins), says so (refit_seed), and counts the people behind each reward (a group's own for a group reward); the
    summary reads its prompts' draws from the record's seed, so rebuilding it reproduces it."""
    from dataclasses import replace

    from pluralign.align.independent import IndependentRewards, independent_summary, scored_record
    from pluralign.align.refit import judging_people, refit_signs, refit_tests
    from pluralign.embed import SentenceEmbedder
    from pluralign.learn import BradleyTerry
    from pluralign.estimators.crossfit import CrossFit
    from pluralign.learn.reward import GroupRewards

    choices = choice_data(np.zeros(768), 8, 10, np.random.default_rng(0))  # the embedder's interaction features
    fit = CrossFit(GroupRewards(BradleyTerry().fit(choices), SentenceEmbedder()), choices, BradleyTerry, 8)
    scorer = IndependentRewards([(fit.rewards.names, fit.rewards, False)], "8 other people", fit)
    tuned, base = [*TRADITIONAL, *LIBERAL], [*LIBERAL, *TRADITIONAL]
    answers = pd.DataFrame([{"prompt_id": f"p{i}", "prompt": "How should I live?", "role": role, "text": text}
                            for i, pair in enumerate(zip(tuned, base))
                            for role, text in zip(("model", "against"), pair)])
    record = scored_record("independent|1", answers, scorer, seed=1)
    assert record["refit_seed"] == 1 and record["refit"] == ["everyone"] and record["refit_people"] == [8]
    contexts = ["How should I live?"] * len(tuned)
    first = np.asarray(record["refits"])[:20]
    assert (first == refit_signs(fit, ["everyone"], contexts, tuned, base, seed=1, replicates=20)).all()
    assert not (first == refit_signs(fit, ["everyone"], contexts, tuned, base, seed=0, replicates=20)).all()
    summary = independent_summary(record, "everyone", 0.05, seed=0).set_index("reward")
    rows, _ = refit_tests(np.sign(np.subtract(record["model"], record["against"])), np.asarray(record["refits"]),
                          ["everyone"], 0.05, 1, [8])
    expected = rows.set_index("metric").loc["win_rate"]
    assert (summary.loc["everyone", "ci_low"], summary.loc["everyone", "ci_high"]) == (expected.ci_low,
                                                                                      expected.ci_high)
    assert summary.loc["everyone", "people"] == 8
    # a group reward counts its own group's people; one shared reward everyone's
    grouped = replace(fit, choices=replace(choices, group=np.where(choices.annotator < 2, "a", "b")))
    assert judging_people(grouped, ["a", "b", "everyone"]) == [2, 6, 8]
