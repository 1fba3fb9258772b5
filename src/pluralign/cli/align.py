"""`pluralign judge` and `pluralign align`: parse, call the job, print its summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import Cache, Chat, Fresh, Quiet, RunDir, TemplateFrom, guarded, print_summary, show_progress
from .datasets import learned_from, warn_restricted

commands = typer.Typer()


@commands.command(epilog="""
**Examples**

    pluralign learn --data collect:pilot.db --estimator mixture --k 3 --out runs/pilot
    pluralign judge --reward runs/pilot --model hf:./tuned --against embedded --prompts builtin --out runs/judged
    pluralign judge --model hf:./tuned --against embedded --limit 40 --out runs/poles   # the value poles judge, placed by the --against model
    pluralign judge --reward runs/ca --model vllm:meta-llama/Llama-3.1-8B-Instruct --against openai:http://127.0.0.1:8000/v1#base --prompts prompts.csv --limit 200
""")
@guarded
def judge(
    model: Annotated[str, typer.Option("--model", "-m", help="Model spec A, whose answers are judged.")],
    against: Annotated[str, typer.Option(help="Model spec B, the answers A is compared with (e.g. the model before tuning).")],
    reward: Annotated[Optional[Path], typer.Option(help="A `pluralign learn` run on texts: its groups', types' or prototypes' rewards judge the answers. Without it the four value poles (pole:traditional, pole:secular_rational, pole:survival, pole:self_expression) judge them, placed by --placer.")] = None,
    judge_model: Annotated[Optional[str], typer.Option("--placer", "--judge", help="Without --reward: the value placer, the model that places answers on the value axes (default: the --against model; --judge is its old name).")] = None,
    prompts: Annotated[str, typer.Option(help="Prompt source: builtin, or a FILE (CSV, JSONL, Parquet) with id, text, language.")] = "builtin",
    limit: Annotated[Optional[int], typer.Option(help="Judge only the first N prompts.")] = None,
    max_tokens: Annotated[int, typer.Option(help="Tokens per answer.")] = 128,
    chat: Chat = True,
    template_from: TemplateFrom = None,
    out_dir: RunDir = Path("runs/judge"),
    fresh: Fresh = False,
    cache: Cache = True,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    quiet: Quiet = False,
) -> None:
    """Whose preferences do a model's answers satisfy? Both models answer the same prompts (greedy); every reward a
    learn run fitted (per group, latent type or prototype), or without one each value pole, judges each pair. Prints
    each reward's win rate of A over B, the worst-off reward's (max-min) and the population's (utilitarian), each with
    a 95% interval that resamples prompts; writes answers, verdicts, metrics and a report into the run directory.
    """
    from ..align.config import JudgeConfig
    from ..runs import learned_model_file

    config = JudgeConfig(reward=reward and str(reward), judge=judge_model, model=model, against=against, prompts=prompts, limit=limit,
                         max_tokens=max_tokens, chat=chat, template_from=template_from, seed=seed)
    if config.reward:  # a wrong --reward fails here, in about a second: the job's module imports torch
        learned_model_file(config.reward)
    from ..align.judge import run_judge

    print_summary(run_judge(config, out_dir, fresh=fresh, progress=show_progress(quiet), use_cache=cache))


@commands.command(epilog="""
**Examples**

    pluralign learn --data collect:pilot.db --estimator mixture --k 3 --out runs/pilot
    pluralign align --reward runs/pilot --target "type 1" --prompts prompts.csv --steps 32 --out runs/tuned
    pluralign align --reward runs/pilot --target max-min --method sft --out runs/worst-off
    pluralign align --target pole:self_expression --prompts prompts.csv --out runs/self-expression
    pluralign learn --data collect:pilot.db --estimator group --group country --out runs/by-country
    pluralign align --reward runs/by-country --target Mexico --eval-reward held-out --seeds 3 --out runs/mexico
    pluralign align --target pole:traditional --eval-placer hf:Qwen/Qwen2.5-0.5B-Instruct --out runs/traditional
    pluralign export-pairs --reward runs/pilot --out pilot-pairs.jsonl
    pluralign align --reward runs/pilot --target "type 1" --pairs trl:pilot-pairs.jsonl --where "type=type 1" --out runs/own
    pluralign judge --reward runs/pilot --model hf:runs/tuned/model --against embedded --prompts other.csv

The tuned model is `OUT/model`, a transformers checkpoint: audit, sample or serve it as `hf:OUT/model`.
""")
@guarded
def align(
    target: Annotated[str, typer.Option(help="The reward to tune toward: a group of the learn run's --group, 'type 0', 'prototype 1', ...; max-min, with --reward (each set's answer whose least-pleased reward, centred within the set, is pleased most, as MaxMin-RLHF); or a value pole, pole:traditional, pole:secular_rational, pole:survival, pole:self_expression (placed by --placer).")],
    reward: Annotated[Optional[Path], typer.Option(help="A `pluralign learn` run on texts: its rewards rank the base model's answers and judge the tuned model. Without it the four value poles are the rewards (placed by --placer), and --target is a pole.")] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="The base model: embedded or hf:ID|DIR.")] = "embedded",
    judge: Annotated[Optional[str], typer.Option("--placer", "--judge", help="For a pole target, or without --reward: the value placer, the model that places answers on the value axes (default: the base model; --judge is its old name).")] = None,
    prompts: Annotated[str, typer.Option(help="Prompt source: builtin, or a FILE with id, text, language.")] = "builtin",
    limit: Annotated[Optional[int], typer.Option(help="Use only the first N prompts.")] = None,
    pairs: Annotated[Optional[str], typer.Option(help="Train on people's own choices instead of the base model's ranked answers: trl:FILE (e.g. from export-pairs), collect:DB, ca:FILE, comparisons:FILE or prism:...; every prompt is then held out for judging.")] = None,
    where: Annotated[list[str], typer.Option(help="With --pairs: keep the people whose column has this value, COLUMN=VALUE (e.g. type='type 1', country=Mexico); repeat to narrow.")] = [],
    eval_share: Annotated[float, typer.Option(help="Share of the prompts held out of training, to judge before and after on.")] = 0.25,
    k: Annotated[int, typer.Option(help="Base model answers per training prompt; the target ranks them into a pair.")] = 4,
    max_tokens: Annotated[int, typer.Option(help="Tokens per answer.")] = 64,
    method: Annotated[str, typer.Option(help="dpo (chosen against rejected) or sft (supervised on the chosen answers alone).")] = "dpo",
    steps: Annotated[int, typer.Option(help="Optimiser steps.")] = 16,
    batch_size: Annotated[int, typer.Option(help="Pairs per step.")] = 8,
    learning_rate: Annotated[float, typer.Option(help="Learning rate of the LoRA adapters.")] = 5e-4,
    beta: Annotated[float, typer.Option(help="DPO's beta: how far the tuned model may move from the base.")] = 0.1,
    lora_r: Annotated[int, typer.Option(help="Rank of the LoRA adapters.")] = 8,
    tolerance: Annotated[float, typer.Option(help="How far below 0.5 another reward's win rate may fall before it counts as a loss: a reward is called lost when the sign test, Holm-corrected across the rewards, finds its win rate below 0.5 − tolerance at the 5% level.")] = 0.05,
    audit: Annotated[str, typer.Option(help="Statements whose stances (the audit's stance stage) both models give after training: builtin, a FILE, or none.")] = "builtin",
    audit_limit: Annotated[Optional[int], typer.Option(help="Audit only this many statements, spread over languages and topics.")] = None,
    survey: Annotated[str, typer.Option(help="Survey whose questions both models answer unsteered and steered toward each human group, for the steerable and distributional pluralism_shift: builtin, a survey source (opinionqa:DIR, global-opinions:FILE, FILE), or none.")] = "builtin",
    pluralism_questions: Annotated[Optional[int], typer.Option(help="Ask only the survey's first N questions (each once unsteered and once per group steered).")] = None,
    overton_prompts: Annotated[int, typer.Option(help="Held-out prompts on which both models' answers are scored for Overton coverage against the base model's value map (0 skips it).")] = 4,
    eval_reward: Annotated[Optional[str], typer.Option(help="With --reward: rewards that judge the tuned model independently, beside the ones that picked its pairs (which reward their own errors when they score the result): a learn run on other people (sharing no one with --reward's data), or held-out: --reward's run fitted again on the people it held out of fitting (learn holds a fifth of the people out); group or bt runs, either way, since its verdicts refit it on resamples of its people.")] = None,
    eval_judge: Annotated[Optional[str], typer.Option("--eval-placer", "--eval-judge", help="A value placer other than --placer that places the answers on the value poles for an independent evaluation of the poles (or of a pole target; --eval-judge is its old name).")] = None,
    seeds: Annotated[int, typer.Option(help="Train N times on the same pairs with seeds SEED, SEED+1, ... (each in OUT/seeds/<seed>; a finished one is skipped on resume) and show the spread of each win rate between them beside its prompt interval.")] = 1,
    out_dir: RunDir = Path("runs/align"),
    fresh: Fresh = False,
    cache: Cache = True,
    seed: Annotated[int, typer.Option(help="Seed of sampling, the split and (the first) training.")] = 0,
    quiet: Quiet = False,
) -> None:
    """Tune a model toward one group's (latent type's, prototype's) learned reward or a value pole, and check who
    gained and who lost.

    The base model answers each training prompt k times; the target's reward picks the best and the worst answer of
    each set as a DPO pair; TRL trains LoRA adapters (peft) on them, checkpointing in the run (an interrupted run
    resumes); the merged model goes to OUT/model. Then the tuned model and the base answer the held-out prompts and
    every reward judges them: the target's win rate, and every other reward's, with intervals. Last, both models
    answer the audit's stance stage (--audit), and the report shows where the tuned model's stances moved, and the
    three kinds of pluralism (steerable and distributional on --survey, Overton on --overton-prompts held-out prompts),
    each change (pluralism_shift) with a paired interval, each kind apart.

    The rewards that picked the pairs also judge by default, and then a gain partly measures how well their own errors
    were optimised: --eval-reward (rewards learned on other people) or --eval-placer (another value placer) adds an
    independent evaluation beside it, each row tagged. --seeds N repeats the training and shows how far each win rate
    moves between trainings, which the prompt interval does not hold.
    """
    from ..align.job import AlignConfig, run_align
    from ..data import source_card
    from ..metrics.compare import parse_where

    config = AlignConfig(reward=reward and str(reward), target=target, model=model, prompts=prompts, limit=limit, pairs=pairs, judge=judge,
                         where=parse_where(where) or None,
                         eval_share=eval_share, k=k, max_tokens=max_tokens, method=method, steps=steps, batch_size=batch_size,
                         learning_rate=learning_rate, beta=beta, lora_r=lora_r, tolerance=tolerance,
                         audit=None if audit == "none" else audit, audit_limit=audit_limit, survey=None if survey == "none" else survey,
                         pluralism_questions=pluralism_questions, overton_prompts=overton_prompts, eval_reward=eval_reward,
                         eval_judge=eval_judge, seeds=seeds, seed=seed)
    warn_restricted([source_card(prompts, "prompts"), *([source_card(pairs, "comparisons")] if pairs else []),
                     *(learned_from(reward) if reward else [])])
    print_summary(run_align(config, out_dir, fresh=fresh, progress=show_progress(quiet), use_cache=cache))
