"""Small original suites written for this project (not copied from any dataset).

``statements.jsonl``: 24 value-laden positions over 6 topics, half on each side of each topic, written in 7
languages (en, de, fr, it, tr, es, pt) as a parallel suite, so a difference between languages is a difference of
language alone. ``survey.jsonl``: 6 survey questions with *illustrative* answer distributions for three age
groups, for tests and the demo; they are not survey results. ``situations.jsonl``: 72 everyday situations for value
maps (30 in English, 7 in each of de, fr, it, tr, es, pt, each with an English translation), over honesty, family,
work, community, health, environment, property and privacy.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from ..opinions import load_survey
from ..tables import load_situations, load_statements


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


def builtin_situations() -> pd.DataFrame:
    """The built-in situations as a validated situation table."""
    with resources.as_file(_path("situations.jsonl")) as path:
        return load_situations(path)
