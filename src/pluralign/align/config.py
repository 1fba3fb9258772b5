"""What an align run trains and what a judge run compares, each in one dataclass recorded in its manifest, checked
before anything runs. Nothing here imports torch, so `pluralign judge` checks its options before it imports the job:
a bad one fails in about 1.7 CPU s instead of 4 (benchmarks/RESULTS.md)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..models.base import ModelSpecError
from ..models.spec import parse_spec
from .targets import POLE


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


@dataclass
class JudgeConfig:
    """What a judge run compares; recorded in its manifest.

    Args:
        model, against: the model specs whose answers are compared (A and B).
        reward: a ``learn`` run directory whose model was fitted on texts; None: the four value poles are the rewards,
            each answer placed on the value axes by the value placer ``judge`` (default: the ``against`` model; the
            field keeps the name that runs on disk record).
        prompts: a prompt source (``builtin`` or a FILE with id, text, language); limit: its first N prompts.
        max_tokens: tokens per answer; chat: through the models' chat templates.
        template_from: for openai specs, the tokenizer whose chat template renders chat prompts.
    """

    model: str
    against: str
    reward: str | None = None
    judge: str | None = None
    prompts: str = "builtin"
    limit: int | None = None
    max_tokens: int = 128
    chat: bool = True
    template_from: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for spec in filter(None, (self.model, self.against, self.judge)):
            parse_spec(spec)
        if self.reward and self.judge:
            raise InputError("--placer places answers on the value poles, the rewards when no learn run is given; "
                             "with a learn run's rewards it has nothing to do")
        if self.model == self.against:
            raise InputError(f"--model and --against are both {self.model!r}: judge two different models")
        if self.max_tokens < 1 or (self.limit is not None and self.limit < 1):
            raise InputError("max_tokens and limit must be at least 1")
