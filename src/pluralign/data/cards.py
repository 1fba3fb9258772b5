"""Data cards: what each source pluralign reads is, its licence and citation, what its own card says it is for, what
that card restricts, and how its loader maps the release's columns to ours.

The cards are data (``cards.toml``), keyed like the sources (``civics``, ``ca``, ``trl``, ``builtin``, ...). A table
read through ``data/sources.py`` carries its card's key (``card_of``), so a run records the card of what it read and a
command warns before its training data comes from a dataset whose card restricts training or commercial use.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import pandas as pd

from ..errors import InputError
from .civics import RELEASE_COLUMNS
from .comparisons import COMPARISON_COLUMNS
from .schema import PROMPT_COLUMNS, SITUATION_COLUMNS, STATEMENT_COLUMNS, SURVEY_COLUMNS
from .valueprism import COLUMN_ALIASES

USES = ("evaluation", "training", "both", "format")
_OURS = {c.name: c.name for c in (*STATEMENT_COLUMNS, *SITUATION_COLUMNS, *PROMPT_COLUMNS)}
# Loaders that keep their mapping in a constant: the card reads it there (theirs -> ours).
_LOADER_COLUMNS = {
    "civics": RELEASE_COLUMNS,
    "valueprism": {" | ".join(theirs): ours for ours, theirs in COLUMN_ALIASES.items()},
    "comparisons": {c: c for c in COMPARISON_COLUMNS},
    "collect": {c: c for c in COMPARISON_COLUMNS},
    "long": {c.name: c.name for c in SURVEY_COLUMNS},
    "file": _OURS,
    "builtin": _OURS,
}


@dataclass(frozen=True)
class DataCard:
    """One dataset's card. ``restricts_training`` and ``restricts_commercial`` hold the card's own words where it
    restricts that use (empty where it does not; "unknown: ..." where we found no words)."""

    key: str
    name: str
    source: str
    licence: str
    citation: str
    size: str
    use: str
    card_says: str
    restricts_training: str
    restricts_commercial: str
    url: str
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def restrictions(self) -> dict[str, str]:
        """The uses the card restricts, by name (training, commercial), in its words; unknown ones left out."""
        found = {"training": self.restricts_training, "commercial": self.restricts_commercial}
        return {use: words for use, words in found.items() if words and not words.startswith("unknown")}

    def summary(self) -> dict:
        """What a run's manifest records: name, licence and restrictions."""
        return {"card": self.key, "name": self.name, "licence": self.licence, "restrictions": self.restrictions}


@cache
def data_cards() -> dict[str, DataCard]:
    """Every card, by key, in the order ``cards.toml`` lists them."""
    text = resources.files(__package__).joinpath("cards.toml").read_text(encoding="utf-8")
    cards = {}
    for key, fields in tomllib.loads(text).items():
        if fields.get("use") not in USES:
            raise ValueError(f"cards.toml [{key}]: use must be one of {', '.join(USES)}, got {fields.get('use')!r}")
        columns = _LOADER_COLUMNS.get(key, fields.pop("columns", {}))
        cards[key] = DataCard(key=key, columns=dict(columns), **fields)
    return cards


def card(key: str) -> DataCard:
    """The card called ``key``; ValueError naming the cards there are."""
    cards = data_cards()
    if key not in cards:
        raise InputError(f"no data card {key!r}; the cards are {', '.join(cards)}")
    return cards[key]


def with_card(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """``table``, marked as read from the dataset of card ``key`` (kept in ``table.attrs``, as ``left_out`` is)."""
    table.attrs["data_card"] = card(key).key
    return table


def card_of(table: pd.DataFrame | None) -> DataCard | None:
    """The card of the dataset ``table`` was read from, or None for a table no source marked."""
    key = None if table is None else table.attrs.get("data_card")
    return card(key) if key else None


def read_cards(*tables: pd.DataFrame | None) -> list[dict]:
    """The manifest's entry for the tables a run read: each distinct card's summary, in order."""
    found = {c.key: c for c in map(card_of, tables) if c is not None}
    return [c.summary() for c in found.values()]


def training_warning(cards: Iterable[DataCard]) -> str | None:
    """One message naming each dataset among ``cards`` (those of a command's training data) whose card restricts
    training or commercial use, in the card's words; None when none does."""
    restricted = [c for c in {c.key: c for c in cards}.values() if c.restrictions]
    if not restricted:
        return None
    return "; ".join(f"training data from {c.name}, whose card restricts "
                     + " and ".join(f"{use} use ({words})" for use, words in c.restrictions.items())
                     + f"; read {c.url} before you train on it or use what you train" for c in restricted)
