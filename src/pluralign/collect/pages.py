"""The annotator's pages in each language (``languages/<code>.toml``) and the survey's questions.

Answers are stored as the English option (``gender: "Woman"``), whatever language the page was in, so a study in
several languages gives one column per question; country and languages are free text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..data.language_files import LanguageFileError, language_files, read_language_file

SPEC = {
    "consent": {"title": str, "text": str, "agree": str},
    "survey": {"title": str, "intro": str, "skip": str, "submit": str, "age": str, "gender": str,
               "gender_options": [str], "country": str, "languages": str, "education": str,
               "education_options": [str], "political": str, "political_options": [str]},
    "task": {"progress": str, "turn": str, "choose": str, "answer": str, "rank": str, "rationale": str, "rationale_required": str,
             "next": str, "submit": str, "waiting": str, "slow": str, "retry": str, "failed": str, "stale": str},
    "done": {"title": str, "text": str},
}
AGES = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")


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
