"""A learned group reward as a TRL reward function: the same numbers as GroupRewards, and a real GRPO step with it."""

from __future__ import annotations

import pytest

from pluralign.estimators.reward import GroupRewards
from pluralign.learn.job import LearnConfig, run_learn

from ..conftest import invoke
from .conftest import LIBERAL, TRADITIONAL


def test_the_trl_reward_function_gives_the_groups_reward_for_plain_and_chat_completions(reward_run):
    rewards = GroupRewards.from_run(reward_run)
    traditional = rewards.reward_function("traditional")
    texts = [TRADITIONAL[0], LIBERAL[0]]
    expected = rewards(["How should I live?"] * 2, texts)[:, rewards.names.index("traditional")]
    chat = traditional([[{"role": "user", "content": "How should I live?"}]] * 2,
                       [[{"role": "assistant", "content": t}] for t in texts])
    assert traditional(["How should I live?"] * 2, texts) == pytest.approx(expected) == chat
    assert chat[0] > chat[1] and traditional.__name__ == "pluralign_traditional"
    with pytest.raises(ValueError, match="no reward named 'nobody'; there are: liberal, traditional"):
        rewards.reward_function("nobody")


@pytest.mark.slow
def test_trls_grpo_trainer_optimises_a_learned_reward(reward_run, tmp_path):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from pluralign.models.spec import checkpoint, parse_spec

    traditional = GroupRewards.from_run(reward_run).reward_function("traditional")
    prompts = [[{"role": "user", "content": q}] for q in ("How should I live?", "What should I value?")]
    # On the CPU as align trains (align/train.py): fp32 and no gradient checkpointing, not TRL's bf16 and
    # checkpointing defaults, and no checkpoint written at the end, since what is checked is the step's log.
    args = GRPOConfig(output_dir=str(tmp_path), max_steps=1, per_device_train_batch_size=4, num_generations=4,
                      max_completion_length=8, logging_steps=1, report_to=[], use_cpu=True, disable_tqdm=True,
                      bf16=False, gradient_checkpointing=False, save_strategy="no")
    trainer = GRPOTrainer(model=str(checkpoint(parse_spec("embedded"))), reward_funcs=[traditional], args=args,
                          train_dataset=Dataset.from_dict({"prompt": prompts}))
    trainer.train()
    logged = trainer.state.log_history[0]
    assert "rewards/pluralign_traditional/mean" in logged and logged["rewards/pluralign_traditional/std"] > 0


def test_export_pairs_keeps_each_persons_columns_and_their_latent_type(reward_run, tmp_path):
    import pandas as pd

    folder, mixture = reward_run.parent, tmp_path / "mixture"
    run_learn(LearnConfig(data=f"comparisons:{folder / 'choices.jsonl'}", annotators=str(folder / "people.csv"),
                          estimator="mixture", k=2), mixture, progress=False)  # in this process: export-pairs is tested
    assert invoke("export-pairs", "--reward", str(mixture), "--out", str(tmp_path / "pairs.jsonl")).returncode == 0
    pairs = pd.read_json(tmp_path / "pairs.jsonl", lines=True)
    assert len(pairs) == 24 * 16  # two candidates per choice: one pair each
    assert {"prompt", "chosen", "rejected", "annotator_id", "side", "type", "weight: type 0", "weight: type 1"} <= set(pairs)
    assert (pairs[["weight: type 0", "weight: type 1"]].sum(axis=1) - 1).abs().max() < 1e-9
    # the mixture finds the two sides: the people it was fitted on share a type with their own side only
    majority = pairs.groupby("side")["type"].agg(lambda t: t.mode()[0])
    assert majority["traditional"] != majority["liberal"]
    chosen_traditional = pairs.chosen.map(lambda m: m[0]["content"] in TRADITIONAL)
    assert (chosen_traditional == (pairs.side == "traditional")).all()
    # a group run has no types to add; an existing file is kept
    again = invoke("export-pairs", "--reward", str(reward_run), "--out", str(tmp_path / "pairs.jsonl"))
    assert again.returncode == 2 and "exists" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert invoke("export-pairs", "--reward", str(reward_run), "--out", str(tmp_path / "group.jsonl")).returncode == 0
    assert "type" not in pd.read_json(tmp_path / "group.jsonl", lines=True)


def test_a_learn_runs_manifest_records_the_card_of_its_data_and_export_pairs_warns_of_nothing(reward_run, tmp_path):
    from pluralign.runs import read_manifest

    assert read_manifest(reward_run)["data_cards"] == [
        {"card": "comparisons", "name": "choices in our long columns", "licence": "the file's own", "restrictions": {}}]
    exported = invoke("export-pairs", "--reward", str(reward_run), "--out", str(tmp_path / "pairs.jsonl"))
    assert exported.returncode == 0 and "warning:" not in exported.stderr
