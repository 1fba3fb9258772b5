"""Small original suites written for this project (not copied from any dataset).

``statements.jsonl``: 24 value-laden positions over 6 topics, half on each side of each topic, written in 7
languages (en, de, fr, it, tr, es, pt) as a parallel suite, so a difference between languages is a difference of
language alone. ``survey.jsonl``: 6 survey questions with *illustrative* answer distributions for three age
groups, for tests and the demo; they are not survey results. ``situations.jsonl``: 72 everyday situations for value
maps (30 in English, 7 in each of de, fr, it, tr, es, pt, each with an English translation), over honesty, family,
work, community, health, environment, property and privacy. ``value_poles.jsonl``: 44 short responses with a known
pole on one of the two Inglehart–Welzel axes (12 in English, 8 in each of de, fr, es, tr), to validate value judges. ``prompts.jsonl``: 28 value-laden questions people ask (4 in each of en, de, fr, it, tr, es,
pt) for candidate sets.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from ..opinions import load_survey
from ..tables import load_prompts, load_situations, load_statements


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
