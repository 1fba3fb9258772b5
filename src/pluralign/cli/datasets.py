"""`pluralign datasets`: the data card of every source pluralign reads; and the one warning the training commands
print when their data's card restricts training or commercial use."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Iterable, Optional

import typer
from rich.table import Table

from .common import err, guarded, out

if TYPE_CHECKING:  # the cards are read inside the commands: `pluralign --help` never imports the data loaders
    from ..data.cards import DataCard

commands = typer.Typer()


@commands.command(epilog="""
**Examples**

    pluralign datasets                 # every source, its licence, use and restrictions
    pluralign datasets civics          # one card in full: citation, size, url and the loader's column mapping
    pluralign datasets prism --json    # the same as JSON (without a name: every card)

A card's words come from the dataset's own card, licence or README (its url); "unknown: read the card at ..." says
we found none. Where a card restricts training or commercial use, `align`, `export-pairs` and
`collect export --shape trl` warn once when their training data comes from it.
""")
@guarded
def datasets(
    name: Annotated[Optional[str], typer.Argument(help="A card's name (the first column: civics, ca, prism, trl, ...) to show in full.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the data sources pluralign reads: each dataset's licence, what its own card says it is for (evaluation,
    training, both; format: a shape that holds whatever data you bring), and what it restricts. Name a source to see
    its card in full, with its citation, size and how the loader maps the release's columns to ours."""
    from ..data.cards import card, data_cards

    chosen = [card(name)] if name else list(data_cards().values())
    if as_json:
        text = json.dumps([asdict(c) for c in chosen] if name is None else asdict(chosen[0]), indent=2, ensure_ascii=False)
        out.print(text, highlight=False, soft_wrap=True)
    elif name:
        _print_card(chosen[0])
    else:
        table = Table(title="Data sources", caption="pluralign datasets NAME shows one card in full")
        for column in ("name", "source", "dataset", "licence", "use", "restricts"):
            table.add_column(column, overflow="fold")
        for c in chosen:
            unknown = "unknown" if "unknown" in c.restricts_training + c.restricts_commercial else "—"
            table.add_row(c.key, c.source, c.name, c.licence, c.use, ", ".join(c.restrictions) or unknown)
        out.print(table)


def _print_card(chosen: DataCard) -> None:
    """One card, field by field, and its column mapping (theirs -> ours)."""
    table = Table(title=f"{chosen.name} ({chosen.key})", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for field in ("source", "licence", "citation", "size", "use", "card_says", "restricts_training",
                  "restricts_commercial", "url"):
        table.add_row(field.replace("_", " "), getattr(chosen, field) or "—")
    table.add_row("columns", "\n".join(f"{theirs} → {ours}" for theirs, ours in chosen.columns.items()) or "—")
    out.print(table)


def learned_from(run_dir: Path) -> list[DataCard]:
    """The cards of the data a run read, as its manifest records them (none for a run made before cards were)."""
    from ..data.cards import card
    from ..runs import read_manifest

    return [card(entry["card"]) for entry in read_manifest(run_dir).get("data_cards", [])]


def warn_restricted(cards: Iterable[DataCard]) -> None:
    """Print one warning on stderr when any of ``cards`` (a command's training data) restricts training or commercial
    use; nothing otherwise."""
    from ..data.cards import training_warning

    message = training_warning(cards)
    if message:
        err.print(f"[bold yellow]warning:[/] {message}", highlight=False, soft_wrap=True)
