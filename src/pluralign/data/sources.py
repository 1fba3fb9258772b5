"""Data sources: one string names a table of data, for the command line and the Python API alike.

    builtin                      the built-in suite (statements, survey, situations or prompts)
    civics:FILE                  statements in CIVICS's columns
    opinionqa:DIR                a survey wave folder of OpinionQA (info.csv, metadata.csv, responses.csv)
    global-opinions:FILE         Anthropic's GlobalOpinionQA
    long:FILE                    a survey in our long columns
    ca:FILE                      Community Alignment's wide file of choices
    prism:FILE|DIR               PRISM's conversations or utterances, or its release folder
    comparisons:FILE             our long table of choices (annotators from a second file)
    trl:FILE                     TRL's pairwise preferences
    collect:DB                   a `pluralign collect` study's database (SQLite file or URL)
    FILE                         a plain file (CSV, TSV, JSON, JSONL, Parquet) in our columns, or with a column mapping

The twin of ``models/spec.py``: each function below accepts the kinds that make sense for its table and names
them when it gets anything else.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .builtin import builtin_prompts, builtin_situations, builtin_statements, builtin_survey
from .cards import DataCard, card, with_card
from .civics import load_civics
from .comparisons import load_community_alignment, load_comparisons, load_trl_pairwise
from .opinions import load_global_opinions, load_opinionqa, load_survey
from .prism import load_prism
from .schema import left_out, left_out_notes
from .tables import load_prompts, load_situations, load_statements
from .valueprism import load_valueprism

SURVEY_FORMATS = {"long": load_survey, "global-opinions": load_global_opinions, "opinionqa": load_opinionqa}
# What each table accepts (bare words, prefixes, and "file" for a plain path), and how an error says so.
SOURCES = {
    "statements": (("builtin", "civics", "file"), "a statement source is builtin, civics:FILE or a FILE"),
    "survey": (("builtin", "none", *SURVEY_FORMATS, "file"),
               "a survey is builtin, none, opinionqa:DIR, global-opinions:FILE, long:FILE or a FILE"),
    "situations": (("builtin", "file"), "a situation source is builtin or a FILE"),
    "prompts": (("builtin", "file"), "a prompt source is builtin or a FILE"),
    "comparisons": (("ca", "prism", "comparisons", "trl", "collect"),
                    "comparison data is ca:FILE, prism:FILE|DIR, comparisons:FILE, trl:FILE or collect:DB"),
}
_PREFIX = re.compile(r"^[A-Za-z][\w-]+:")  # two letters or more: "C:\data.csv" is a path, not a source kind


@dataclass(frozen=True)
class DataSource:
    """A parsed source: ``kind`` is builtin, none, file or a prefix (civics, ca, ...); ``target`` the path after it."""

    kind: str
    target: str
    text: str


def parse_source(text: str | Path, table: str) -> DataSource:
    """Read the kind of a source of ``table`` (a key of ``SOURCES``) without loading anything; raise ValueError
    naming the shapes that table accepts. A string that exists as a path is a file, so ``a:b.csv`` still loads."""
    kinds, accepted = SOURCES[table]
    source = str(text).strip()
    if source in kinds and source in ("builtin", "none"):
        return DataSource(source, "", source)
    if "file" in kinds and source and Path(source).exists():
        return DataSource("file", source, source)
    kind, sep, target = source.partition(":")
    if sep and target and kind in kinds:
        return DataSource(kind, target, source)
    if "file" in kinds and source and not _PREFIX.match(source):
        return DataSource("file", source, source)
    raise InputError(f"{accepted}, got {source!r}")


def source_card(source: str | Path, table: str) -> DataCard:
    """The data card of ``source``, a source of ``table``, without loading it: its kind's (``civics``, ``ca``, ``trl``,
    ``builtin``, ``file``, ...). A run records the card of the tables it read (``read_cards``); this one is for a
    command that warns before it reads."""
    return card(parse_source(source, table).kind)


def statements_from(source: str | Path = "builtin", *, fmt: str = "generic", columns: Mapping[str, str] | None = None,
                    limit: int | None = None) -> pd.DataFrame:
    """A statement table from ``builtin``, ``civics:FILE`` or a FILE (``fmt`` 'generic': our columns, renamed by
    ``columns`` (ours -> theirs); 'civics': CIVICS's). ``limit`` keeps that many statements, interleaving languages
    and topics so that a small sample still covers them all."""
    if fmt not in ("generic", "civics"):
        raise InputError(f"unknown statement format {fmt!r}; choose from generic, civics")
    parsed = parse_source(source, "statements")
    civics = parsed.kind == "civics" or (parsed.kind == "file" and fmt == "civics")
    if parsed.kind == "builtin":
        table = builtin_statements()
    elif civics:
        table = load_civics(parsed.target)
    else:
        table = load_statements(parsed.target, columns=columns)
    if limit:
        order = table.groupby(["language", "topic"], sort=False).cumcount()
        table = (table.assign(_k=order).sort_values(["_k", "topic", "language"], kind="stable").head(limit)
                 .drop(columns="_k"))
    return with_card(table, "civics" if civics else parsed.kind)


def survey_from(source: str | Path | None = "builtin", fmt: str = "long") -> pd.DataFrame | None:
    """A survey with human answer distributions, or None for ``none`` (and None): ``builtin``, ``opinionqa:DIR``,
    ``global-opinions:FILE``, or a FILE read as ``fmt`` (long, global-opinions or opinionqa)."""
    if source is None:
        return None
    parsed = parse_source(source, "survey")
    if parsed.kind == "none":
        return None
    if parsed.kind == "builtin":
        return with_card(builtin_survey(), "builtin")
    if parsed.kind == "file" and fmt not in SURVEY_FORMATS:
        raise InputError(f"unknown --survey-format {fmt!r}; choose from {', '.join(SURVEY_FORMATS)}")
    kind = fmt if parsed.kind == "file" else parsed.kind
    return with_card(SURVEY_FORMATS[kind](Path(parsed.target)), kind)


def situations_from(source: str | Path = "builtin", *, columns: Mapping[str, str] | None = None,
                    language: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """A situation table from ``builtin`` or a FILE (columns renamed by ``columns``; ``language`` for files
    without a language column); ``limit`` keeps the first rows."""
    parsed = parse_source(source, "situations")
    if parsed.kind == "builtin":
        table = builtin_situations()
    else:
        table = load_situations(parsed.target, columns=columns, defaults={"language": language} if language else None)
    return with_card(table.head(limit) if limit else table, parsed.kind)


def prompts_from(source: str | Path = "builtin", *, columns: Mapping[str, str] | None = None,
                 limit: int | None = None) -> pd.DataFrame:
    """A prompt table for candidate sets from ``builtin`` or a FILE (columns renamed by ``columns``); ``limit``
    keeps the first rows."""
    parsed = parse_source(source, "prompts")
    table = builtin_prompts() if parsed.kind == "builtin" else load_prompts(parsed.target, columns=columns)
    return with_card(table.head(limit) if limit else table, parsed.kind)


def comparisons_from(source: str, annotators: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The comparison and annotator tables of ``ca:FILE``, ``collect:DB``, ``prism:FILE|DIR`` (``annotators``: its survey, when
    outside the folder), ``trl:FILE`` or ``comparisons:FILE`` (``annotators``: the annotator table). What the loader left
    out is counted in ``left_out(comparisons)``, for the caller to say (``warn_left_out``, or a run's manifest)."""
    parsed = parse_source(source, "comparisons")
    if parsed.kind == "ca":
        tables = load_community_alignment(parsed.target)
    elif parsed.kind == "trl":
        tables = load_trl_pairwise(parsed.target)
    elif parsed.kind == "collect":
        from .collection import load_collection  # SQLAlchemy, imported only for a collection database

        tables = load_collection(parsed.target)
    elif parsed.kind == "comparisons":
        tables = load_comparisons(parsed.target, annotators)
    else:
        tables = load_prism(parsed.target, annotators)
    return with_card(tables[0], parsed.kind), tables[1]


def warn_left_out(table: pd.DataFrame, source: str) -> None:
    """Warn once per reason the loader left rows of ``source`` out, so that no command drops data silently (learn
    records them in its run instead)."""
    for line in left_out_notes(source, left_out(table), len(table)):
        warnings.warn(line, stacklevel=2)


def valueprism_from(paths: Sequence[str | Path], split: str) -> pd.DataFrame:
    """Labelled ValuePrism rows from release folders, config folders or CSV files, one table; a folder gives only
    ``split`` (train, val or test), a file all of its rows."""
    table = pd.concat([load_valueprism(p, split=split if Path(p).is_dir() else None) for p in paths], ignore_index=True)
    return with_card(table, "valueprism")
