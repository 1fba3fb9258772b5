"""`pluralign values`, `values-train` and `values-eval`: parse, call the values jobs, print their maps and tables."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..errors import InputError
from .common import Cache, Chat, ColumnMap, Fresh, Quiet, Samples, column_mapping, guarded, out, print_summary, print_table, \
    show_progress, source_of

commands = typer.Typer()


@commands.command(epilog="""
**Examples**

    pluralign values "Lying to a friend to protect their feelings"
    pluralign values "Mentir sur son âge pour obtenir un emploi" --language fr --explain --all
    pluralign values --suite builtin --out runs/values
    pluralign values --situations mine.csv --map text=action --out runs/mine --relevance-threshold Value=0.4,Duty=0.6
    pluralign values --situations mine.jsonl --scorer trained:scorer.joblib --out runs/fast

A batch run (--situations or --suite) is resumable: re-run the same command after an interruption.
""")
@guarded
def values(
    situation: Annotated[Optional[str], typer.Argument(help="One situation to map, printed as a table (no run directory).")] = None,
    situations: Annotated[Optional[Path], typer.Option("--situations", "-s", help="Situation file (CSV, TSV, JSON, JSONL, Parquet) with id, text and optionally language, topic.")] = None,
    suite: Annotated[Optional[str], typer.Option(help="Built-in situations: 'builtin' (72 situations, 7 languages).")] = None,
    mapping: ColumnMap = [],
    out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", help="Run directory for a batch (default runs/values).")] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Model spec that generates candidates (and scores them with --scorer lm).")] = "embedded",
    scorer: Annotated[str, typer.Option(help="'lm' (the model's label-word probabilities) or 'trained:PATH' (from `pluralign values-train`).")] = "lm",
    language: Annotated[Optional[str], typer.Option(help="Language of the situation (ISO 639-1; default en, or the file's column).")] = None,
    samples: Samples = 8,
    temperature: Annotated[float, typer.Option(help="Temperature of the sampled lists.")] = 0.9,
    max_tokens: Annotated[int, typer.Option(help="Length of each generated list, in tokens.")] = 96,
    explain: Annotated[bool, typer.Option(help="Generate a one-sentence explanation of each kept candidate.")] = False,
    chat: Chat = True,
    relevance_threshold: Annotated[Optional[str], typer.Option(help="Drop candidates less relevant than this; a number or Value=..,Right=..,Duty=.. (default: calibrated for the model on pluralign's labelled situations).")] = None,
    rouge_threshold: Annotated[Optional[str], typer.Option(help="Drop near duplicates with ROUGE-L F above this (default 0.7), per kind as above.")] = None,
    cosine_threshold: Annotated[Optional[str], typer.Option(help="Drop near duplicates with embedding cosine above this (default Value=0.8, Right=0.75, Duty=0.75).")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Also print dropped candidates and why.")] = False,
    limit: Annotated[Optional[int], typer.Option(help="Map only the first N situations of a file or suite.")] = None,
    fresh: Fresh = False,
    cache: Cache = True,
    seed: Annotated[int, typer.Option(help="Seed of the sampled lists and the bootstrap.")] = 0,
    quiet: Quiet = False,
) -> None:
    """Map the values, rights and duties at stake in a situation: how relevant each is, and whether it supports
    or opposes the action.

    The model lists candidates (one greedy and --samples sampled lists, in the situation's language); each is
    scored for relevance (yes / no) and valence (supports / opposes / either) from the probabilities of the label
    words, all candidates of a situation in one batch; candidates under the relevance threshold go, then near
    duplicates of a more relevant candidate of the same kind (ROUGE-L, then embedding cosine). The overall valence
    is the relevance-weighted mix of the valences, and its entropy says how contested the situation is.
    """
    from ..values import Thresholds, ValuesRunConfig, run_values
    from ..valuemaps.stages import map_situation

    if situation is not None and not situation.strip():
        raise InputError("the situation is empty; give a sentence describing an action, e.g. \"Lying to a friend\"")
    if situation is not None and (situations is not None or suite is not None):
        raise InputError("give either one SITUATION or --situations/--suite, not both")
    if situation is None and situations is None and suite is None:
        raise InputError("give a SITUATION to map, or --situations FILE / --suite builtin for a batch")
    thresholds = Thresholds(relevance=_per_kind("--relevance-threshold", relevance_threshold),
                            rouge=_per_kind("--rouge-threshold", rouge_threshold),
                            cosine=_per_kind("--cosine-threshold", cosine_threshold))
    config = ValuesRunConfig(model=model, scorer=scorer, samples=samples, temperature=temperature,
                             max_tokens=max_tokens, explain=explain, chat=chat, thresholds=thresholds, seed=seed,
                             calibrate=relevance_threshold is None)
    if situation is not None:
        found = map_situation(situation, language or "en", config, use_cache=cache)
        _print_map(found, show_all)
        print_calibration(found)
        return
    source = source_of(situations, suite, "--situations", "the built-in suite is 'builtin'")
    config = replace(config, situations=str(source), columns=column_mapping(mapping), language=language, limit=limit)
    print_summary(run_values(config, out_dir or Path("runs/values"), fresh=fresh, progress=show_progress(quiet),
                             use_cache=cache))


@commands.command("values-train", epilog="""
**Examples**

    pluralign values-train --data ValuePrism/ --out scorer.joblib
    pluralign values-train --data relevance_train.csv --data valence_train.csv --test valence_test.csv --out scorer.joblib
""")
@guarded
def values_train(
    data: Annotated[list[Path], typer.Option(help="ValuePrism data: the release folder, a config folder or CSV files (repeat). Folders: the train split.")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Where to save the scorer (joblib).")],
    test: Annotated[list[Path], typer.Option(help="Labelled data to report accuracy on (folders: the test split).")] = [],
    embedder: Annotated[str, typer.Option(help="Sentence embedder: 'embedded' or a sentence-transformers path.")] = "embedded",
    force: Annotated[bool, typer.Option(help="Overwrite an existing scorer file.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the fit and the bootstrap.")] = 0,
) -> None:
    """Fit fast relevance and valence scorers (logistic regressions on sentence embeddings) from ValuePrism-shaped
    labelled data, for `pluralign values --scorer trained:PATH`: no language model needed to score."""
    from ..values.train_job import train_scorer

    print_summary(train_scorer(data, out_path, test=test, embedder=embedder, force=force, seed=seed))


@commands.command("values-eval", epilog="""
**Examples**

    pluralign values-eval --data ValuePrism/ --scorer lm --model embedded --limit 200
    pluralign values-eval --data valence_test.csv --scorer trained:scorer.joblib
    pluralign values-eval --data full.csv --coverage 20 --model embedded
""")
@guarded
def values_eval(
    data: Annotated[list[Path], typer.Option(help="Labelled ValuePrism data (folders: the test split).")],
    scorer: Annotated[str, typer.Option(help="'lm' or 'trained:PATH'.")] = "lm",
    model: Annotated[str, typer.Option("--model", "-m", help="Model spec for the lm scorer and for --coverage.")] = "embedded",
    limit: Annotated[Optional[int], typer.Option(help="Evaluate on the first N labelled rows of each task.")] = None,
    coverage: Annotated[int, typer.Option(help="Also generate value maps for this many gold situations and report how many of their relevant gold values they cover (recall) and how many generated ones are gold (precision).")] = 0,
    samples: Samples = 8,
    chat: Chat = True,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and of generation.")] = 0,
) -> None:
    """Score labelled candidates and report relevance and valence accuracy (with intervals), macro-F1 and the
    majority-class baseline; optionally the share of relevant gold values, rights and duties a generated map covers
    and the share of its items that are gold."""
    from ..data import valueprism_from
    from ..values import ValuesConfig
    from ..valuemaps.evaluate import COVERAGE_THRESHOLD
    from ..values.eval_job import accuracy_table, evaluate_values

    config = ValuesConfig(model=model, scorer=scorer, samples=samples, chat=chat, seed=seed)
    result = evaluate_values(valueprism_from(data, "test"), config, limit=limit, coverage=coverage)
    print_table(f"scorer {result.scorer}", accuracy_table(result.accuracy))
    if result.coverage is not None:
        c = result.coverage
        out.print(f"coverage of relevant gold values (cosine >= {COVERAGE_THRESHOLD}): {c['coverage'].mean():.3f} "
                  f"over {len(c)} situations ({c['matched'].sum()} of {c['gold'].sum()} gold items); "
                  f"precision {c['precision'].mean():.3f} ({c['matched_generated'].sum()} of "
                  f"{c['generated'].sum()} generated items match a gold one)")


def _per_kind(option: str, text: Optional[str]) -> dict[str, float]:
    """'0.5' (every kind) or 'Value=0.4,Right=0.6' (those kinds) -> {kind: threshold}."""
    from ..valuemaps.prompts import KINDS

    if not text:
        return {}
    try:
        if "=" not in text:
            return dict.fromkeys(KINDS, float(text))
        pairs = (part.split("=", 1) for part in text.split(",") if part.strip())
        return {kind.strip().capitalize(): float(value) for kind, value in pairs}
    except ValueError:
        raise InputError(f"{option} takes a number or KIND=NUMBER pairs, e.g. 0.5 or Value=0.4,Duty=0.6; got {text!r}") from None


def _print_map(record: dict, show_all: bool) -> None:
    """One situation's value map as a table, then its overall valence and tensions, or why it has none."""
    table = Table(title=record["situation"], title_justify="left")
    for column, justify in (("kind", "left"), ("value, right or duty", "left"), ("relevance", "right"),
                            ("supports", "right"), ("opposes", "right"), ("either", "right"), ("", "left")):
        table.add_column(column, justify=justify)
    for c in (c for c in record["candidates"] if show_all or c["kept"]):
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


def print_calibration(found: dict) -> None:
    """A map's calibrated relevance threshold and how well the scorer ranks (nothing for a map made with a given
    threshold); the check's evidence when near chance."""
    from ..metrics.checks import CHECKS

    if "relevance_auc" not in found:
        return
    calibration = found
    check = CHECKS["relevance_near_chance"]
    out.print(f"relevance threshold {calibration['relevance_threshold']:.2f}, calibrated for this model on "
              f"{calibration['relevance_pairs']} labelled entries (ROC area {calibration['relevance_auc']:.2f}; "
              "chance 0.50)")
    if check.fires(calibration["relevance_auc"]):
        evidence = check.explain(calibration["relevance_auc"], calibration["relevance_pairs"], "this model")
        out.print(f"[bold yellow]⚠ relevance_near_chance:[/] {evidence}. {check.advice}.")
