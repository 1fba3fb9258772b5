"""Small original suites written for this project (not copied from any dataset).

``statements.jsonl``: 24 value-laden positions over 6 topics, half on each side of each topic, written in 7
languages (en, de, fr, it, tr, es, pt) as a parallel suite, so a difference between languages is a difference of
language alone. ``survey.jsonl``: 6 survey questions with *illustrative* answer distributions for three age
groups, for tests and the demo; they are not survey results.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

from ..opinions import load_survey
from ..tables import load_statements


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
