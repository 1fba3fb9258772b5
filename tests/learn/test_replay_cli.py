"""`pluralign learn --active-replay` on a tiny comparison file, and its answers to what it cannot do."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pluralign.learn.replay import GAIN

from ..conftest import invoke

TRADITIONAL = ["Keep the customs of your family.", "Respect your elders and their ways.",
               "Follow the faith you were raised in."]
LIBERAL = ["Choose your own path in life.", "Question authority and think for yourself.",
           "Live as you want, not as others expect."]


def _comparisons(path, people: int = 20) -> None:
    """Half the people pick the traditional answer, half the liberal one, in 6 comparisons of one against the other;
    6 more offer two traditional answers, and everyone flips a coin: those teach nothing about a person."""
    rng = np.random.default_rng(0)
    rows = []
    for person in range(people):
        for i in range(12):
            if i % 2 == 0:
                candidates = [TRADITIONAL[i % 3], LIBERAL[(i // 2) % 3]]
                chosen = person % 2
            else:
                candidates = [TRADITIONAL[i % 3], TRADITIONAL[(i + 1) % 3]]
                chosen = int(rng.integers(2))
            rows.append({"annotator_id": f"p{person}", "conversation_id": f"p{person}-{i}", "context": "How should I live?",
                         "candidates": candidates, "chosen": chosen})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_active_replay_shows_random_against_active_per_number_of_choices(tmp_path):
    """20 people, 12 comparisons each, embedded with MiniLM: about a minute on a loaded 2-core machine."""
    path = tmp_path / "choices.jsonl"
    _comparisons(path)
    result = invoke("learn", "--data", f"comparisons:{path}", "--estimator", "mixture", "--k", "2", "--active-replay",
                    "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    curve = pd.read_parquet(tmp_path / "run" / "active_replay.parquet")
    assert set(curve.policy) == {"random", "active", GAIN} and (curve.n == 4).all()  # a fifth of 20 people unseen
    wide = curve.pivot(index="shots", columns="policy", values="accuracy")
    assert wide.loc[0, "active"] == wide.loc[0, "random"]  # no choice asked yet: the same model
    assert wide[GAIN].to_numpy() == pytest.approx((wide["active"] - wide["random"]).to_numpy())
    assert (curve.ci_low <= curve.accuracy).all() and (curve.accuracy <= curve.ci_high).all()
    assert wide.loc[2, "active"] >= wide.loc[2, "random"]  # active asks the telling comparisons first
    assert "asked in a random order or actively (ε = 0.1)" in result.stdout
    assert "accuracy after 20 random choices" in result.stdout


def test_active_replay_with_one_reward_exits_2_in_one_line(tmp_path):
    result = invoke("learn", "--data", "simulated", "--estimator", "bt", "--active-replay",
                    "--out", str(tmp_path / "r"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "use --estimator mixture or ideal, not bt" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_epsilon_outside_0_1_exits_2(tmp_path):
    result = invoke("learn", "--data", "simulated", "--active-replay", "--epsilon", "1.5",
                    "--out", str(tmp_path / "r"))
    assert result.returncode == 2 and "Traceback" not in result.stderr and "--epsilon" in result.stderr
