"""The value-map prompts. Per language, read from ``languages/<code>.toml``: the kind words, label words,
instructions and one worked example.

Every task is few-shot (one worked situation), because small models follow a shown format far better than a
described one. For chat models the example is an earlier turn of the conversation; for base models it is text
before the situation. In scoring prompts the situation comes before the candidate, so all candidates of a
situation share everything up to the candidate as a prefix, which the backends compute once.

Adding a language is adding a file: copy ``languages/en.toml`` to ``languages/<ISO 639-1 code>.toml`` and translate
it; every field is checked when the package is imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from ..data.language_files import LanguageFileError, Spec, language_files, read_language_file
from ..models.base import Message, Prompt

KINDS = ("Value", "Right", "Duty")
VALENCES = ("supports", "opposes", "either")


@dataclass(frozen=True)
class ValuePrompts:
    """One language's value-map prompts, from its file ``languages/<code>.toml``, which names by word what this
    holds by index (of `KINDS` and `VALENCES`)."""

    situation: str                      # "Situation" in the language
    kinds: tuple[str, str, str]         # Value, Right, Duty
    generate: str                       # instruction for listing values, rights and duties
    relevance: str                      # instruction for relevance
    relevance_question: str
    yes: str
    no: str
    valence: str                        # instruction for valence
    valence_question: str
    valence_words: tuple[str, str, str]  # supports, opposes, either
    explain: str                        # instruction for an explanation
    answer: str                         # "Answer" in the language
    coverage: str                       # instruction for Overton coverage: does an answer take an entry into account?
    coverage_question: str
    example_answer: str                 # an answer to the worked situation: takes example item 1 into account, not 2
    example: str                        # the worked situation
    example_items: tuple[tuple[int, str, int], ...]  # (kind index, text, valence index) in the worked example
    irrelevant: tuple[int, str]         # a kind and text that do not bear on the example situation

    def kind_word(self, kind: str) -> str:
        return self.kinds[KINDS.index(kind)]


LANGUAGES: Traversable = resources.files(__package__) / "languages"

_FIELDS: dict[str, Spec] = {
    "situation": str, "kinds": dict.fromkeys(KINDS, str), "generate": str, "relevance": str,
    "relevance_question": str, "yes": str, "no": str, "valence": str, "valence_question": str,
    "valence_words": dict.fromkeys(VALENCES, str), "explain": str, "answer": str, "coverage": str,
    "coverage_question": str, "example_answer": str, "example": str,
    "example_items": [{"kind": str, "text": str, "valence": str}], "irrelevant": {"kind": str, "text": str},
}


def read_language(path: Traversable) -> ValuePrompts:
    """One language file, checked: its fields, kinds and valences by their names, and an example item for every
    valence (the valence prompt shows one of each)."""
    table = read_language_file(path, _FIELDS)
    items = tuple((_index(path, f"example_items #{i + 1}.kind", item["kind"], KINDS), item["text"],
                   _index(path, f"example_items #{i + 1}.valence", item["valence"], VALENCES))
                  for i, item in enumerate(table["example_items"]))
    if missing := [v for i, v in enumerate(VALENCES) if i not in {valence for _, _, valence in items}]:
        raise LanguageFileError(path, "example_items", f"no item with valence {', '.join(missing)}; the valence "
                                "prompt shows an example of each valence")
    if table["yes"] == table["no"]:
        raise LanguageFileError(path, "no", f"the same word as yes ({table['yes']!r}); the answers must differ")
    words = tuple(table["valence_words"][v] for v in VALENCES)
    if len(set(words)) < len(words):
        raise LanguageFileError(path, "valence_words", f"{', '.join(words)}: the answers must differ")
    irrelevant = (_index(path, "irrelevant.kind", table["irrelevant"]["kind"], KINDS), table["irrelevant"]["text"])
    return ValuePrompts(**table | {"kinds": tuple(table["kinds"][k] for k in KINDS), "valence_words": words,
                                   "example_items": items, "irrelevant": irrelevant})


def _index(path: Traversable, field: str, name: str, names: tuple[str, ...]) -> int:
    """The place of ``name`` in ``names`` (`KINDS` or `VALENCES`), or an error naming the file and field."""
    if name not in names:
        raise LanguageFileError(path, field, f"{name!r} is none of {', '.join(names)}")
    return names.index(name)


def load_languages(folder: Traversable = LANGUAGES) -> dict[str, ValuePrompts]:
    """The prompts of every language that has a file in ``folder``, English first."""
    return {lang: read_language(path) for lang, path in language_files(folder).items()}


PROMPTS: dict[str, ValuePrompts] = load_languages()


# The words that open a right or a duty in each language ("Right to", "Recht auf", ...).
_FRAME = re.compile(r"^(?:right|duty|recht|pflicht|droit|devoir|diritto|dovere|derecho|deber|direito|dever)\s+"
                    r"(?:to|of|auf|zur|zum|zu|de|du|d'|à|a|al|di|del|da|do)?\s*", re.IGNORECASE)


def strip_frame(text: str) -> str:
    """The text without the words only its kind carries: "Right to privacy" -> "privacy"."""
    return _FRAME.sub("", text, count=1)


def prompts_for(language: str) -> ValuePrompts:
    """The prompts of a language, or the English ones where a language has none yet."""
    return PROMPTS.get(language, PROMPTS["en"])


def _turns(system: str, shots: list[tuple[str, str]], query: str, chat: bool) -> Prompt:
    """A few-shot prompt: chat turns for chat models, plain text ending where the answer starts for base models."""
    if chat:
        messages: list[Message] = [{"role": "system", "content": system}]
        for user, answer in shots:
            messages += [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
        return [*messages, {"role": "user", "content": query}]
    return system + "\n\n" + "".join(f"{user}\n{answer}\n\n" for user, answer in shots) + query + "\n"


def _item(p: ValuePrompts, situation: str, kind: str, text: str) -> str:
    return f"{p.situation}: {situation}\n{p.kind_word(kind)}: {text}"


def generation_prompt(situation: str, p: ValuePrompts, chat: bool) -> Prompt:
    listing = "\n".join(f"{p.kinds[k]}: {t}" for k, t, _ in p.example_items)
    return _turns(p.generate, [(f"{p.situation}: {p.example}", listing)], f"{p.situation}: {situation}", chat)


def relevance_prompt(situation: str, kind: str, text: str, p: ValuePrompts, chat: bool) -> tuple[Prompt, tuple[str, str]]:
    """Prompt and the (yes, no) continuations; base models get a leading space, as after 'Relevant?'."""
    k0, t0, _ = p.example_items[0]
    ki, ti = p.irrelevant
    shots = [(f"{_item(p, p.example, KINDS[k0], t0)}\n{p.relevance_question}", p.yes),
             (f"{_item(p, p.example, KINDS[ki], ti)}\n{p.relevance_question}", p.no)]
    prompt = _turns(p.relevance, shots, f"{_item(p, situation, kind, text)}\n{p.relevance_question}", chat)
    return prompt, _answers((p.yes, p.no), chat)


def valence_prompt(situation: str, kind: str, text: str, p: ValuePrompts, chat: bool) -> tuple[Prompt, tuple[str, str, str]]:
    """Prompt and the (supports, opposes, either) continuations."""
    by_valence = {v: (k, t) for k, t, v in p.example_items}
    shots = [(f"{_item(p, p.example, KINDS[k], t)}\n{p.valence_question}", p.valence_words[v])
             for v, (k, t) in ((v, by_valence[v]) for v in (1, 0, 2))]  # one shot per label: opposes, supports, either
    prompt = _turns(p.valence, shots, f"{_item(p, situation, kind, text)}\n{p.valence_question}", chat)
    return prompt, _answers(p.valence_words, chat)


def coverage_prompt(situation: str, answer: str, kind: str, text: str, p: ValuePrompts,
                    chat: bool) -> tuple[Prompt, tuple[str, str]]:
    """Prompt and the (yes, no) continuations for whether ``answer`` takes an entry of the situation's map into
    account: the relevance prompt with the answer between the situation and the entry, so that every entry scored
    against one answer shares everything up to the entry as a prefix. The shots: the worked situation's example
    answer takes its first example item into account (yes) and not its second (no)."""
    head = f"{p.situation}: {p.example}\n{p.answer}: {p.example_answer}"
    shots = [(f"{head}\n{p.kind_word(KINDS[k])}: {t}\n{p.coverage_question}", word)
             for (k, t, _), word in zip(p.example_items[:2], (p.yes, p.no))]
    query = f"{p.situation}: {situation}\n{p.answer}: {answer}\n{p.kind_word(kind)}: {text}\n{p.coverage_question}"
    return _turns(p.coverage, shots, query, chat), _answers((p.yes, p.no), chat)


def explanation_prompt(situation: str, kind: str, text: str, p: ValuePrompts, chat: bool) -> Prompt:
    body = f"{_item(p, situation, kind, text)}\n{p.explain}"
    return [{"role": "user", "content": body}] if chat else f"{body}\n"


def _answers(words: tuple[str, ...], chat: bool) -> tuple[str, ...]:
    return words if chat else tuple(" " + w for w in words)
