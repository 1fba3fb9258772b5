"""`pluralign values-overton`: how much of a situation's value map one answer, or a set of answers, takes into account."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from .common import Cache, Chat, Samples, guarded, out
from .values import print_calibration

if TYPE_CHECKING:
    import pandas as pd

commands = typer.Typer()


@commands.command("values-overton", epilog="""
**Examples**

    pluralign values-overton "Refusing to lend money to a brother who lost his job"
    pluralign values-overton "Reading your teenager's diary without asking" --answers mine.csv
    pluralign values-overton "Mentir sur son âge pour obtenir un emploi" --language fr --model hf:Qwen/Qwen2.5-1.5B-Instruct

Without --answers, the model answers the situation twice: once greedily (set "single") and once as a
negatively-correlated set of four (set "negatively-correlated", the sampler of `pluralign sample`).
An --answers file (CSV, TSV, JSON, JSONL, Parquet) has a column `answer` and, optionally, `answer_set`
(answers sharing a set are scored together: an entry counts as covered when any of them covers it).
""")
@guarded
def values_overton(
    situation: Annotated[str, typer.Argument(help="The situation or question whose value map is the window.")],
    answers: Annotated[Optional[Path], typer.Option(help="Answers to score (column answer, optionally answer_set); default: the model's own.")] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Model spec that maps the situation, scores coverage and (without --answers) answers.")] = "embedded",
    language: Annotated[str, typer.Option(help="Language of the situation and answers (ISO 639-1).")] = "en",
    samples: Samples = 8,
    chat: Chat = True,
    cache: Cache = True,
    seed: Annotated[int, typer.Option(help="Seed of the sampled lists and answers.")] = 0,
) -> None:
    """Overton coverage (after Sorensen et al. 2024, "A Roadmap to Pluralistic Alignment"): the situation's value map
    (the values, rights and duties at stake, as `pluralign values` finds them, relevance threshold calibrated for the
    model) is the window; an answer's **coverage** is the share of the map's entries it takes into account (each
    judged yes / no by the model, with the answer between the situation and the entry), its **balance** whether it
    takes into account an entry on each side where the map has both. A set covers what any of its answers covers.
    The scorer's accuracy on pluralign's labelled answers in the situation's language is printed with it."""
    from ..values.coverage import overton_coverage

    found = overton_coverage(situation, answers, model=model, language=language, samples=samples, chat=chat,
                             use_cache=cache, seed=seed)
    if not len(found.rows):
        out.print("the value map kept no entry, so there is nothing to cover; see the map with `pluralign values`")
    else:
        _print_coverage(situation.strip(), found.rows, found.answers, found.measures)
    print_calibration(found.calibration)
    _print_scorer(found.scorer_check)


def _print_coverage(situation: str, rows: pd.DataFrame, answers: pd.DataFrame, measures: pd.DataFrame) -> None:
    """The answers, then one row per map entry with p(taken into account) per answer, then coverage and balance."""
    import pandas as pd  # here, not at the top: `pluralign --help` never imports pandas

    for a in answers.itertuples(index=False):
        out.print(f"[bold]{a.answer_set} #{a.answer_id}[/]: {a.answer}")
    columns = [(s, i) for s, i in rows[["answer_set", "answer_id"]].drop_duplicates().itertuples(index=False)]
    table = Table(title=f"{situation}: p(taken into account) of each entry of its value map", title_justify="left")
    for column in ("kind", "entry", "valence", *(f"{s} #{i}" for s, i in columns)):
        table.add_column(column)
    for (kind, text, valence), part in rows.groupby(["kind", "text", "valence"], sort=False):
        p = dict(zip(zip(part["answer_set"], part["answer_id"]), part["p_covered"]))
        table.add_row(kind, text, valence, *(f"{p[c]:.2f}" for c in columns))
    out.print(table)
    for m in measures.itertuples(index=False):
        balance = "n/a (the map has not both sides)" if pd.isna(m.overton_balance) else ("yes" if m.overton_balance else "no")
        out.print(f"{m.answer_set}: coverage {m.overton_coverage:.2f} ({m.covered} of {m.entries} entries; soft "
                  f"{m.overton_coverage_soft:.2f}) · balance {balance}")


def _print_scorer(scored: pd.DataFrame) -> None:
    """The coverage scorer's accuracy on the labelled pairs of the language, and the check's word when near chance."""
    from ..metrics.checks import CHECKS

    check = CHECKS["overton_scorer_near_chance"]
    accuracy, n, language = scored["correct"].mean(), len(scored), scored["language"].iloc[0]
    out.print(f"coverage scorer: {accuracy:.1%} of {n} labelled (answer, entry) pairs in {language} judged correctly "
              "(chance 50%)")
    if check.fires(accuracy):
        out.print(f"[bold yellow]⚠ overton_scorer_near_chance:[/] {check.explain(accuracy, n, language)}. {check.advice}.")
