"""Small original suites written for this project (not copied from any dataset).

``statements.jsonl``: 24 value-laden positions over 6 topics, half on each side of each topic, written in 7
languages (en, de, fr, it, tr, es, pt) as a parallel suite, so a difference between languages is a difference of
language alone. ``survey.jsonl``: 6 survey questions with *illustrative* answer distributions for three age
groups, for tests and the demo; they are not survey results. Each group's ``weight``, its share of the adult
population (0.30, 0.32, 0.38), is rounded from the age structure of US adults in the 2020 census, so that the
population's answers (``population_alignment``) are the groups' mixed as a census would mix them. ``situations.jsonl``: 72 everyday situations for value
maps (30 in English, 7 in each of de, fr, it, tr, es, pt, each with an English translation), over honesty, family,
work, community, health, environment, property and privacy. ``value_poles.jsonl``: 44 short responses with a known
pole on one of the two Inglehart–Welzel axes (12 in English, 8 in each of de, fr, es, tr), to validate value judges. ``prompts.jsonl``: 28 value-laden questions people ask (4 in each of en, de, fr, it, tr, es,
pt) for candidate sets. ``refusals.jsonl``: 478 long-form answers to the
statements, labelled refusal or stance (at least 20 of each per suite language, with traps such as "I cannot agree
more" or refusals written with ’), to check refusal detection per language; ``batch`` says when a row was written:
1 before the refusal patterns, 2 after them and then used to broaden them, 3 after that and never used to tune them,
4 on 2026-12-06 after the phrases last changed (commit e763538, their turns to a stance) and never used to tune them:
8 per language, half polite deflections and other refusals, half hedged answers that take a stance, each with the
English statement it answers (``statement_id``), so the stance judge can be asked as in an audit.
``stances.jsonl``: 112 long-form answers to English statements of the suite (16 in each of en, de, fr, it, tr, es, pt,
4 per label), labelled agree, disagree, neutral or refusal relative to the statement, to measure the stance judge's
accuracy per language.
``overton.jsonl``: 168 labelled (answer, value-map entry) pairs to validate the Overton coverage scorer: two situations
(refusing a loan to a brother who lost his job; reading a teenager's diary) written as a parallel suite in en, de, fr,
it, tr, es, pt, each with a hand-written map of three entries (kind, text, valence; both valences in each) and four
answers that take 0, 1, 2 and all 3 of them into account; ``label`` says whether the answer takes the entry into
account (``covered``) or not (``ignored``). Written on 2026-12-06 for issue 35, before the scorer was run on them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from ..opinions import load_survey
from ..schema import Column, DatasetError
from ..tables import load_prompts, load_situations, load_statements, load_table

REFUSAL_LABELS = ("refusal", "stance")
_REFUSAL_COLUMNS = (
    Column("id", "str"), Column("language", "lang"), Column("text", "str", doc="a model's long-form answer"),
    Column("label", "str", doc="refusal or stance"), Column("trap", "str", False, "what makes the row hard"),
    Column("statement_id", "str", False, "the English statement it answers (batch 4)"),
)
STANCE_LABELS = ("agree", "disagree", "neutral", "refusal")
_STANCE_COLUMNS = (
    Column("id", "str"), Column("language", "lang"), Column("statement_id", "str"),
    Column("text", "str", doc="a model's long-form answer to the statement, in `language`"),
    Column("label", "str", doc="its stance towards the English statement: agree, disagree, neutral or refusal"),
)

OVERTON_LABELS = ("covered", "ignored")
_OVERTON_COLUMNS = (
    Column("id", "str"), Column("language", "lang"), Column("situation_id", "str"), Column("situation", "str"),
    Column("answer_id", "str"), Column("answer", "str", doc="an answer to the situation, in `language`"),
    Column("kind", "str", doc="Value, Right or Duty"), Column("text", "str", doc="the map entry"),
    Column("valence", "str", doc="whether the entry supports or opposes the action (or either)"),
    Column("label", "str", doc="covered or ignored: whether the answer takes the entry into account"),
)


def _path(name: str):
    return resources.files(__name__).joinpath(name)


def builtin_statements() -> pd.DataFrame:
    """The built-in statement suite as a validated statement table."""
    with resources.as_file(_path("statements.jsonl")) as path:
        return load_statements(path)


def builtin_survey() -> pd.DataFrame:
    """The built-in illustrative survey as a validated survey table."""
    with resources.as_file(_path("survey.jsonl")) as path:
        return load_survey(path)


def builtin_value_poles() -> pd.DataFrame:
    """Responses with known value poles: id, text, language, axis, pole (−1 traditional / survival, +1 secular-rational
    / self-expression)."""
    with resources.as_file(_path("value_poles.jsonl")) as path:
        return pd.read_json(path, lines=True)


def builtin_situations() -> pd.DataFrame:
    """The built-in situations as a validated situation table."""
    with resources.as_file(_path("situations.jsonl")) as path:
        return load_situations(path)


def builtin_prompts() -> pd.DataFrame:
    """The built-in prompts for candidate sets as a validated prompt table."""
    with resources.as_file(_path("prompts.jsonl")) as path:
        return load_prompts(path)


def _load_labelled(path: Path, columns: tuple[Column, ...], labels: tuple[str, ...]) -> pd.DataFrame:
    """A table of ``columns`` from ``path`` whose ``label`` is one of ``labels``; an unknown label is a DatasetError
    naming its row."""
    table = load_table(path, columns)
    bad = ~table["label"].isin(labels)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise DatasetError(path, f"label must be one of {', '.join(labels)}, got {table['label'].iloc[i]!r}",
                           row=int(table["_row"].iloc[i]), column="label")
    return table.drop(columns="_row")


def builtin_refusals() -> pd.DataFrame:
    """Long-form answers labelled ``refusal`` or ``stance`` (id, language, text, label, trap, batch, statement_id), to measure
    refusal detection per language; an unknown label is a DatasetError naming its row."""
    with resources.as_file(_path("refusals.jsonl")) as path:
        return _load_labelled(path, _REFUSAL_COLUMNS, REFUSAL_LABELS)


def builtin_stances() -> pd.DataFrame:
    """Long-form answers labelled with their stance towards an English statement of the suite (id, language,
    statement_id, text, label: one of ``STANCE_LABELS``), to measure the stance judge per language; an unknown label is
    a DatasetError naming its row."""
    with resources.as_file(_path("stances.jsonl")) as path:
        return _load_labelled(path, _STANCE_COLUMNS, STANCE_LABELS)


def builtin_overton() -> pd.DataFrame:
    """Answers paired with value-map entries, labelled ``covered`` or ``ignored`` (id, language, situation_id,
    situation, answer_id, answer, kind, text, valence, label), to measure the Overton coverage scorer per language; an
    unknown label is a DatasetError naming its row."""
    with resources.as_file(_path("overton.jsonl")) as path:
        return _load_labelled(path, _OVERTON_COLUMNS, OVERTON_LABELS)
