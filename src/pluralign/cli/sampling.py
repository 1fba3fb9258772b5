"""`pluralign sample`, `compare-samplers` and `humans-vs-models`: parse, call the sampling jobs, print their summaries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import Cache, Chat, ColumnMap, Fresh, Quiet, RunDir, TemplateFrom, column_mapping, guarded, \
    print_summary, show_progress, source_of

commands = typer.Typer()

# Options that sample and compare-samplers share.
Prompts = Annotated[Optional[Path], typer.Option("--prompts", "-p", help="Prompt file (CSV, JSONL, ...): id, text, language, and optionally context (earlier turns, JSON).")]
PromptSuite = Annotated[Optional[str], typer.Option("--suite", help="Built-in prompts: 'builtin' (28 value-laden questions, 7 languages).")]
Placer = Annotated[Optional[str], typer.Option("--placer", "--judge", help="Model spec of the value placer, which places every response on the value axes (default: --model; --judge is its old name).")]
K = Annotated[int, typer.Option(help="Responses per set.")]
Temperature = Annotated[float, typer.Option(help="Sampling temperature.")]
MaxTokens = Annotated[int, typer.Option(help="Tokens per response.")]
NcPrompt = Annotated[str, typer.Option(help="The negatively-correlated sampler's request: 'values' (asks for different "
                                            "values, names none) or 'axes' (names the value placer's poles as examples).")]
Limit = Annotated[Optional[int], typer.Option(help="Only the first N prompts.")]
BUILTIN_PROMPTS = "the built-in prompts are 'builtin'"


@commands.command(epilog="""
**Examples**

    pluralign sample --suite builtin --sampler negatively-correlated --out runs/sets
    pluralign sample --prompts mine.jsonl --sampler independent --k 4 --temperature 1.0 --out runs/baseline
    pluralign sample --prompts mine.csv --sampler multi-model --model embedded --models hf:Qwen/Qwen2.5-0.5B-Instruct --out runs/mm

Writes `candidates.parquet` (every response, its value-axis positions and any fallback) and `tasks.csv`, the sets as
annotation tasks in Community Alignment's shape, ready for people to choose from.
""")
@guarded
def sample(
    prompts: Prompts = None,
    suite: PromptSuite = None,
    mapping: ColumnMap = [],
    sampler: Annotated[list[str], typer.Option(help="independent, negatively-correlated or multi-model; repeat for several.")] = ["negatively-correlated"],
    model: Annotated[str, typer.Option("--model", "-m", help="Model spec that samples.")] = "embedded",
    models: Annotated[list[str], typer.Option(help="Further model specs for the multi-model sampler.")] = [],
    judge: Placer = None,
    k: K = 4,
    temperature: Temperature = 1.0,
    max_tokens: MaxTokens = 128,
    retries: Annotated[int, typer.Option(help="Times a diverse request that gave fewer than k responses is asked again.")] = 2,
    nc_prompt: NcPrompt = "values",
    chat: Chat = True,
    template_from: TemplateFrom = None,
    out_dir: RunDir = Path("runs/sample"),
    limit: Limit = None,
    fresh: Fresh = False,
    cache: Cache = True,
    seed: Annotated[int, typer.Option(help="Seed of sampling.")] = 0,
    quiet: Quiet = False,
) -> None:
    """Make candidate sets for a table of prompts or conversations: k independent samples, one request for k
    responses that represent diverse values (negatively-correlated), or one response from each of several models."""
    from ..sampling import SamplingConfig, run_sample

    config = SamplingConfig(prompts=_source(prompts, suite), columns=column_mapping(mapping), limit=limit, model=model,
                            samplers=list(sampler), models=list(models), judge=judge, k=k, temperature=temperature,
                            max_tokens=max_tokens, retries=retries, nc_prompt=nc_prompt, chat=chat,
                            template_from=template_from, seed=seed)
    print_summary(run_sample(config, out_dir, fresh=fresh, progress=show_progress(quiet), use_cache=cache))


@commands.command("compare-samplers", epilog="""
**Examples**

    pluralign compare-samplers --suite builtin --out runs/compare
    pluralign compare-samplers --prompts mine.jsonl --model hf:Qwen/Qwen2.5-1.5B-Instruct --k 4 --annotators 200 --out runs/qwen
    pluralign compare-samplers --model openai:http://127.0.0.1:8000/v1#qwen --template-from Qwen/Qwen2.5-1.5B-Instruct --out runs/served
    pluralign compare-samplers --suite builtin --sampler independent --sampler negatively-correlated --sampler multi-model \\
        --models llamacpp:embedded --out runs/three
""")
@guarded
def compare_samplers(
    prompts: Prompts = None,
    suite: PromptSuite = None,
    mapping: ColumnMap = [],
    sampler: Annotated[list[str], typer.Option(help="Samplers to compare; repeat.")] = ["independent", "negatively-correlated"],
    model: Annotated[str, typer.Option("--model", "-m", help="Model spec that samples and gives default answers.")] = "embedded",
    models: Annotated[list[str], typer.Option(help="Further model specs (multi-model sampler; their default answers too).")] = [],
    judge: Placer = None,
    k: K = 4,
    temperature: Temperature = 1.0,
    max_tokens: MaxTokens = 128,
    annotators: Annotated[int, typer.Option(help="Simulated people choosing among the sets.")] = 100,
    sharpness: Annotated[float, typer.Option(help="How closely their choices follow closeness in value space.")] = 4.0,
    test_share: Annotated[float, typer.Option(help="Share of prompts held out from training.")] = 0.3,
    unseen_share: Annotated[float, typer.Option(help="Share of people held out from training.")] = 0.25,
    nc_prompt: NcPrompt = "values",
    margin: Annotated[Optional[float], typer.Option(help="A response is at a pole when judged beyond ±margin, at neither "
                                                         "within it (default: pluralign.candidates.measures.MARGIN, from the placer's checks).")] = None,
    chat: Chat = True,
    template_from: TemplateFrom = None,
    out_dir: RunDir = Path("runs/compare"),
    limit: Limit = None,
    fresh: Fresh = False,
    cache: Cache = True,
    seed: Annotated[int, typer.Option(help="Seed of sampling, the population, the split and the bootstrap.")] = 0,
    quiet: Quiet = False,
) -> None:
    """Which sampler's candidate sets let a learner find out what people want? (Community Alignment's experiment.)

    For each sampler: sets for the same prompts; a value placer places every response on the traditional ↔
    secular-rational and survival ↔ self-expression axes; simulated people with ideal points on those axes choose
    among each set; Bradley–Terry and ideal-point models learn from the choices and are scored on held-out prompts,
    for people seen and unseen. Reports coverage, diversity and accuracy side by side with intervals, the placer's
    accuracy on responses with known poles, and people against the models' default answers.
    """
    from ..sampling import SamplingConfig, run_compare_samplers

    config = SamplingConfig(prompts=_source(prompts, suite), columns=column_mapping(mapping), limit=limit, model=model,
                            samplers=list(sampler), models=list(models), judge=judge, k=k, temperature=temperature,
                            max_tokens=max_tokens, chat=chat, template_from=template_from, annotators=annotators,
                            sharpness=sharpness, test_share=test_share, unseen_share=unseen_share, nc_prompt=nc_prompt,
                            seed=seed, **({} if margin is None else {"margin": margin}))
    print_summary(run_compare_samplers(config, out_dir, fresh=fresh, progress=show_progress(quiet), use_cache=cache))


@commands.command("humans-vs-models", epilog="""
**Examples**

    pluralign humans-vs-models --data ca:community_alignment.parquet --model hf:Qwen/Qwen2.5-1.5B-Instruct
    pluralign humans-vs-models --data comparisons:choices.jsonl --model embedded --model llamacpp:embedded --out runs/map
""")
@guarded
def humans_vs_models(
    data: Annotated[str, typer.Option(help="Human choices: ca:FILE (Community Alignment), prism:FILE|DIR, comparisons:FILE or trl:FILE.")],
    annotators: Annotated[Optional[str], typer.Option(help="Annotator table for comparisons: data.")] = None,
    model: Annotated[list[str], typer.Option("--model", "-m", help="Model specs whose default answers are placed; repeat.")] = ["embedded"],
    judge: Annotated[Optional[str], typer.Option("--placer", "--judge", help="Model spec of the value placer (default: the first --model; --judge is its old name).")] = None,
    max_tokens: Annotated[int, typer.Option(help="Length of the models' answers.")] = 128,
    chat: Chat = True,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Run directory: people.parquet, defaults.parquet, summary.parquet and map.html (the scatter).")] = Path("runs/humans-vs-models"),
    fresh: Fresh = False,
    cache: Cache = True,
    seed: Annotated[int, typer.Option(help="Seed of the intervals.")] = 0,
    quiet: Quiet = False,
) -> None:
    """Place people and models on the same value map: each annotator at the judged position of what they chose,
    each model at its default answers to the same prompts; report the share of people in the models' quadrant
    and the ratio of people's to models' variance on each axis. A run: re-running the same command resumes it."""
    from ..sampling.people import HumansVsModelsConfig, run_humans_vs_models

    config = HumansVsModelsConfig(data=data, annotators=annotators, models=list(model), judge=judge, chat=chat,
                                  max_tokens=max_tokens, seed=seed)
    print_summary(run_humans_vs_models(config, out_dir, fresh=fresh, progress=show_progress(quiet), use_cache=cache))


def _source(path: Optional[Path], suite: Optional[str]) -> str:
    """The prompt source that --prompts or --suite name."""
    return str(source_of(path, suite, "--prompts", BUILTIN_PROMPTS))
