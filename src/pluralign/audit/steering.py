"""Steering toward a human group: the texts that ask a survey question of a model steered toward a group, and the
items of the audit's ``steer`` stage.

The formats are OpinionQA's (Santurkar et al. 2023): the group as an earlier answered question (``qa``), as a short
self-description (``bio``), and "answer as if you were ..." (``portray``); a group that names a country is asked
GlobalOpinionQA's cross-national question instead (Durmus et al. 2023: "How would someone from X answer?",
``country``). The texts are data, one file per language in ``steering/<code>.toml``, in the survey question's
language (English where it has none yet). A steer comes last, after the question, its options and the instruction,
so a steered prompt shares all the rest with the unsteered one and with every other steer of it; the stage asks them
in one call, and the backends compute that prefix once.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

import pycountry

from ..data.language_files import LanguageFileError, language_files, read_language_file
from ..models.base import ScoreRequest
from .pluralism import OVERALL
from .prompts import survey_prompt

FORMATS = ("qa", "bio", "portray")
COUNTRY = "country"


@dataclass(frozen=True)
class SteerPrompts:
    """One language's steering texts; each has a ``{group}`` slot for the group's name."""

    qa: str
    bio: str
    portray: str
    country: str


STEERING: Traversable = resources.files(__package__) / "steering"


def read_steering(path: Traversable) -> SteerPrompts:
    """One steering file, checked: every field present and naming ``{group}`` once."""
    table = read_language_file(path, {name: str for name in (*FORMATS, COUNTRY)})
    for name, text in table.items():
        rest = text.replace("{group}", "", 1)
        if "{group}" not in text or "{" in rest or "}" in rest:
            raise LanguageFileError(path, name, "must name {group} exactly once and hold no other braces")
    return SteerPrompts(**table)


STEER_PROMPTS: dict[str, SteerPrompts] = {lang: read_steering(path) for lang, path in language_files(STEERING).items()}


# GlobalOpinionQA's names of countries that pycountry does not know by them (it knows Türkiye, not Turkey)
_COUNTRY_NAMES = {"britain", "great britain", "russia", "turkey", "czech rep.", "ivory coast", "palestinian territories"}


def is_country(group: str) -> bool:
    """Whether a group names a country (GlobalOpinionQA's groups), as pycountry or GlobalOpinionQA names it."""
    if group.strip().lower() in _COUNTRY_NAMES:
        return True
    try:
        pycountry.countries.lookup(group)
    except LookupError:
        return False
    return True


def group_name(group: str) -> str:
    """The group's name as a steer says it: OpinionQA's ``ATTRIBUTE: group`` without its attribute."""
    return group.split(": ", 1)[1] if ": " in group else group


def formats_for(group: str, formats: list[str]) -> list[str]:
    """The formats a group is steered in: ``country`` alone for a country, the configured ``formats`` otherwise."""
    return [COUNTRY] if is_country(group) else list(formats)


def steer_text(group: str, fmt: str, language: str | None) -> str:
    """The steer toward ``group`` in format ``fmt``, in ``language`` (English where that has no file)."""
    prompts = STEER_PROMPTS.get(language or "en", STEER_PROMPTS["en"])
    return getattr(prompts, fmt).format(group=group_name(group))


def steer_items(survey, formats: list[str]) -> list[dict]:
    """Per survey question, its unsteered item (``format`` None: the opinions stage's question) and one item per
    human group (but OpinionQA's ``Overall``) and format, question by question: one call to the model then holds a
    question with its steers and computes the question once."""
    language = survey["language"] if "language" in survey else None
    table = survey.assign(_language=language)
    rows = []
    for q in table.drop_duplicates("question_id").to_dict("records"):
        base = {"question_id": q["question_id"], "question": q["question"], "options": list(q["options"]),
                "language": q["_language"]}
        rows.append({**base, "group": None, "format": None})
        groups = table.loc[table["question_id"] == q["question_id"], "group"].drop_duplicates()
        for group in groups[groups.str.lower() != OVERALL]:  # the whole population: what the unsteered model answers
            rows += [{**base, "group": group, "format": fmt} for fmt in formats_for(group, formats)]
    return rows


def steer_request(item: dict, chat: bool) -> ScoreRequest:
    """The survey question with its steer (none for the unsteered item), scored on the letters of its options."""
    steer = steer_text(item["group"], item["format"], item["language"]) if item["format"] else None
    return ScoreRequest(*survey_prompt(item["question"], item["options"], chat, steer))
