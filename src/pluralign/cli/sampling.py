"""`pluralign sample`, `compare-samplers` and `humans-vs-models`: parse, call the sampling jobs, print their tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from .common import Cache, Chat, ColumnMap, Fresh, Quiet, RunDir, TemplateFrom, column_mapping, guarded, note, out, \
    print_checks, show_progress, source_of

commands = typer.Typer()

# Options that sample and compare-samplers share.
Prompts = Annotated[Optional[Path], typer.Option("--prompts", "-p", help="Prompt file (CSV, JSONL, ...): id, text, language, and optionally context (earlier turns, JSON).")]
PromptSuite = Annotated[Optional[str], typer.Option("--suite", help="Built-in prompts: 'builtin' (28 value-laden questions, 7 languages).")]
Judge = Annotated[Optional[str], typer.Option(help="Model spec of the value judge (default: --model).")]
K = Annotated[int, typer.Option(help="Responses per set.")]
Temperature = Annotated[float, typer.Option(help="Sampling temperature.")]
MaxTokens = Annotated[int, typer.Option(help="Tokens per response.")]
NcPrompt = Annotated[str, typer.Option(help="The negatively-correlated sampler's request: 'values' (asks for different "
                                            "values, names none) or 'axes' (names the value judge's poles as examples).")]
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
    judge: Judge = None,
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

    config = SamplingConfig(model=model, samplers=list(sampler), models=list(models), judge=judge, k=k,
                            temperature=temperature, max_tokens=max_tokens, retries=retries, nc_prompt=nc_prompt,
                            chat=chat, template_from=template_from, seed=seed)
    chosen = _prompt_table(prompts, suite, mapping, limit)
    path = run_sample(chosen, config, out_dir, fresh=fresh, progress=show_progress(quiet), use_cache=cache)
    candidates = pd.read_parquet(path / "candidates.parquet")
    fallbacks = candidates.dropna(subset=["fallback"])["set_id"].nunique()
    out.print(f"{candidates['set_id'].nunique()} sets, {len(candidates)} responses"
              f"{f', {fallbacks} sets with a fallback' if fallbacks else ''}; tasks: {path / 'tasks.csv'}")


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
    judge: Judge = None,
    k: K = 4,
    temperature: Temperature = 1.0,
    max_tokens: MaxTokens = 128,
    annotators: Annotated[int, typer.Option(help="Simulated people choosing among the sets.")] = 100,
    sharpness: Annotated[float, typer.Option(help="How closely their choices follow closeness in value space.")] = 4.0,
    test_share: Annotated[float, typer.Option(help="Share of prompts held out from training.")] = 0.3,
    unseen_share: Annotated[float, typer.Option(help="Share of people held out from training.")] = 0.25,
    nc_prompt: NcPrompt = "values",
    margin: Annotated[Optional[float], typer.Option(help="A response is at a pole when judged beyond ±margin, at neither "
                                                         "within it (default: pluralign.sampling.measures.MARGIN, from the judge's checks).")] = None,
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

    For each sampler: sets for the same prompts; a value judge places every response on the traditional ↔
    secular-rational and survival ↔ self-expression axes; simulated people with ideal points on those axes choose
    among each set; Bradley–Terry and ideal-point models learn from the choices and are scored on held-out prompts,
    for people seen and unseen. Reports coverage, diversity and accuracy side by side with intervals, the judge's
    accuracy on responses with known poles, and people against the models' default answers.
    """
    from ..data.axes import POLES
    from ..sampling import SamplingConfig, run_compare_samplers

    config = SamplingConfig(model=model, samplers=list(sampler), models=list(models), judge=judge, k=k,
                            temperature=temperature, max_tokens=max_tokens, chat=chat, template_from=template_from,
                            annotators=annotators, sharpness=sharpness, test_share=test_share,
                            unseen_share=unseen_share, nc_prompt=nc_prompt, seed=seed,
                            **({} if margin is None else {"margin": margin}))
    chosen = _prompt_table(prompts, suite, mapping, limit)
    path = run_compare_samplers(chosen, config, out_dir, fresh=fresh, progress=show_progress(quiet), use_cache=cache)
    metrics = pd.read_parquet(path / "metrics.parquet")
    overall = metrics[metrics["grouping"] == "overall"]
    table = Table(title="samplers side by side (95% intervals)")
    for column in ("measure", *config.samplers):
        table.add_column(column)
    names = [*(f"covers_{pole}" for pole in POLES), "covers_both", "pairwise_distance", "vendi", "distinct_2"]
    rows = [(n, overall[(overall["metric"] == n) & overall["estimator"].isna()]) for n in names]
    acc = overall[(overall["metric"] == "accuracy")]
    rows += [(f"accuracy: {e}, {s}", part) for (e, s), part in acc.groupby(["estimator", "split"], sort=False)]
    ceiling = overall[overall["metric"] == "oracle_accuracy"]
    rows += [(f"accuracy: true utilities (ceiling), {s}", part) for s, part in ceiling.groupby("split", sort=False)]
    for name, part in rows:
        cells = part.set_index("sampler")
        table.add_row(name, *(f"{cells.loc[x, 'value']:.3f} [{cells.loc[x, 'ci_low']:.3f}, {cells.loc[x, 'ci_high']:.3f}]"
                              if x in cells.index else "" for x in config.samplers))
    out.print(table)
    if not np.isfinite(pd.concat([acc, ceiling])[["ci_low", "ci_high"]].to_numpy()).all():
        note("the accuracy intervals resample held-out prompts, and one held-out prompt says nothing about the next: "
             "they are unbounded; hold out more (more prompts, or a larger --test-share)")
    print_checks(path)
    out.print(f"report: {path / 'report.html'}")


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
    judge: Annotated[Optional[str], typer.Option(help="Model spec of the value judge (default: the first --model).")] = None,
    max_tokens: Annotated[int, typer.Option(help="Length of the models' answers.")] = 128,
    chat: Chat = True,
    out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", help="Also write people.parquet, defaults.parquet, summary.parquet and map.html (the scatter) here.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the intervals.")] = 0,
) -> None:
    """Place people and models on the same value map: each annotator at the judged position of what they chose,
    each model at its default answers to the same prompts; report the share of people in the models' quadrant
    and the ratio of people's to models' variance on each axis."""
    from ..sampling.people import run_humans_vs_models

    result = run_humans_vs_models(data, model, annotators=annotators, judge=judge, chat=chat, max_tokens=max_tokens,
                                  seed=seed, out=out_dir)
    table = Table(title=f"{len(result.people)} people against the models' default answers")
    for column in ("model", "people in the model's quadrant", "variance ratio: traditional-secular",
                   "variance ratio: survival-self-expression"):
        table.add_column(column)
    for r in result.summary.itertuples(index=False):
        table.add_row(r.model, f"{r.quadrant_match:.2f}", f"{r.variance_ratio_traditional_secular:.2f}",
                      f"{r.variance_ratio_survival_self_expression:.2f}")
    out.print(table)
    if result.map is not None:
        out.print(f"tables and map: {result.map}")


def _prompt_table(path: Optional[Path], suite: Optional[str], mapping: list[str], limit: Optional[int]) -> pd.DataFrame:
    """The prompts that --prompts or --suite name, columns renamed by --map, the first --limit of them."""
    from ..data import prompts_from

    return prompts_from(source_of(path, suite, "--prompts", BUILTIN_PROMPTS), columns=column_mapping(mapping),
                        limit=limit)
