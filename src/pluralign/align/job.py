"""The align job: tune a model toward one group's (latent type's, prototype's) learned reward, or toward a value pole,
with DPO and LoRA, then judge the tuned model against the base under every reward (without a learn run, the rewards
are the four value poles, placed by a value placer).

1. The base model samples k answers to each training prompt; each answer is scored under every reward (records).
2. Each set becomes a preference pair for the target: its highest-rewarded answer chosen, its lowest rejected
   (``pairs.jsonl``, TRL's conversational shape, with the target and the reward margin kept as columns).
3. TRL's ``DPOTrainer`` (or ``SFTTrainer`` on the chosen answers alone, ``method="sft"``) trains LoRA adapters (peft)
   on the pairs (``train.py``), saving checkpoints in the run, so an interrupted
   training resumes from its last one; the adapters are merged into ``model/``, a checkpoint any ``hf:`` spec loads.
4. ``pluralign judge`` runs on prompts held out from training: the target's win rate over the base, and every other
   reward's, so a gain for one group is never read without what the others lost. Rewards that did not pick the pairs
   (``eval_reward``, ``eval_judge``: ``independent.py``) judge the same answers beside them; with ``seeds`` > 1 the
   training and its judgement are repeated with other seeds (``seeds.py``), each in its own folder.
5. Both models are measured side by side (``before_after.py``): the audit's stance stage (``stance.parquet``: where
   the tuned model's p(agree) moved), and the three kinds of pluralism, steerable and distributional on a survey, Overton
   on a few held-out prompts (``pluralism_shift.parquet``: each change with a paired interval, ``pluralism.py``).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import prompts_from, read_cards
from ..errors import InputError
from ..jobs import Job, Summary
from ..models.base import LanguageModel
from ..estimators.reward import GroupRewards
from ..runs import (
    Models, Run, RunError, fingerprint_table, in_chunks, progress_tasks, public_columns,
    read_records,
)
from ..candidates.placement import ValuePlacer
from ..candidates.samplers import IndependentSampler
from .before_after import audit_both, overton_both
from .config import AlignConfig, JudgeConfig
from .core import MAXMIN
from .independent import independent_rewards, same_weights, scored_record
from .judge import run_judge
from .results import write_results
from .seeds import seed_folders
from .summary import summarise_align
from .targets import POLE, PoleRewards, check_poles, people_pairs, preference_pairs
from .train import train_policy

CHUNK = 8  # prompts per generation call


def split_prompts(prompts: pd.DataFrame, eval_share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training, held-out) prompts: a seeded ``eval_share`` of them held out, at least one on each side."""
    if len(prompts) < 2:
        raise InputError(f"align needs at least 2 prompts (training and held out), got {len(prompts)}")
    order = np.random.default_rng(seed).permutation(len(prompts))
    held = max(1, min(len(prompts) - 1, round(eval_share * len(prompts))))
    return prompts.iloc[np.sort(order[held:])], prompts.iloc[np.sort(order[:held])]


def _target(config: AlignConfig) -> tuple[GroupRewards | None, str | None]:
    """The learn run's rewards (None without --reward) and the pole targeted (None for a learned target), or a
    one-line error when the target is none of them."""
    learned = GroupRewards.from_run(config.reward) if config.reward else None
    pole = config.target.removeprefix(POLE) if config.target.startswith(POLE) else None
    if pole is not None:
        check_poles([pole])
    if learned is None and pole is None:
        # the poles of one axis mirror each other, so the least-pleased pole of an answer is the one it leans away
        # from: max-min over poles would choose the answer nearest the set's middle, not serve any group
        raise InputError(f"without --reward the rewards are the value poles: target one of them ({POLE}traditional, "
                         f"...); {MAXMIN} serves the worst-off of a learn run's groups, and to tune toward "
                         f"{config.target!r}, give the learn run that fitted it")
    if learned is not None and pole is None and config.target not in [*learned.names, MAXMIN]:
        raise InputError(f"the reward run {config.reward} has no reward named {config.target!r}; "
                         f"it has: {', '.join(learned.names)} (or target {MAXMIN}, the worst-off of them, or a value "
                         f"pole, {POLE}traditional, ...)")
    return learned, pole


def run_align(config: AlignConfig, out: str | Path, *, fresh: bool = False, progress: bool = True,
              use_cache: bool = True, models: dict[str, LanguageModel] | None = None) -> Summary:
    """Sample, pair, train and judge into the run ``out`` (see the module's docstring); resumes where it stopped.
    Returns its summary; the tuned model is ``out/model`` and the before/after judgement ``out/judge``."""
    learned, pole = _target(config)  # checked before the run is made
    prompts = prompts_from(config.prompts, limit=config.limit)
    train, held = split_prompts(prompts, config.eval_share, config.seed) if not config.pairs else (prompts[:0], prompts)
    people = people_pairs(config.pairs, config.where, config.target) if config.pairs else None
    run = Run(out, "align", asdict(config), fingerprint_table(prompts) + (fingerprint_table(people) if config.pairs else ""),
              fresh=fresh, seed=config.seed)
    run.describe_data(data_cards=read_cards(prompts, people))
    items = public_columns(train).to_dict("records")
    done = run.done_keys()
    opened = Models(run, given=models, use_cache=use_cache)
    judge = ValuePlacer(opened(config.judge or config.model)) if pole or learned is None else None
    rewards = learned if learned is not None else PoleRewards(judge)
    toward = PoleRewards(judge, [pole]) if pole and learned is not None else None
    names = [*rewards.names, config.target] if toward else rewards.names  # a pole beside learned rewards rides last
    folders = seed_folders(run.path, config.seed, config.seeds)
    keys = [f"independent{suffix}" for _, _, suffix in folders]
    placer = config.judge or config.model
    other = None if set(keys) <= done else independent_rewards(  # before sampling: refuse now what cannot judge
        config.reward, config.eval_reward, (config.eval_judge, ValuePlacer(opened(config.eval_judge)))
        if config.eval_judge else None, names, config.target, pole,
        placer if config.eval_judge and same_weights(opened(placer), opened(config.eval_judge)) else "")
    # the base model loads after that check: a learned target needs it for nothing before sampling
    sampler = IndependentSampler(opened(config.model), config.k, config.temperature, config.max_tokens, True, config.seed)

    def sampled(block: list[dict]) -> list[dict]:
        sets = sampler.sample(block)
        texts = [c["text"] for s in sets for c in s["candidates"]]
        scores = rewards([p["text"] for p, s in zip(block, sets) for _ in s["candidates"]], texts)
        if toward:
            scores = np.column_stack([scores, toward(None, texts)])
        rows = iter(scores.tolist())
        return [{"kind": "set", "prompt_id": str(p["id"]), "prompt": p["text"],
                 "candidates": [{**c, "rewards": next(rows)} for c in s["candidates"]]} for p, s in zip(block, sets)]

    with run.recording():
        with progress_tasks(progress) as tasks:
            in_chunks(run, done, [f"set|{p['id']}" for p in items], items, sampled,
                      tasks.add("candidate answers", len(items)), model=sampler.model, size=CHUNK)
        pairs = people if people is not None else preference_pairs(
            [r for r in read_records(run.path) if r["kind"] == "set"], names, config.target)
        if pairs.empty:
            raise RunError(f"the reward {config.target!r} tells none of the base model's answers apart: nothing to "
                           "learn")
        pairs.to_json(run.path / "pairs.jsonl", orient="records", lines=True, force_ascii=False)
        for seed, folder, suffix in folders:  # each seed's training resumes alone; a finished one is skipped
            if f"trained{suffix}" not in done:
                folder.mkdir(parents=True, exist_ok=True)
                curve = train_policy(pairs, replace(config, seed=seed), folder, progress)
                run.append([{"key": f"trained{suffix}", "kind": "trained", "seed": seed, "pairs": len(pairs),
                             "curve": curve.to_dict("list")}])
        public_columns(held).to_json(run.path / "held_out_prompts.jsonl", orient="records", lines=True,
                                     force_ascii=False)
        for seed, folder, suffix in folders:
            tuned = f"hf:{folder / 'model'}"
            opened(tuned)  # loaded once for the judge and the audit, beside the base model already open
            run_judge(JudgeConfig(reward=config.reward, judge=None if config.reward else config.judge, model=tuned,
                                  against=config.model, prompts=str(run.path / "held_out_prompts.jsonl"),
                                  max_tokens=config.max_tokens, seed=config.seed), folder / "judge", progress=progress,
                      use_cache=use_cache, models=opened.loaded(), rewards=rewards)
            answers = pd.read_parquet(folder / "judge" / "answers.parquet")
            if toward and f"pole{suffix}" not in done:  # the pole judges the held-out answers too
                wide = answers.pivot(index="prompt_id", columns="role", values="text")
                run.append([{"key": f"pole{suffix}", "kind": "pole", "seed": seed, "prompt_id": wide.index.tolist(),
                             "model": toward(None, wide["model"].tolist())[:, 0].tolist(),
                             "against": toward(None, wide["against"].tolist())[:, 0].tolist()}])
            if other is not None and f"independent{suffix}" not in done:
                run.append([{**scored_record(f"independent{suffix}", answers, other, seed), "seed": seed}])
        tuned, common = f"hf:{run.path / 'model'}", dict(progress=progress, use_cache=use_cache, seed=config.seed)
        audit_both(run.path, config.model, tuned, statements=config.audit, statement_limit=config.audit_limit,
                   survey=config.survey, questions=config.pluralism_questions, models=opened.loaded(), **common)
        overton_both(run, done, pd.read_parquet(run.path / "judge" / "answers.parquet"), config.model, tuned,
                     prompts=config.overton_prompts, models=opened.loaded(), **common)
    write_results(run.path)
    return summarise_align(run.path)


JOB = Job("align", AlignConfig, run_align, summarise_align, write_results)
