"""`pluralign learn` end to end, and its answers to bad data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pluralign.learn.job import LearnConfig, run_learn
from pluralign.metrics.registry import metric_info

from ..conftest import invoke


def test_learn_on_a_simulated_population_beats_one_reward(tmp_path):
    result = invoke("learn", "--data", "simulated", "--estimator", "mixture", "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    metrics = pd.read_parquet(tmp_path / "run" / "metrics.parquet")
    splits = ["unseen conversations", "unseen prompts", "unseen people, 0-shot"]
    accuracy = metrics[(metrics.metric == "accuracy") & (metrics.grouping == "overall")]
    assert sorted(map(tuple, accuracy[["model", "split"]].to_numpy())) == sorted(
        (m, s) for m in ("BradleyTerry (one reward)", "MixtureBradleyTerry") for s in splits)
    held = metrics[(metrics.split == "unseen conversations") & (metrics.metric == "worst_group_accuracy")].set_index("model")
    assert held.loc["MixtureBradleyTerry", "value"] > held.loc["BradleyTerry (one reward)", "value"] + 0.2
    assert (metrics[metrics.metric == "worst_group_accuracy"]["n"] >= 20).all()
    assert "worst group: the least accurate of the groups with at least 20 people" in result.stdout
    report = (tmp_path / "run" / "report.html").read_text()
    # min_n counts people, as the code does (before, the page said "n ≥ 20" beside a column of choices and the
    # registry said "groups of at least min_n (default 20) choices")
    assert "The three splits side by side" in report and "worst group (≥ 20 people)" in report
    assert "20) people with held-out choices" in metric_info("worst_group_accuracy").description
    gain = metrics[metrics.metric == "accuracy_gain"]
    assert sorted(gain.split) == sorted(splits) and set(gain.model) == {"MixtureBradleyTerry"}
    assert "accuracy − shared reward (paired)" in report
    curve = pd.read_parquet(tmp_path / "run" / "learning_curve.parquet")
    assert curve["shots"].tolist() == [0, 5, 10, 20] and curve["accuracy"].iloc[2] > curve["accuracy"].iloc[0]
    assert "unseen people (40): 0-shot" in result.stdout and "Accuracy on 40 unseen people" in report
    ari = metrics[metrics.metric == "type_recovery_ari"]
    assert len(ari) == 1 and ari["value"].iloc[0] > 0.5  # four simulated types, well separated
    assert "latent types recovered (adjusted Rand index" in result.stdout
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["status"] == "complete"


def test_learn_with_a_chosen_index_out_of_range_exits_2(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"annotator_id": "a", "context": "Q?", "candidates": ["x", "y"], "chosen": 5}) + "\n")
    result = invoke("learn", "--data", f"comparisons:{path}", "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert "row 1, column 'chosen': chosen index 5 is out of range for 2 candidates" in result.stderr
    assert "Traceback" not in result.stderr


def test_learn_with_an_unknown_data_kind_exits_2(tmp_path):
    result = invoke("learn", "--data", "helpsteer:x.jsonl", "--out", str(tmp_path / "run"))
    assert result.returncode == 2 and "--data takes ca:FILE, prism:FILE|DIR, comparisons:FILE, trl:FILE or simulated" in result.stderr


def test_learn_says_what_distinguishes_each_type(tmp_path):
    """Half the people always pick the traditional answer, half the liberal one: the two types' most distinctive
    candidates are each one side's answers. The job runs in this process: what is checked is what it writes, and a
    command's process would spend 7 of its 8 CPU seconds importing torch and loading the embedder again."""
    traditional = ["Keep the customs of your family.", "Respect your elders and their ways.",
                   "Follow the faith you were raised in.", "Honour the traditions of your country."]
    liberal = ["Choose your own path in life.", "Question authority and think for yourself.",
               "Live as you want, not as others expect.", "Personal freedom matters most."]
    rows = []
    for person in range(24):
        for i in range(16):
            pair = [traditional[i % 4], liberal[(i // 4) % 4]]
            first = i % 2
            candidates = [pair[first], pair[1 - first]]
            wanted = pair[0] if person % 2 == 0 else pair[1]
            rows.append({"annotator_id": f"p{person}", "context": "How should I live?", "candidates": candidates,
                         "chosen": candidates.index(wanted)})
    path = tmp_path / "choices.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run_learn(LearnConfig(data=f"comparisons:{path}", estimator="mixture", k=2), tmp_path / "run", progress=False)
    distinctive = pd.read_parquet(tmp_path / "run" / "distinctive.parquet")
    sides = [set(part["text"]) for _, part in distinctive.groupby("type")]
    assert len(sides) == 2 and all(len(side) == 3 for side in sides)
    assert sorted(side <= set(traditional) for side in sides) == [False, True]
    assert any(side <= set(liberal) for side in sides)
    assert "What distinguishes each type" in (tmp_path / "run" / "report.html").read_text()


@pytest.fixture(scope="module")
def ranked_runs(tmp_path_factory) -> dict:
    """People rank four answers (a CSV comparison table, rankings as JSON), learned with --rankings and with
    --no-rankings: per flag, the output, the fit records, the metrics and the report."""
    answers = ["Keep the customs of your family.", "Choose your own path in life.", "Respect your elders.",
               "Question authority.", "Follow the faith you were raised in.", "Live as you want."]
    rows = []
    for person in range(20):
        for i in range(8):
            candidates = [answers[(i + j) % 6] for j in range(4)]
            ranking = sorted(range(4), key=lambda j: (j + person) % 4)
            rows.append({"annotator_id": f"p{person}", "conversation_id": f"p{person}-{i}", "context": json.dumps("Advice?"),
                         "candidates": json.dumps(candidates), "chosen": ranking[0], "ranking": json.dumps(ranking)})
    rows[3]["ranking"] = ""  # a comparison without a ranking is a plain choice
    tmp_path = tmp_path_factory.mktemp("ranked")
    path = tmp_path / "ranked.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    runs = {}
    for flag in ("--rankings", "--no-rankings"):
        result = invoke("learn", "--data", f"comparisons:{path}", "--estimator", "bt", flag, "--out", str(tmp_path / flag))
        assert result.returncode == 0, result.stderr
        records = [json.loads(line) for line in (tmp_path / flag / "records.jsonl").read_text().splitlines()]
        runs[flag] = (result.stdout, {r["role"]: r for r in records if r["kind"] == "fit"},
                      pd.read_parquet(tmp_path / flag / "metrics.parquet"), (tmp_path / flag / "report.html").read_text())
    return runs


def test_learn_trains_on_the_later_choices_of_rankings_and_scores_first_choices(ranked_runs):
    """Learn trains on every choice a ranking states, two more per comparison here, while its held-out metrics count
    the comparisons alone; --no-rankings trains on the same comparisons' first choices."""
    stdout, fits, metrics, report = ranked_runs["--rankings"]
    fit = fits["model"]
    # two later choices per ranked comparison in training; the one unranked comparison may be among them
    assert fit["later_choices"] in (2 * fit["comparisons"], 2 * (fit["comparisons"] - 1))
    assert f"trained on {fit['comparisons']} comparisons and {fit['later_choices']} later choices" in stdout
    assert f"{fit['later_choices']} later choices their people's rankings state" in report
    plain_stdout, plain_fits, plain_metrics, plain_report = ranked_runs["--no-rankings"]
    assert plain_fits["model"]["comparisons"] == fit["comparisons"] and plain_fits["model"]["later_choices"] == 0
    assert "later choices" not in plain_stdout and "rankings were not used" in plain_report
    counted = ["split", "metric", "grouping", "group", "n"]
    scored = metrics[~metrics.metric.str.startswith("rankings_")].reset_index(drop=True)
    assert scored[counted].equals(plain_metrics[counted])  # the same held-out comparisons, counted alike


def test_learn_with_rankings_shows_what_they_gain_over_first_choices_alone_on_the_same_held_out_choices(ranked_runs):
    """Before, a run with rankings could not say whether they helped: lower ranks are often noisier (Hausman & Ruud,
    1987). Now the estimator is fitted again on the first choices alone, exactly as --no-rankings fits it, and each
    split gets the paired gains in accuracy and log-loss; a run without rankings has neither."""
    stdout, fits, metrics, report = ranked_runs["--rankings"]
    _, plain_fits, plain_metrics, _ = ranked_runs["--no-rankings"]
    assert fits["first_choices"]["comparisons"] == fits["model"]["comparisons"]
    assert fits["first_choices"]["later_choices"] == 0 and set(plain_fits) == {"model"}
    overall = lambda table, metric: table[(table.metric == metric) & (table.grouping == "overall")].set_index("split")  # noqa: E731
    gains = overall(metrics, "rankings_accuracy_gain")
    assert list(gains.index) == list(overall(metrics, "accuracy").index) and (gains["model"] == "BradleyTerry").all()
    accuracy_gain = overall(metrics, "accuracy")["value"] - overall(plain_metrics, "accuracy")["value"]
    log_loss_gain = overall(plain_metrics, "log_loss")["value"] - overall(metrics, "log_loss")["value"]
    assert np.allclose(gains["value"], accuracy_gain[gains.index], atol=1e-9)
    assert np.allclose(overall(metrics, "rankings_log_loss_gain")["value"], log_loss_gain[gains.index], atol=1e-6)
    assert (gains["ci_low"] <= gains["value"]).all() and (gains["value"] <= gains["ci_high"]).all()
    assert not plain_metrics.metric.str.startswith("rankings_").any()
    assert "bt on rankings − on first choices alone (paired)" in stdout and "log-loss saved by rankings" in report
    assert metric_info("rankings_log_loss_gain").direction == "higher"


def test_learn_with_a_ranking_that_does_not_start_with_the_choice_exits_2(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame([{"annotator_id": "a", "context": "Q?", "candidates": '["x", "y", "z"]', "chosen": 0,
                   "ranking": "[1, 0, 2]"}]).to_csv(path, index=False)
    result = invoke("learn", "--data", f"comparisons:{path}", "--out", str(tmp_path / "run"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{path}, row 1, column 'ranking': ranking [1, 0, 2] must list offered candidates [0, 1, 2]" in result.stderr


def _pairs_without_annotators(path, pairs: int = 48) -> None:
    """TRL pairs on 12 prompts, with no annotator column (as HH-RLHF is released), and one pair with an empty reply."""
    kind = ["Help your neighbour first.", "Be honest even when it costs you.", "Share what you have."]
    rude = ["Do whatever you like.", "Nobody cares anyway.", "Lie if it helps you."]
    rows = [{"prompt": f"Question {i % 12}: what should I do?", "chosen": kind[i % 3], "rejected": rude[(i // 3) % 3]}
            for i in range(pairs)]
    rows.append({"prompt": "Question 0: what should I do?", "chosen": " ", "rejected": rude[0]})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_learn_without_annotator_ids_resamples_prompts_and_says_unseen_people_are_not_measured(tmp_path):
    """Before: one "anonymous" person, every interval [-inf, inf] ("no bound: too few items"), an empty unseen-people
    split in a raw UserWarning, BradleyTerry beside "BradleyTerry (one reward)" (the same fit twice), the Metrics
    table listing each row twice, "bt (k=4)" and the left-out pair as a raw UserWarning."""
    path = tmp_path / "pairs.jsonl"
    _pairs_without_annotators(path)
    result = invoke("learn", "--data", f"trl:{path}", "--out", str(tmp_path / "run"))  # the default estimator: auto
    assert result.returncode == 0, result.stderr
    assert "UserWarning" not in result.stderr
    assert result.stderr.count("an empty chosen or rejected reply") == 1
    assert f"note: trl:{path}: 1 left out (an empty chosen or rejected reply)" in result.stderr
    assert "intervals resample prompts, and unseen people cannot be measured" in " ".join(result.stderr.split())
    assert "learn: bt" in result.stdout and "(k=" not in result.stdout
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["config"]["estimator"] == "bt"  # auto: no people to tell apart
    assert manifest["left_out"] == {"an empty chosen or rejected reply": 1} and manifest["resampled"] == "prompts"
    metrics = pd.read_parquet(tmp_path / "run" / "metrics.parquet")
    assert set(metrics["model"]) == {"BradleyTerry"} and not (tmp_path / "run" / "baseline.npz").exists()
    assert set(metrics["split"]) == {"unseen conversations", "unseen prompts"}
    overall = metrics[(metrics.grouping == "overall") & metrics.metric.isin(["accuracy", "log_loss"])]
    assert len(overall) == 4 and np.isfinite(overall[["ci_low", "ci_high"]].to_numpy()).all()
    report = (tmp_path / "run" / "report.html").read_text()
    assert "(k=" not in report and "no bound" not in report and "(one reward)" not in report
    assert "Unseen people are not\nmeasured" in report and "resamples prompts" in report
    assert "The loader left out 1 row of" in report and "1 (an empty chosen or rejected reply)" in report
    table = report.split('<h2 id="metrics">')[1]
    assert table.count("<tr>") == 1 + 2 * 3  # a header, then accuracy, log_loss and ece of each split, once each


def test_learn_refuses_to_tell_people_apart_in_data_without_annotator_ids(tmp_path):
    path = tmp_path / "pairs.jsonl"
    _pairs_without_annotators(path, pairs=8)
    result = invoke("learn", "--data", f"trl:{path}", "--estimator", "mixture", "--out", str(tmp_path / "run"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "comes from one annotator (a file without annotator ids counts as one), so --estimator mixture has no " \
           "people to tell apart: use --estimator bt" in " ".join(result.stderr.split())
    assert not (tmp_path / "run").exists()
