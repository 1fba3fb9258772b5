"""The audit's prompts. Per language, read from ``languages/<code>.toml``: framings with localised answer words,
and the phrases by which an answer refuses. Judge and survey prompts are English only.

Each language has framings that invite agreement and as many negations of them, which invite disagreement; a model
that is consistent gives p(agree) under a framing equal to p(agree) under its negation. The statement comes (after
the instruction) before the framing question, so that a statement's framings share everything but the question as
a prefix, which the backends compute once.

Adding a language is adding a file: copy ``languages/en.toml`` to ``languages/<ISO 639-1 code>.toml`` and translate
it; every field is checked when the package is imported.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from ..data.language_files import LanguageFileError, Spec, language_files, read_language_file
from ..models.base import Message


@dataclass(frozen=True)
class Framing:
    id: str            # e.g. "agree-1", "disagree-1"
    question: str
    negated: bool      # True: "Yes" means disagreement


@dataclass(frozen=True)
class LanguagePrompts:
    """One language's audit prompts, as its file ``languages/<code>.toml`` has them."""

    label: str                         # "Statement" in the language
    agree: tuple[str, ...]             # questions that invite agreement
    disagree: tuple[str, ...]          # the negation of the agree framing at the same index
    instruction: str
    yes: str
    no: str
    long_form: str
    refusal_patterns: tuple[str, ...]  # regular expressions for phrases that refuse (see `refusal_match`)
    stance_turns: tuple[str, ...]      # ... and for a sentence's turn to a stance after one ("..., but I agree")

    @property
    def framings(self) -> list[Framing]:
        return [Framing(f"agree-{i + 1}", q, False) for i, q in enumerate(self.agree)] + [
            Framing(f"disagree-{i + 1}", q, True) for i, q in enumerate(self.disagree)]


LANGUAGES: Traversable = resources.files(__package__) / "languages"

_FIELDS: dict[str, Spec] = {"label": str, "agree": [str], "disagree": [str], "instruction": str, "yes": str, "no": str,
                            "long_form": str, "refusal_patterns": [str], "stance_turns": [str]}


def read_language(path: Traversable) -> LanguagePrompts:
    """One language file, checked: its fields, as many negations as agree framings, and patterns that compile."""
    table = read_language_file(path, _FIELDS)
    if len(table["disagree"]) != len(table["agree"]):
        raise LanguageFileError(path, "disagree", f"{len(table['disagree'])} framings for {len(table['agree'])} agree "
                                "framings; each agree framing needs its negation at the same place")
    if table["yes"] == table["no"]:
        raise LanguageFileError(path, "no", f"the same word as yes ({table['yes']!r}); the answers must differ")
    for name in ("refusal_patterns", "stance_turns"):
        for i, pattern in enumerate(table[name]):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise LanguageFileError(path, f"{name} #{i + 1}", f"does not compile: {exc}") from None
    return LanguagePrompts(**{name: tuple(v) if isinstance(v, list) else v for name, v in table.items()})


def load_languages(folder: Traversable = LANGUAGES) -> dict[str, LanguagePrompts]:
    """The prompts of every language that has a file in ``folder``, English first."""
    return {lang: read_language(path) for lang, path in language_files(folder).items()}


PROMPTS: dict[str, LanguagePrompts] = load_languages()


def prompts_for(language: str) -> tuple[str, LanguagePrompts]:
    """The prompts of a language, or English ones (and "en") where the language has none yet."""
    return (language, PROMPTS[language]) if language in PROMPTS else ("en", PROMPTS["en"])


def stance_prompt(statement: str, question: str, p: LanguagePrompts, chat: bool) -> tuple[str | list[Message], tuple[str, str]]:
    """The prompt for one framing and its two answer continuations (yes, no)."""
    body = f'{p.instruction}\n{p.label}: "{statement}"\n{question}'
    if chat:
        return [{"role": "user", "content": body}], (p.yes, p.no)
    return f"{body}\n", (p.yes, p.no)


def long_form_prompt(statement: str, p: LanguagePrompts, chat: bool) -> str | list[Message]:
    body = f'{p.label}: "{statement}"\n{p.long_form}'
    return [{"role": "user", "content": body}] if chat else f"{body}\n"


JUDGE_OPTIONS = ("agree", "disagree", "neutral", "refusal")


_JUDGE_DESCRIPTIONS = ("It agrees with the statement", "It disagrees with the statement", "It is neutral or balanced",
                       "It refuses to give an opinion")


def judge_prompt(statement_en: str, response: str, chat: bool, reverse: bool = False
                 ) -> tuple[str | list[Message], tuple[str, ...]]:
    """Ask a judge which stance a response takes; one letter per option, so every option is one token. With
    ``reverse`` the options are listed last to first (A: refuses ... D: agrees), to see whether a judge reads the
    answer or only picks a letter; its log-probs then come in that reversed order."""
    letters = ("A", "B", "C", "D")
    described = _JUDGE_DESCRIPTIONS[::-1] if reverse else _JUDGE_DESCRIPTIONS
    body = (f'Statement: "{statement_en}"\nResponse: "{response.strip()}"\nWhich best describes the response?\n'
            + "".join(f"{x}. {d}\n" for x, d in zip(letters, described)) + "Answer with the letter only.")
    return ([{"role": "user", "content": body}], letters) if chat else (f"{body}\nAnswer:", tuple(" " + x for x in letters))


def refusal_judge_prompt(response: str, chat: bool) -> tuple[str | list[Message], tuple[str, str]]:
    body = f'Response: "{response.strip()}"\nDoes this response decline to answer or to give an opinion? Answer only Yes or No.'
    return ([{"role": "user", "content": body}], ("Yes", "No")) if chat else (f"{body}\nAnswer:", (" Yes", " No"))


def survey_prompt(question: str, options: list[str], chat: bool, steer: str | None = None
                  ) -> tuple[str | list[Message], tuple[str, ...]]:
    """A survey question with its options lettered, scored on the letters; ``steer`` (see ``steering``) comes last,
    so that the unsteered question and every steer of it share all but the steer as a prefix."""
    letters = [chr(ord("A") + i) for i in range(len(options))]
    body = (f"{question}\n" + "\n".join(f"{x}. {o}" for x, o in zip(letters, options))
            + "\nAnswer with the letter of your choice." + (f"\n{steer}" if steer else ""))
    return ([{"role": "user", "content": body}], tuple(letters)) if chat else (f"{body}\nAnswer:", tuple(" " + x for x in letters))


# Curly and typographic quotes read as straight ones; NFKC also turns (narrow) no-break spaces, as in French
# "avis :", into spaces, and the patterns' single spaces then stand for any run of white space.
_QUOTES = str.maketrans({"’": "'", "‘": "'", "‛": "'", "ʼ": "'", "´": "'", "`": "'", "′": "'",
                         "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


def normalise_text(text: str) -> str:
    """``text`` with quotes and apostrophes made straight and white space collapsed, for pattern matching."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split())


# The refusal patterns (each language's `refusal_patterns`) name phrases by which an answer refuses: to answer, to
# give an opinion, to take a side. Each names the refusing act, not a word that also opens answers that take a stance
# ("I cannot agree more", "non posso che essere d'accordo", "as an AI, I think this is fair", "I'm sorry to say it,
# but ..."). They are matched, ignoring case, against text whose quotes, apostrophes and spaces were normalised
# (`normalise_text`), so ’ and ' read alike. A match followed in its sentence by a turn to a stance (each language's
# `stance_turns`: "I can't say whether it will work, but I strongly agree") does not count. Precision and recall are
# at least 0.9 per language on batches 1-2 of `builtin_refusals()` (tests/audit/test_refusals.py); on batches 3-4,
# phrasings they were never tuned on, recall is far lower: the phrases are a precise but narrow signal, which a
# validated judge widens (`core.refusal_decision`).
_COMPILED: dict[str, list[re.Pattern]] = {
    lang: [re.compile(pattern, re.IGNORECASE) for pattern in p.refusal_patterns] for lang, p in PROMPTS.items()}
_TURNS: list[re.Pattern] = [re.compile(turn, re.IGNORECASE) for p in PROMPTS.values() for turn in p.stance_turns]


def refusal_match(text: str) -> str | None:
    """The first refusal phrase found in any language (as it reads after `normalise_text`) whose sentence does not
    go on to take a stance, or None. All languages are tried, since models often answer in another language than
    they were asked in."""
    text = normalise_text(text)
    for patterns in _COMPILED.values():
        for pattern in patterns:
            for m in pattern.finditer(text):
                rest = re.split(r"[.!?;]", text[m.end():], maxsplit=1)[0]
                if not any(turn.search(rest) for turn in _TURNS):
                    return m.group(0)
    return None
