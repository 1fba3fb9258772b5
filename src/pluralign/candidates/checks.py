"""Whether a generated candidate may be offered to people: not empty, not a repeat of another in its set, no echo
of an instruction, not several answers in one, in the prompt's language. Pure; the collect worker replaces or drops
what fails (``collect/worker.py``)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from .parse import HEADING_WORDS, holds_several
from .prompts import DIVERSE

PROBLEMS = ("empty", "duplicate", "instruction echo", "several answers", "wrong language")

# Instructions small models leak into answers: the instruction-following drills they were tuned on ("Your response
# should contain at least three sentences", a JSON wrapper asked for: `jsonString: "{`) and our own request for k
# responses (any sentence of DIVERSE, in any language).
_ECHOES = [re.compile(p, re.IGNORECASE) for p in (
    r"\byour (?:entire )?(?:response|answer|output) (?:should|must) (?:contain|be|have|include|end|start|consist)\b",
    r"\b(?:in|throughout) your (?:entire )?(?:response|answer),",
    r"\banswer with (?:at least|at most|less than|exactly)\b",
    r"\bat least \w+ (?:sentences|paragraphs|placeholders|sections|bullet points)\b",
    r"\b(?:highlight|wrap|finish|end) your (?:entire )?(?:response|answer)\b",
    r"\b(?:include|do not include) (?:the )?keywords\b",
    r"\bjson\w*\s*[:=]",
)] + [re.compile(re.escape(sentence).replace(r"\{k\}", r"\d+"), re.IGNORECASE)
      for variant in DIVERSE.values() for instruction in variant.values()
      for sentence in re.split(r"(?<=\.)\s+", instruction) if len(sentence.split()) >= 4]

# Frequent function words per language: a text whose words are mostly another language's is in that language. A word
# of several lists counts for each; languages written in their own script are told by it instead.
FUNCTION_WORDS = {language: set(words.split()) for language, words in {
    "en": "the and is are of to that it you your this not with for be have what should can but they their would",
    "fr": "le les des est et une pour pas dans vous ce qui sur sont avec il elle je ne au du mais ou faut",
    "it": "il lo gli della che non per una sono è di con questo anche ma perché del nel alla mi ti si",
    "pt": "não uma para com os do da em você é são mais isso seu sua também pelo muito ao mas se",
    "es": "el los las del una para con por es y su más pero muy también esto está como se",
    "de": "der die das und ist nicht ein eine ich du sie zu mit auf für von den dem es",
    "tr": "ve bir bu için ile ne çok daha gibi olarak ama mı mi var değil ben sen",
}.items()}
SCRIPTS = {"hi": r"[\u0900-\u097F]"}  # Devanagari
EVIDENCE = 3  # function words of another language before a text is said to be in it (short texts pass)


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _is_empty(text: str) -> bool:
    """No word but a heading's ("(Réponse 1)", "**Response 2:**")."""
    return all(w in HEADING_WORDS for w in re.findall(r"[^\W\d_]+", text.casefold()))


def _wrong_language(text: str, language: str) -> bool:
    letters = re.findall(r"[^\W\d_]", text)
    for script_language, script in SCRIPTS.items():
        share = sum(bool(re.match(script, c)) for c in letters) / max(len(letters), 1)
        if letters and (language == script_language) != (share > 0.5):
            return True
    if language not in FUNCTION_WORDS:
        return False
    words = re.findall(r"[^\W\d_]+", text.casefold())
    counts = Counter({code: sum(w in known for w in words) for code, known in FUNCTION_WORDS.items()})
    best, n = counts.most_common(1)[0]
    return best != language and n >= EVIDENCE and 2 * counts[language] < n


def candidate_problems(texts: Sequence[str], language: str) -> list[str | None]:
    """The first problem (one of ``PROBLEMS``) of each candidate of one set, or None where there is none; a
    duplicate is a later candidate with the same words as an earlier one."""
    seen: set[str] = set()
    problems: list[str | None] = []
    for text in texts:
        key = _key(text)
        if _is_empty(text):
            problem = "empty"
        elif key in seen:
            problem = "duplicate"
        elif any(p.search(text) for p in _ECHOES):
            problem = "instruction echo"
        elif holds_several(text):
            problem = "several answers"
        elif _wrong_language(text, language):
            problem = "wrong language"
        else:
            problem = None
        seen.add(key)
        problems.append(problem)
    return problems
