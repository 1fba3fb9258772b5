"""`pluralign learn` end to end, and its answers to bad data."""

from __future__ import annotations

import json

import pandas as pd


def test_learn_on_a_simulated_population_beats_one_reward(cli, tmp_path):
    result = cli("learn", "--data", "simulated", "--estimator", "mixture", "--out", str(tmp_path / "run"))
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
    assert "The three splits side by side" in report and "worst group (n ≥ 20)" in report
    curve = pd.read_parquet(tmp_path / "run" / "learning_curve.parquet")
    assert curve["shots"].tolist() == [0, 5, 10, 20] and curve["accuracy"].iloc[2] > curve["accuracy"].iloc[0]
    assert "unseen people: 0-shot" in result.stdout
    ari = metrics[metrics.metric == "type_recovery_ari"]
    assert len(ari) == 1 and ari["value"].iloc[0] > 0.5  # four simulated types, well separated
    assert "latent types recovered (adjusted Rand index" in result.stdout
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["status"] == "complete"


def test_learn_with_a_chosen_index_out_of_range_exits_2(cli, tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"annotator_id": "a", "context": "Q?", "candidates": ["x", "y"], "chosen": 5}) + "\n")
    result = cli("learn", "--data", f"comparisons:{path}", "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert "row 1, column 'chosen': chosen index 5 is out of range for 2 candidates" in result.stderr
    assert "Traceback" not in result.stderr


def test_learn_with_an_unknown_data_kind_exits_2(cli, tmp_path):
    result = cli("learn", "--data", "helpsteer:x.jsonl", "--out", str(tmp_path / "run"))
    assert result.returncode == 2 and "--data takes ca:FILE, prism:FILE|DIR, comparisons:FILE, trl:FILE or simulated" in result.stderr


def test_learn_says_what_distinguishes_each_type(cli, tmp_path):
    """Half the people always pick the traditional answer, half the liberal one: the two types' most distinctive
    candidates are each one side's answers."""
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
    result = cli("learn", "--data", f"comparisons:{path}", "--estimator", "mixture", "--k", "2", "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    distinctive = pd.read_parquet(tmp_path / "run" / "distinctive.parquet")
    sides = [set(part["text"]) for _, part in distinctive.groupby("type")]
    assert len(sides) == 2 and all(len(side) == 3 for side in sides)
    assert sorted(side <= set(traditional) for side in sides) == [False, True]
    assert any(side <= set(liberal) for side in sides)
    assert "What distinguishes each type" in (tmp_path / "run" / "report.html").read_text()


def test_learn_trains_on_the_later_choices_of_rankings_and_scores_first_choices(cli, tmp_path):
    """People rank four answers (a CSV comparison table, rankings as JSON): learn trains on every choice a ranking
    states, two more per comparison here, while its held-out metrics count the comparisons alone; --no-rankings
    trains on the same comparisons' first choices."""
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
    path = tmp_path / "ranked.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    runs = {}
    for flag in ("--rankings", "--no-rankings"):
        result = cli("learn", "--data", f"comparisons:{path}", "--estimator", "bt", flag, "--out", str(tmp_path / flag))
        assert result.returncode == 0, result.stderr
        records = [json.loads(line) for line in (tmp_path / flag / "records.jsonl").read_text().splitlines()]
        runs[flag] = (result.stdout, next(r for r in records if r["key"] == "fit|model"),
                      pd.read_parquet(tmp_path / flag / "metrics.parquet"), (tmp_path / flag / "report.html").read_text())
    stdout, fit, metrics, report = runs["--rankings"]
    # two later choices per ranked comparison in training; the one unranked comparison may be among them
    assert fit["later_choices"] in (2 * fit["comparisons"], 2 * (fit["comparisons"] - 1))
    assert f"trained on {fit['comparisons']} comparisons and {fit['later_choices']} later choices" in stdout
    assert f"{fit['later_choices']} later choices their people's rankings state" in report
    plain_stdout, plain_fit, plain_metrics, plain_report = runs["--no-rankings"]
    assert plain_fit["comparisons"] == fit["comparisons"] and plain_fit["later_choices"] == 0
    assert "later choices" not in plain_stdout and "rankings were not used" in plain_report
    counted = ["split", "metric", "grouping", "group", "n"]
    assert metrics[counted].equals(plain_metrics[counted])  # the same held-out comparisons, counted alike


def test_learn_with_a_ranking_that_does_not_start_with_the_choice_exits_2(cli, tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame([{"annotator_id": "a", "context": "Q?", "candidates": '["x", "y", "z"]', "chosen": 0,
                   "ranking": "[1, 0, 2]"}]).to_csv(path, index=False)
    result = cli("learn", "--data", f"comparisons:{path}", "--out", str(tmp_path / "run"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{path}, row 1, column 'ranking': ranking [1, 0, 2] must list offered candidates [0, 1, 2]" in result.stderr
