"""TRL's implicit-prompt pairs: ``chosen`` and ``rejected`` are whole conversations that share a beginning, and there
is no ``prompt`` column (a standard shape in TRL's documentation). Anthropic's HH-RLHF writes each conversation as
text (``\\n\\nHuman: ... \\n\\nAssistant: ...``); conversational files write lists of ``{role, content}`` messages.
The shared beginning is the context both replies answer; what follows it in each is one candidate.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .schema import DatasetError

_TURN = re.compile(r"(?:^|\n\n)(Human|Assistant):")
_ROLES = {"Human": "user", "Assistant": "assistant"}


def split_pair(chosen: list[dict] | str, rejected: list[dict] | str, path: str | Path,
               row: int) -> tuple[list[dict], str, str]:
    """(context, chosen reply, rejected reply) of one implicit-prompt pair. Message lists split at the first message
    that differs; HH-RLHF transcripts after the last ``Assistant:`` both share; other text after the last word both
    share. A reply may come back empty: the caller decides what to leave out."""
    if isinstance(chosen, list) and isinstance(rejected, list):
        return _split_messages(chosen, rejected, path, row)
    if isinstance(chosen, list) or isinstance(rejected, list):
        raise DatasetError(path, "chosen and rejected must both be text or both be lists of messages", row=row,
                           column="rejected")
    if _is_transcript(chosen) and _is_transcript(rejected):
        return _split_transcript(chosen, rejected, path, row)
    return _split_text(chosen, rejected)


def _split_messages(chosen: list[dict], rejected: list[dict], path: str | Path,
                    row: int) -> tuple[list[dict], str, str]:
    """Split two conversations at their first differing message, which must be each one's last, by the assistant."""
    shared = 0
    while shared < min(len(chosen), len(rejected)) and chosen[shared] == rejected[shared]:
        shared += 1
    replies = []
    for column, messages in (("chosen", chosen), ("rejected", rejected)):
        rest = messages[shared:]
        if len(rest) > 1 or (rest and rest[0].get("role") != "assistant"):
            raise DatasetError(path, f"chosen and rejected differ from message {shared + 1} on; in TRL's implicit-"
                               "prompt shape they differ only in their last message, the assistant's", row=row,
                               column=column)
        replies.append(str(rest[0].get("content") or "").strip() if rest else "")
    return [{"role": m["role"], "content": m["content"]} for m in chosen[:shared]], replies[0], replies[1]


def _is_transcript(text: str) -> bool:
    return text.lstrip("\n").startswith("Human:")


def _split_transcript(chosen: str, rejected: str, path: str | Path, row: int) -> tuple[list[dict], str, str]:
    """Split two HH-RLHF transcripts after the last ``Assistant:`` marker within the text both share; a reply keeps
    whatever follows it, turn markers included (a few HH-RLHF replies hold more turns)."""
    shared = len(os.path.commonprefix([chosen, rejected]))
    answers = [m for m in _TURN.finditer(chosen) if m.end() <= shared and m[1] == "Assistant"]
    if not answers:
        raise DatasetError(path, "the conversations share no 'Assistant:' turn, so there is no reply to compare",
                           row=row, column="chosen")
    cut = answers[-1]
    parts = _TURN.split(chosen[:cut.start()])  # ["", role, text, role, text, ...]
    context = [{"role": _ROLES[role], "content": text.strip()} for role, text in zip(parts[1::2], parts[2::2])]
    return context, chosen[cut.end():].strip(), rejected[cut.end():].strip()


def _split_text(chosen: str, rejected: str) -> tuple[list[dict], str, str]:
    """Split two texts after the last whole word both begin with (TRL's ``"The sky is blue."`` against
    ``"The sky is green."``: the context is ``The sky is``)."""
    shared = len(os.path.commonprefix([chosen, rejected]))
    # A word begun alike ("Yes" and "Yes, sure") belongs to the replies: cut at the last space or line break shared.
    shared = max(chosen.rfind(" ", 0, shared + 1), chosen.rfind("\n", 0, shared + 1), 0)
    prompt = chosen[:shared].strip()
    return ([{"role": "user", "content": prompt}] if prompt else []), chosen[shared:].strip(), rejected[shared:].strip()
