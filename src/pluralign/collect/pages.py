"""The annotator's pages in each language (``languages/<code>.toml``) and the survey's questions.

Answers are stored as the English option (``gender: "Woman"``), whatever language the page was in, so a study in
several languages gives one column per question; country and languages are free text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..data.language_files import LanguageFileError, language_files, read_language_file
from ..errors import InputError

SPEC = {
    "consent": {"title": str, "text": str, "agree": str, "researcher": str, "contact": str, "kept": str,
                "decline": str},
    "survey": {"title": str, "intro": str, "skip": str, "submit": str, "age": str, "gender": str,
               "gender_options": [str], "country": str, "languages": str, "education": str,
               "education_options": [str], "political": str, "political_options": [str]},
    "task": {"progress": str, "turn": str, "choose": str, "answer": str, "rank": str, "rank_short": str,
             "rationale": str, "rationale_required": str,
             "next": str, "submit": str, "waiting": str, "slow": str, "retry": str, "failed": str, "stale": str},
    "done": {"title": str, "text": str},
    "declined": {"title": str, "text": str},
    "error": {"title": str, "back": str, **{reason: str for reason in ("unknown", "expired", "busy", "locked",
                                                                        "choose", "rank", "rationale", "invalid")}},
}
AGES = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")


class SurveyError(InputError):
    """Survey answers to a question the study does not ask, or with an option the question does not offer."""


@dataclass(frozen=True)
class Question:
    """A survey question: its name (the annotator table's column), its label, and its (value, label) options; no
    options means free text."""

    name: str
    label: str
    options: tuple[tuple[str, str], ...] = ()


@cache
def page_strings() -> dict[str, dict]:
    """Every language's strings, checked: each file has every field, and as many options as English."""
    files = language_files(resources.files("pluralign.collect") / "languages")
    strings = {code: read_language_file(path, SPEC) for code, path in files.items()}
    for code, table in strings.items():
        for field in ("gender_options", "education_options", "political_options"):
            if len(table["survey"][field]) != len(strings["en"]["survey"][field]):
                raise LanguageFileError(files[code], f"survey.{field}",
                                        f"needs {len(strings['en']['survey'][field])} options, as en.toml has")
    return strings


def strings_for(language: str) -> dict:
    """The pages' strings in ``language`` (English where the study asks for a language with no file)."""
    strings = page_strings()
    return strings.get(language, strings["en"])


def browser_language(accept_language: str, offered: tuple[str, ...]) -> str | None:
    """The first language of a browser's ``Accept-Language`` header among ``offered`` (``fr-CH`` counts as ``fr``),
    for a page shown before the person is known (an unknown invite link); None when it names none of them."""
    ranked = []
    for i, part in enumerate(accept_language.split(",")):
        code, _, weight = part.strip().partition(";q=")
        try:
            ranked.append((-float(weight or 1), i, code.split("-")[0].strip().lower()))
        except ValueError:  # a malformed weight: that entry is skipped
            continue
    return next((code for *_, code in sorted(ranked) if code in offered), None)


def questions(names: tuple[str, ...], language: str) -> list[Question]:
    """The survey's questions ``names`` in ``language``."""
    survey, english = strings_for(language)["survey"], strings_for("en")["survey"]
    def options(field: str) -> tuple[tuple[str, str], ...]:
        return tuple(zip(english[field], survey[field]))
    every = {"age": Question("age", survey["age"], tuple((a, a) for a in AGES)),
             "gender": Question("gender", survey["gender"], options("gender_options")),
             "country": Question("country", survey["country"]),
             "languages": Question("languages", survey["languages"]),
             "education": Question("education", survey["education"], options("education_options")),
             "political": Question("political", survey["political"], options("political_options"))}
    return [every[n] for n in names]


def survey_answers(given: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """``given`` answers to the survey's questions ``names``, stripped; raises SurveyError for a question it does not
    ask or an option its question does not offer, so the annotator table holds the study's questions and options only
    (a skipped question's blank is kept: the store leaves it out)."""
    offered = {q.name: [value for value, _ in q.options] for q in questions(names, "en")}
    unknown = [name for name in given if name not in offered]
    if unknown:
        raise SurveyError(f"the survey has no question {unknown[0][:40]!r}; it asks {', '.join(offered)}")
    answers = {name: value.strip() for name, value in given.items()}
    for name, value in answers.items():
        if value and offered[name] and value not in offered[name]:
            raise SurveyError(f"{value[:40]!r} is not an option of {name}; choose one of {', '.join(offered[name])}")
    return answers
