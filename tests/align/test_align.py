"""`pluralign align`: DPO with LoRA through TRL on the embedded model toward one group's learned reward, then judged
against the base on held-out prompts under every reward."""

from __future__ import annotations

import json

import pandas as pd
import pytest

TOPICS = ["my career", "where to live", "whom to marry", "my religion", "my parents' expectations", "my free time",
          "how to raise my children", "what to study", "my holidays", "my savings", "my friendships", "my neighbours"]


def _prompts(folder):
    path = folder / "prompts.jsonl"
    rows = [{"id": f"{kind}{i}", "text": text.format(t), "language": "en"} for i, t in enumerate(TOPICS)
            for kind, text in (("a", "How should I decide about {}?"), ("b", "I am unsure about {}. What would you advise?"))]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.slow
def test_align_trains_toward_a_groups_reward_and_judges_every_reward_on_held_out_prompts(cli, reward_run, tmp_path):
    out = tmp_path / "tuned"
    args = ["align", "--reward", str(reward_run), "--target", "traditional", "--prompts", str(_prompts(tmp_path)),
            "--eval-share", "0.5", "--steps", "8", "--max-tokens", "32", "--no-cache", "-q", "--out", str(out)]
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    pairs = pd.read_json(out / "pairs.jsonl", lines=True)
    assert 0 < len(pairs) <= 12 and set(pairs.target) == {"traditional"} and (pairs.margin > 0).all()
    curve = pd.read_parquet(out / "curve.parquet")
    assert len(curve) == 8 and curve.loss.iloc[-1] < curve.loss.iloc[0]
    summary = pd.read_parquet(out / "summary.parquet").set_index("reward")
    assert summary.loc["traditional", "target"] and summary.loc["traditional", "n"] == 12
    assert set(summary.index) == {"traditional", "liberal"} and not summary.loc["liberal", "target"]
    assert ((summary.ci_low <= summary.value) & (summary.value <= summary.ci_high)).all()
    assert (summary.lost == (summary.value < 0.5 - 0.05)).all()
    assert "Who gained, who lost" in (out / "report.html").read_text()
    # the tuned model is a transformers checkpoint any hf: spec loads
    from pluralign.models import load
    from pluralign.models.base import GenerateRequest

    assert load(f"hf:{out / 'model'}").generate([GenerateRequest("Hello", max_tokens=4)])[0][0]
    lines = (out / "records.jsonl").read_text().count("\n")
    assert cli(*args).returncode == 0 and (out / "records.jsonl").read_text().count("\n") == lines


@pytest.mark.parametrize("case", ["target", "model", "job"])
def test_align_refuses_bad_inputs_in_one_line(cli, reward_run, tmp_path, case):
    target, model, reward = "traditional", "embedded", str(reward_run)
    if case == "target":
        target = "nobody"
    elif case == "model":
        model = "openai:http://127.0.0.1:9/v1#m"
    else:
        reward = str(tmp_path)
    result = cli("align", "--reward", reward, "--target", target, "--model", model, "--out", str(tmp_path / "a"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert {"target": "has no reward named 'nobody'; it has: liberal, traditional", "model": "cannot be trained",
            "job": "not a pluralign run"}[case] in result.stderr
