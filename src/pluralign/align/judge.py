"""The judge job: whose preferences does a model's answer satisfy? Two models answer the same prompts; the rewards a
``learn`` run fitted (one per group, latent type or prototype) say, group by group, which answer each would choose.
Without a learn run, the four value poles are the rewards: a value placer places each answer on the value axes.

Answers are generated (greedy) and scored chunk by chunk into the run's records, each with its reward under every
group, so the job resumes after a crash and its tables rebuild from the records alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from ..data import prompts_from, read_cards
from ..jobs import Job, Summary
from ..metrics import write_metrics
from ..models.base import LanguageModel
from ..estimators.reward import GroupRewards
from ..runs import (
    Models, Run, RunError, fingerprint_table, in_chunks, progress_tasks, public_columns, read_manifest,
    read_records,
)
from ..candidates.placement import ValuePlacer
from ..candidates.samplers import IndependentSampler
from .config import JudgeConfig
from .core import judge_metrics, verdicts
from .report import ITEMS, pair_table, write_judge_report
from .summary import summarise_judge
from .targets import PoleRewards

CHUNK = 8  # prompts per generation call
ROLES = ("model", "against")


def run_judge(config: JudgeConfig, out: str | Path, *, fresh: bool = False, progress: bool = True,
              use_cache: bool = True, models: dict[str, LanguageModel] | None = None,
              rewards: GroupRewards | None = None) -> Summary:
    """Answer every prompt with both models, score each answer under every reward of ``config.reward`` (or every
    value pole), and write ``answers.parquet``, ``verdicts.parquet``, ``metrics.parquet`` and ``report.html`` into the
    run ``out``.

    Re-running with the same config resumes: answered prompts are not asked again. Returns the run's summary
    (``summarise_judge``)."""
    if rewards is None and config.reward:  # read before the run is made: a wrong path leaves nothing behind
        rewards = GroupRewards.from_run(config.reward)
    prompts = prompts_from(config.prompts, limit=config.limit)
    reward_file = hashlib.sha256((Path(config.reward) / "model.npz").read_bytes()).hexdigest()[:8] if config.reward \
        else "poles"
    run = Run(out, "judge", asdict(config), f"{fingerprint_table(prompts)}-{reward_file}", fresh=fresh,
              seed=config.seed)
    run.describe_data(data_cards=read_cards(prompts))
    opened = Models(run, given=models, use_cache=use_cache, template_from=config.template_from)
    if rewards is None:
        rewards = PoleRewards(ValuePlacer(opened(config.judge or config.against)))
    items = public_columns(prompts).to_dict("records")
    done = run.done_keys()
    with run.recording(), progress_tasks(progress) as tasks:
        if "rewards" not in done:
            run.append([{"key": "rewards", "kind": "rewards", "names": rewards.names,
                         "weights": rewards.weights.tolist()}])
        for role in ROLES:
            spec = getattr(config, role)
            sampler = IndependentSampler(opened(spec), 1, 0.0, config.max_tokens, config.chat, config.seed)

            def answered(block: list[dict], role=role, spec=spec, sampler=sampler) -> list[dict]:
                texts = [r["candidates"][0]["text"] for r in sampler.sample(block)]
                scores = rewards([p["text"] for p in block], texts)
                return [{"kind": "answer", "role": role, "model": spec, "prompt_id": str(p["id"]),
                         "language": p.get("language"), "prompt": p["text"], "text": t, "rewards": s.tolist()}
                        for p, t, s in zip(block, texts, scores)]

            in_chunks(run, done, [f"answer|{role}|{p['id']}" for p in items], items, answered,
                      tasks.add(f"answers of {spec[:24]}", len(items)), model=sampler.model, size=CHUNK)
    write_results(run.path)
    return summarise_judge(run.path)


def write_results(run_dir: str | Path) -> Path:
    """Rebuild a judge run's tables, metrics and report from its records; returns the report's path."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    records = read_records(run_dir)
    heads = next((r for r in records if r["kind"] == "rewards"), None)
    answers = pd.DataFrame([r for r in records if r["kind"] == "answer"])
    if heads is None or answers.empty:
        raise RunError(f"{run_dir} has no answers yet: run the same judge command again to resume")
    names, weights = heads["names"], dict(zip(heads["names"], heads["weights"]))
    answers = answers.drop(columns=["key", "kind"])
    answers.to_parquet(run_dir / "answers.parquet", index=False)
    both = answers.pivot(index="prompt_id", columns="role", values="rewards").dropna()
    if both.empty:
        raise RunError(f"{run_dir}: no prompt has both models' answers yet: run the same judge command again")
    table = verdicts(both.index.tolist(), both["model"].tolist(), both["against"].tolist(), names)
    table.to_parquet(run_dir / "verdicts.parquet", index=False)
    pair_table(answers, table).to_parquet(run_dir / "pairs.parquet", index=False)
    config = manifest["config"]
    metrics = judge_metrics(table, weights, seed=manifest.get("seed", 0), poles=not config["reward"]).assign(
        model=config["model"], against=config["against"])
    write_metrics(run_dir, metrics)
    return write_judge_report(run_dir, manifest, metrics, table, answers)


JOB = Job("judge", JudgeConfig, run_judge, summarise_judge, write_results, ITEMS)
