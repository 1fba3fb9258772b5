"""Split one model output that should hold k responses into its responses, however the model laid them out.

Tried in order, the first layout that yields at least two parts wins: headings (``Response 2:``, ``**Antwort 2**``,
``### Option 2``, in the languages the prompts know), numbered items (``2.``, ``2)``, ``(2)``, also run together on
one line), separator lines (``---``, ``***``, ``===``), then blank-line paragraphs. Parts that are empty after
cleaning are dropped; the caller decides what to do with too few or too many.
"""

from __future__ import annotations

import re

# "Response" and "option" in the prompts' languages; headings may use either.
HEADING_WORDS = ("response", "answer", "option", "antwort", "option", "réponse", "reponse", "risposta", "opzione",
                 "yanıt", "cevap", "seçenek", "respuesta", "opción", "resposta", "opção")
_WORDS = "|".join(sorted({re.escape(w) for w in HEADING_WORDS}, key=len, reverse=True))
_HEADING = re.compile(rf"^\s*(?:#+\s*)?[*_]*\s*(?:{_WORDS})\s*#?\s*(\d+)\s*[*_]*\s*[:.)\-–—]?\s*[*_]*\s*", re.IGNORECASE | re.MULTILINE)
_NUMBERED = re.compile(r"(?:^|(?<=\s))\(?(\d{1,2})[.)]\s+(?=\S)", re.MULTILINE)
_SEPARATOR = re.compile(r"^\s*(?:-{3,}|\*{3,}|={3,}|_{3,})\s*$", re.MULTILINE)


def _clean(part: str) -> str:
    text = re.sub(r"\*\*|__", "", part).strip().strip("*_").strip()
    text = re.sub(r"^[\"“](.*)[\"”]$", r"\1", text, flags=re.DOTALL)
    return text.strip()


def _split_at(text: str, matches: list[re.Match]) -> list[str]:
    """The text between consecutive matches (the text before the first is a preamble and is dropped)."""
    ends = [m.start() for m in matches[1:]] + [len(text)]
    return [text[m.end() : end] for m, end in zip(matches, ends)]


def _counting(matches: list[re.Match]) -> list[re.Match]:
    """Keep the matches whose numbers count 1, 2, 3, ... (so "in 2 ways" inside a response is not a new item)."""
    kept, expected = [], 1
    for m in matches:
        if int(m.group(1)) == expected:
            kept.append(m)
            expected += 1
    return kept


def split_responses(text: str) -> list[str]:
    """The responses in ``text``, in order, without empty ones."""
    for pattern in (_HEADING, _NUMBERED):
        matches = _counting(list(pattern.finditer(text)))
        if len(matches) >= 2:
            return [p for p in map(_clean, _split_at(text, matches)) if p]
    for splitter in (_SEPARATOR, re.compile(r"\n\s*\n")):
        parts = [p for p in map(_clean, splitter.split(text)) if p]
        if len(parts) >= 2:
            return parts
    single = _clean(_HEADING.sub("", text, count=1))
    single = _clean(re.sub(r"^\(?1[.)]\s+", "", single))
    return [single] if single else []


def holds_several(text: str) -> bool:
    """Whether ``text`` holds several responses rather than one: two or more response headings (``Response 2:``),
    or a numbered list from its first character (alternatives laid out, with no answer around them); a list inside
    an answer that leads into it is one response."""
    if len(_counting(list(_HEADING.finditer(text)))) >= 2:
        return True
    numbered = _counting(list(_NUMBERED.finditer(text)))
    return len(numbered) >= 2 and not text[: numbered[0].start()].strip()
