"""The align job: tune a model toward one group's (latent type's, prototype's) learned reward, or toward a value pole,
with DPO and LoRA, then judge the tuned model against the base under every reward (without a learn run, the rewards
are the four value poles, placed by a value placer).

1. The base model samples k answers to each training prompt; each answer is scored under every reward (records).
2. Each set becomes a preference pair for the target: its highest-rewarded answer chosen, its lowest rejected
   (``pairs.jsonl``, TRL's conversational shape, with the target and the reward margin kept as columns).
3. TRL's ``DPOTrainer`` (or ``SFTTrainer`` on the chosen answers alone, ``method="sft"``) trains LoRA adapters (peft)
   on the pairs, saving checkpoints in the run, so an interrupted
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

import os
import shutil
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import prompts_from, read_cards
from ..errors import InputError
from ..jobs import Job, Summary
from ..models.base import LanguageModel, ModelSpecError
from ..models.spec import checkpoint, parse_spec
from ..preferences.reward import GroupRewards
from ..runs import (
    Models, Run, RunError, chunk_size, fingerprint_table, in_chunks, progress_tasks, public_columns,
    read_records,
)
from ..candidates.placement import ValuePlacer
from ..candidates.samplers import IndependentSampler
from .before_after import audit_both, overton_both
from .core import MAXMIN
from .independent import independent_rewards, scored_record
from .judge import JudgeConfig, run_judge
from .results import write_results
from .seeds import seed_folders
from .summary import summarise_align
from .targets import POLE, PoleRewards, check_poles, people_pairs, preference_pairs

CHUNK = 8  # prompts per generation call


@dataclass
class AlignConfig:
    """What an align run trains; recorded in its manifest.

    Args:
        target: the name of one of the rewards (a group, ``type 0``, ...), ``max-min`` (with a learn run), or a value
            pole, ``pole:traditional`` (``secular_rational``, ``survival``, ``self_expression``), placed by the value
            judge.
        reward: a ``learn`` run on texts, whose rewards rank the answers and judge the tuned model; None: the four
            value poles are the rewards (the target then a pole).
        judge: the model that places answers on the value axes, for a pole target or without a learn run (default:
            the base model).
        pairs: people's own choices to train on instead of the base model's ranked answers: a comparisons source
            (``trl:FILE``, ``collect:DB``, ``ca:FILE``, ``comparisons:FILE``, ``prism:...``), kept to the people whose
            columns match ``where`` ({column: value}); every prompt is then held out for judging.
        model: the base model, ``embedded`` or ``hf:ID|DIR`` (trained with transformers).
        prompts: a prompt source; limit: its first N; eval_share: the share held out for judging before and after.
        k, temperature, max_tokens: the base model's candidate answers per prompt, from which pairs are made.
        method: ``dpo`` (chosen against rejected) or ``sft`` (supervised on the chosen answers alone).
        steps, batch_size, learning_rate, beta: optimiser steps, pairs per step, learning rate and DPO's KL strength.
        lora_r: rank of the LoRA adapters (alpha = 2r, on every linear layer).
        tolerance: the loss of win rate below 0.5 another reward may show before the run says it lost (when the
            sign test, Holm-corrected across the rewards, finds its win rate below 0.5 − tolerance).
        audit: a statement source whose stance stage (the audit's) both models answer after training, so the report
            shows where the tuned model's stances moved; None skips it. audit_limit: its first N statements.
        survey: a survey source whose questions both models answer unsteered and steered toward each group (the
            audit's opinion stage): the steerable and distributional pluralism_shift; None skips it.
            pluralism_questions: its first N questions (all when None).
        overton_prompts: held-out prompts whose answers' Overton coverage both models are measured on (0 skips it).
        eval_reward: rewards that judge the tuned model independently of the ones that picked its pairs, shown beside
            them: a learn run on other people (it may share no one with ``reward``'s data), or ``held-out``,
            ``reward``'s run fitted again on the people it held out of fitting (a group or bt run).
        eval_judge: a judge model other than ``judge`` that places the answers on the value poles for an independent
            evaluation (of the poles, or of a pole target).
        seeds: trainings on the same pairs, with seeds ``seed``, ``seed + 1``, ...: each tuned model is judged, and the
            summary shows the spread of its win rates between seeds beside the prompt interval (the first seed's).
    """

    target: str
    reward: str | None = None
    model: str = "embedded"
    prompts: str = "builtin"
    pairs: str | None = None
    where: dict[str, str] | None = None
    judge: str | None = None
    limit: int | None = None
    eval_share: float = 0.25
    k: int = 4
    temperature: float = 1.0
    max_tokens: int = 64
    method: str = "dpo"
    steps: int = 16
    batch_size: int = 8
    learning_rate: float = 5e-4
    beta: float = 0.1
    lora_r: int = 8
    tolerance: float = 0.05
    audit: str | None = "builtin"
    audit_limit: int | None = None
    survey: str | None = "builtin"
    pluralism_questions: int | None = None
    overton_prompts: int = 4
    eval_reward: str | None = None
    eval_judge: str | None = None
    seeds: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        spec = parse_spec(self.model)
        if spec.kind != "hf":
            raise ModelSpecError(f"{self.model!r} cannot be trained here: align trains embedded or hf:ID|DIR models "
                                 "with transformers (serve the tuned model with any backend afterwards)")
        if self.method not in ("dpo", "sft"):
            raise InputError(f"unknown method {self.method!r}; choose dpo or sft")
        if not 0 < self.eval_share < 1 or self.k < 2 or min(self.steps, self.batch_size, self.lora_r) < 1:
            raise InputError("eval_share must be in (0, 1), k at least 2, steps, batch_size and lora_r at least 1")
        if min(self.seeds, self.pluralism_questions or 1, self.overton_prompts + 1) < 1:
            raise InputError(f"seeds must be at least 1 (got {self.seeds}), as must pluralism_questions; overton_prompts "
                             "at least 0")
        if self.eval_reward and not self.reward:
            raise InputError("--eval-reward judges a learn run's rewards independently: give --reward too (without "
                             "it the rewards are the value poles: judge them independently with --eval-placer MODEL)")
        if self.eval_judge and self.reward and not self.target.startswith(POLE):
            raise InputError("--eval-placer places answers on the value poles: beside --reward it judges a pole target "
                             "only; judge learned rewards independently with --eval-reward")
        if self.eval_judge and parse_spec(self.eval_judge) == parse_spec(self.judge or self.model):
            raise InputError(f"--eval-placer {self.eval_judge} is the placer that picked the training pairs: name "
                             "another model, so that the evaluation does not reward what training optimised")
        if not 0 <= self.tolerance < 0.5:
            raise InputError(f"tolerance must be in [0, 0.5): the win rate a reward may fall below 0.5, got "
                             f"{self.tolerance}")


def split_prompts(prompts: pd.DataFrame, eval_share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training, held-out) prompts: a seeded ``eval_share`` of them held out, at least one on each side."""
    if len(prompts) < 2:
        raise InputError(f"align needs at least 2 prompts (training and held out), got {len(prompts)}")
    order = np.random.default_rng(seed).permutation(len(prompts))
    held = max(1, min(len(prompts) - 1, round(eval_share * len(prompts))))
    return prompts.iloc[np.sort(order[held:])], prompts.iloc[np.sort(order[:held])]


def train_policy(pairs: pd.DataFrame, config: AlignConfig, folder: Path, progress: bool) -> pd.DataFrame:
    """``config.method`` with LoRA through TRL on ``pairs``: DPO on chosen against rejected, or SFT on the chosen
    answers alone (loss on the answer's tokens only); checkpoints under ``folder/checkpoints`` (resumed from the last),
    the merged model in ``folder/model``. Returns the training curve (step, loss, and DPO's reward margin and
    accuracy)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback
    try:
        import datasets
        from datasets import Dataset
        from peft import LoraConfig
        from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer
    except ImportError:
        raise ModelSpecError("align trains with TRL and peft: pip install 'pluralign[align]'") from None

    base = checkpoint(parse_spec(config.model))
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    checkpoints = folder / "checkpoints"
    lora = LoraConfig(r=config.lora_r, lora_alpha=2 * config.lora_r, target_modules="all-linear", task_type="CAUSAL_LM")
    resume = any(checkpoints.glob("checkpoint-*"))
    bars = datasets.is_progress_bar_enabled()
    if not progress:  # TRL tokenises the pairs with datasets' own bars
        datasets.disable_progress_bars()
    try:
        with warnings.catch_warnings():  # TRL calls transformers' gradient-checkpointing names that 5.x deprecates
            warnings.simplefilter("ignore", FutureWarning)
            # bf16 (TRL's default) only on a GPU that has it. On the CPU the model computes in fp32, as every
            # backend does there: autocast to bf16 falls back to a slow reference GEMM on CPUs without AVX-512 BF16,
            # where a DPO step of 8 pairs took over a minute instead of seconds (benchmarks/RESULTS.md).
            # Gradient checkpointing (TRL's default) saves a GPU's memory by computing every layer's forward pass
            # again in the backward one; on the CPU memory is seldom what limits training, so it is off there: a DPO
            # step of 8 pairs on the embedded model took 18% less time without it (benchmarks/RESULTS.md).
            on_gpu = torch.cuda.is_available()
            common = dict(output_dir=str(checkpoints), max_steps=config.steps, learning_rate=config.learning_rate,
                          per_device_train_batch_size=config.batch_size, seed=config.seed, logging_steps=1,
                          save_steps=max(1, config.steps // 4), save_total_limit=2, report_to=[],
                          disable_tqdm=not progress, use_cpu=not on_gpu, bf16=on_gpu and torch.cuda.is_bf16_supported(),
                          max_length=512, gradient_checkpointing=on_gpu)
            if config.method == "dpo":
                # The reference model's log-probs, once per pair before training when training sees each pair more
                # than once (steps x batch size beyond the pairs), instead of once per pair per step: the same numbers.
                once = len(pairs) < config.steps * config.batch_size
                trainer = DPOTrainer(model=model, args=DPOConfig(beta=config.beta, precompute_ref_log_probs=once, **common),
                                     processing_class=tokenizer, peft_config=lora,
                                     train_dataset=Dataset.from_pandas(pairs[["prompt", "chosen", "rejected"]]))
            else:
                answers = pairs[["prompt", "chosen"]].rename(columns={"chosen": "completion"})
                trainer = SFTTrainer(model=model, args=SFTConfig(**common), processing_class=tokenizer, peft_config=lora,
                                     train_dataset=Dataset.from_pandas(answers))
            if not progress:  # with its progress bar off, the trainer prints every log line instead
                trainer.remove_callback(PrinterCallback)
            trainer.train(resume_from_checkpoint=resume or None)
    finally:
        if bars:
            datasets.enable_progress_bars()
    target, partial = folder / "model", folder / "model.partial"
    trainer.model.merge_and_unload().save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    if target.exists():  # merged by an earlier attempt that stopped before recording it
        shutil.rmtree(target)
    os.replace(partial, target)
    return pd.DataFrame([{"step": h["step"], "loss": h["loss"], "margin": h.get("rewards/margins"),
                          "accuracy": h.get("rewards/accuracies")} for h in trainer.state.log_history if "loss" in h])


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
    sampler = IndependentSampler(opened(config.model), config.k, config.temperature, config.max_tokens, True, config.seed)
    judge = ValuePlacer(opened(config.judge or config.model)) if pole or learned is None else None
    rewards = learned if learned is not None else PoleRewards(judge)
    toward = PoleRewards(judge, [pole]) if pole and learned is not None else None
    names = [*rewards.names, config.target] if toward else rewards.names  # a pole beside learned rewards rides last
    folders = seed_folders(run.path, config.seed, config.seeds)
    keys = [f"independent{suffix}" for _, _, suffix in folders]
    other = None if set(keys) <= done else independent_rewards(  # before training: refuse now what cannot judge
        config.reward, config.eval_reward, (config.eval_judge, ValuePlacer(opened(config.eval_judge)))
        if config.eval_judge else None, names, config.target, pole)

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
            in_chunks(run, done, [f"set|{p['id']}" for p in items], items, chunk_size(sampler.model, CHUNK), sampled,
                      tasks.add("candidate answers", len(items)))
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
