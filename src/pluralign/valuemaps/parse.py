"""Parse model output into (kind, text) candidates, whatever the language and however loosely formatted.

Accepted: ``Value: Honesty``, ``- Right: Right to privacy``, ``1. **Duty**: Duty to help``, ``Valeur : Honnêteté``,
and plural headings followed by bullets (``Values:`` then ``- Honesty``), with kind words in English or in any
language the prompts know. Anything else (a repeated ``Situation:`` line, chatter) is skipped.
"""

from __future__ import annotations

import re

from .prompts import KINDS, PROMPTS, strip_frame

_PLURALS = {
    "Value": ("values", "werte", "valeurs", "valori", "değerler", "valores"),
    "Right": ("rights", "rechte", "droits", "diritti", "haklar", "derechos", "direitos"),
    "Duty": ("duties", "pflichten", "devoirs", "doveri", "görevler", "deberes", "deveres"),
}
_WORDS: dict[str, str] = {}
for _p in PROMPTS.values():
    for _kind, _word in zip(KINDS, _p.kinds):
        _WORDS[_word.casefold()] = _kind
_HEADINGS = {w: k for k, words in _PLURALS.items() for w in words}

_LEAD = r"^\s*(?:[-*•·]|\d+[.)]|#+)?\s*[*_]*"
_ITEM = re.compile(_LEAD + r"(?P<word>[^\W\d_]+)[*_]*\s*[:：]\s*[*_]*\s*(?P<text>.*)$")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+(?P<text>.+)$")
MAX_WORDS = 15


def _clean(text: str) -> str:
    text = re.sub(r"[*_`]+", "", text).strip()
    return text.strip(" \"'“”«»").rstrip(" .;,").strip()


def parse_vrds(output: str) -> list[tuple[str, str]]:
    """Candidates in order of appearance, without exact repeats (same kind, same text ignoring case)."""
    found: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    heading: str | None = None
    for line in output.splitlines():
        item = _ITEM.match(line)
        word = item["word"].casefold() if item else None
        if item and word in _WORDS:
            kind, text, heading = _WORDS[word], item["text"], None
        elif item and word in _HEADINGS and not _clean(item["text"]):
            heading = _HEADINGS[word]
            continue
        elif heading and (bullet := _BULLET.match(line)):
            kind, text = heading, bullet["text"]
        else:
            if line.strip() and not _BULLET.match(line):
                heading = None
            continue
        text = _clean(text)
        if not strip_frame(text) or len(text.split()) > MAX_WORDS or text.casefold() in _WORDS or ":" in text:
            continue
        key = (kind, text.casefold())
        if key not in seen:
            seen.add(key)
            found.append((kind, text))
    return found
