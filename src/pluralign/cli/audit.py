"""`pluralign audit`: parse, call the audit job, print its summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import Cache, Chat, ColumnMap, Fresh, Quiet, TemplateFrom, column_mapping, guarded, print_summary, \
    show_progress, source_of

commands = typer.Typer()


@commands.command(epilog="""
**Examples**

    pluralign audit --model embedded --out runs/demo
    pluralign audit --model embedded --model llamacpp:embedded --limit 40 --out runs/two-backends
    pluralign audit --model hf:HuggingFaceTB/SmolLM2-360M-Instruct --statements civics.csv --format civics --out runs/civics
    pluralign audit --model openai:http://127.0.0.1:8000/v1#qwen --template-from Qwen/Qwen2.5-0.5B-Instruct --out runs/served
    pluralign audit --model openai:http://127.0.0.1:8000/v1#qwen --stages long_form --judge embedded --out runs/served-lf
    pluralign audit --statements mine.jsonl --map text=sentence --map id=uid --out runs/mine

Re-running the same command resumes a run; a changed configuration is refused unless you pass --fresh.
""")
@guarded
def audit(
    model: Annotated[list[str], typer.Option("--model", "-m", help="Model spec; repeat to compare models side by side. Specs: embedded, llamacpp:embedded, hf:<id|path>, vllm:<id|path>, llamacpp:<file.gguf>, openai:<base_url>#<model>; options after '?', e.g. hf:<id>?dtype=bfloat16 (pluralign models lists them).")] = ["embedded"],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Run directory (created, or resumed).")] = Path("runs/audit"),
    suite: Annotated[Optional[str], typer.Option(help="Built-in statement suite: 'builtin' (168 statements, 7 languages, 6 topics).")] = None,
    statements: Annotated[Optional[Path], typer.Option("--statements", "-s", help="Statement file (CSV, TSV, JSON, JSONL, Parquet).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="'generic' (our columns, or --map) or 'civics' (CIVICS columns).")] = "generic",
    mapping: ColumnMap = [],
    survey: Annotated[Optional[str], typer.Option(help="Survey with human answer distributions: 'builtin', 'none', or a file.")] = "builtin",
    survey_format: Annotated[str, typer.Option(help="'long' (question_id, question, options, ordinal, group, distribution, optional positions), 'global-opinions', or 'opinionqa' (a survey wave folder of OpinionQA: info.csv, metadata.csv, responses.csv).")] = "long",
    judge: Annotated[Optional[str], typer.Option(help="Model spec that judges long-form stances (default: each audited model).")] = None,
    stages: Annotated[str, typer.Option(help="Comma-separated stages to run: stance, long_form, judge_check, opinions.")] = "stance,long_form,judge_check,opinions",
    translated: Annotated[bool, typer.Option(help="Also audit non-English statements in English translation.")] = True,
    chat: Chat = True,
    max_tokens: Annotated[int, typer.Option(help="Length of long-form answers, in tokens.")] = 96,
    refusal_judge: Annotated[bool, typer.Option(help="Also ask the judge model whether each answer refuses.")] = False,
    template_from: TemplateFrom = None,
    steer: Annotated[bool, typer.Option(help="With the opinions stage, ask each survey question again with the model steered toward each human group, to show who it can speak for (steered_alignment, steer_gain, steer_specificity; questions x groups x formats more requests).")] = False,
    steer_formats: Annotated[str, typer.Option(help="Comma-separated steering formats (OpinionQA's): qa (the group as an answered question), bio (a self-description), portray ('answer as if you were ...'). Countries are asked 'How would someone from X answer?' instead. Portray alone costs about as much again as the opinions stage; all three about twice as much, and show which format steers best.")] = "portray",
    limit: Annotated[Optional[int], typer.Option(help="Audit only this many statements, spread over languages.")] = None,
    fresh: Fresh = False,
    cache: Cache = True,
    seed: Annotated[int, typer.Option(help="Seed for bootstrap intervals.")] = 0,
    quiet: Quiet = False,
) -> None:
    """Audit how models answer value-laden statements across languages, countries and topics.

    Four stages: **stance** (log-probabilities of yes/no under six framings, in the statement's language and in
    English translation), **long_form** (free answers, refusals, and their stance judged by a model),
    **judge_check** (that judge on 112 built-in answers of known stance, to say how far its reading can be trusted)
    and **opinions** (the model's answer distribution on survey questions against human groups'; with --steer also
    steered toward each group). Writes records,
    results tables, a metrics table and a self-contained `report.html` to the run directory.
    """
    from ..audit import AuditConfig, run_audit

    config = AuditConfig(models=list(model), statements=str(source_of(statements, suite, "--statements",
                                                                      "the built-in suite is 'builtin'")),
                         statement_format=fmt, columns=column_mapping(mapping), limit=limit, survey=survey or "none",
                         survey_format=survey_format, judge=judge,
                         stages=[s.strip() for s in stages.split(",") if s.strip()], translated=translated, chat=chat,
                         max_tokens=max_tokens, refusal_judge=refusal_judge, template_from=template_from, seed=seed,
                         steer=steer, steer_formats=[f.strip() for f in steer_formats.split(",") if f.strip()])
    print_summary(run_audit(config, out_dir, fresh=fresh, progress=show_progress(quiet), use_cache=cache))
