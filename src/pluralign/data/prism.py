"""PRISM's release files -> the long comparison table and the annotator table.

PRISM (1,500 people from 75 countries rating 21 models in live conversations) ships ``conversations.jsonl`` (one
row per conversation; ``conversation_history`` lists user and model turns, each model turn with its
``within_turn_id``, ``score`` and ``if_chosen``), ``utterances.jsonl`` (the same model turns, one row each, with the
``user_prompt`` they answered) and ``survey.jsonl`` (one row per person, some answers nested). Each turn where a
person saw two or more responses becomes a best-of-k comparison; the conversation continues from the response they
chose, so a later turn's context is the earlier prompts and chosen responses, then its own prompt. Turns with a
single response carry the conversation on but are not comparisons. A tie (two or more responses chosen in one
turn) is left out and counted, with the later turns of its conversation, whose context it leaves unknown. Column names follow the dataset card and its
code book; no release file is in this repository, so the tests use small files written in that shape.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .comparisons import COMPARISON_COLUMNS, check_comparisons
from .schema import DatasetError, language_code, list_cell, with_left_out
from .tables import read_table

_UTTERANCE_COLUMNS = ("conversation_id", "user_id", "turn", "within_turn_id", "user_prompt", "model_response", "if_chosen")


def _from_conversations(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """conversation_history entries -> one row per model turn, as utterances.jsonl has them."""
    rows = []
    for record in raw.to_dict("records"):
        history = list_cell(record["conversation_history"], path, record["_row"], "conversation_history", "a list of turns")
        prompts = {entry.get("turn"): entry.get("content", "") for entry in history if entry.get("role") == "user"}
        for entry in history:
            if entry.get("role") != "model":
                continue
            if entry.get("turn") not in prompts:
                raise DatasetError(path, f"a model turn {entry.get('turn')!r} answers no user turn", row=record["_row"],
                                   column="conversation_history")
            rows.append({"conversation_id": record["conversation_id"], "user_id": record["user_id"],
                         "turn": entry["turn"], "within_turn_id": entry.get("within_turn_id", 0),
                         "user_prompt": prompts[entry["turn"]], "model_response": entry.get("content", ""),
                         "if_chosen": entry.get("if_chosen", False), "model_name": entry.get("model_name"),
                         "feedback": record.get("open_feedback"), "language": record.get("language"), "_row": record["_row"]})
    return pd.DataFrame(rows)


TIE = "a tie: a turn with two or more chosen responses"
AFTER_TIE = "a later turn of a conversation that went on from a tie (which response it continued from is unknown)"


def _comparisons(utterances: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """One comparison per turn with two or more responses, and the counts of turns left out by reason: a tie (the
    codebook counts more chosen responses than interactions) is no best-of-k choice, and the turns after it lack
    their context."""
    rows, counts = [], {TIE: 0, AFTER_TIE: 0}
    order = utterances.sort_values(["conversation_id", "turn", "within_turn_id"], kind="stable")
    for conversation, turns in order.groupby("conversation_id", sort=False):
        context: list[dict] = []
        last = turns["turn"].max()
        parts = list(turns.groupby("turn", sort=True))
        for n, (turn, part) in enumerate(parts):
            chosen = [i for i, flag in enumerate(part["if_chosen"]) if flag is True or str(flag).lower() == "true"]
            if not chosen:
                raise DatasetError(path, f"turn {turn} of conversation {conversation!r} has no chosen response; "
                                   "PRISM marks at least one", row=int(part["_row"].iloc[0]), column="if_chosen")
            if len(chosen) > 1:
                counts[TIE] += 1
                counts[AFTER_TIE] += sum(len(later) >= 2 for _, later in parts[n + 1:])
                break
            candidates = [str(r) for r in part["model_response"]]
            context = context + [{"role": "user", "content": str(part["user_prompt"].iloc[0])}]
            if len(candidates) >= 2:
                language = part["language"].iloc[0] if "language" in part else None
                feedback = part["feedback"].iloc[0] if "feedback" in part and turn == last else None
                rows.append({"comparison_id": f"{conversation}-{int(turn) + 1}", "conversation_id": str(conversation),
                             "turn": int(turn) + 1, "annotator_id": str(part["user_id"].iloc[0]), "context": context,
                             "candidates": candidates, "chosen": chosen[0],
                             "language": language_code(str(language)) if isinstance(language, str) else "en",
                             "feedback": feedback if isinstance(feedback, str) and feedback.strip() else None,
                             "_row": int(part["_row"].iloc[0])})
            context = context + [{"role": "assistant", "content": candidates[chosen[0]]}]
    return pd.DataFrame(rows, columns=[*COMPARISON_COLUMNS, "_row"]), counts


def load_prism_survey(path: str | Path) -> pd.DataFrame:
    """``survey.jsonl`` -> the annotator table: ``annotator_id`` and every scalar answer, nested answers flattened
    (``location`` -> ``location_reside_country``, ...); list-valued answers are left out."""
    raw = read_table(path)
    if "user_id" not in raw.columns:
        raise DatasetError(path, "missing PRISM survey column", column="user_id")
    flat = pd.json_normalize(raw.drop(columns="_row").to_dict("records"), sep="_")
    scalar = [c for c in flat.columns if not flat[c].map(lambda v: isinstance(v, (list, dict))).any()]
    return flat[scalar].rename(columns={"user_id": "annotator_id"}).astype({"annotator_id": str})


def load_prism(path: str | Path, survey: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """PRISM -> (comparisons, annotators).

    Args:
        path: ``conversations.jsonl``, ``utterances.jsonl``, or the release folder (its ``conversations.jsonl`` and,
            when present, ``survey.jsonl``).
        survey: the survey file, when it is not in the folder.
    """
    path = Path(path)
    if path.is_dir():
        survey = survey or (path / "survey.jsonl" if (path / "survey.jsonl").is_file() else None)
        path = path / "conversations.jsonl"
    raw = read_table(path)
    if "conversation_history" in raw.columns:
        for needed in ("conversation_id", "user_id"):
            if needed not in raw.columns:
                raise DatasetError(path, "missing PRISM conversations column", column=needed)
        utterances = _from_conversations(raw, path)
    else:
        for needed in _UTTERANCE_COLUMNS:
            if needed not in raw.columns:
                raise DatasetError(path, "missing PRISM column (conversations.jsonl needs conversation_history; "
                                   "utterances.jsonl needs " + ", ".join(_UTTERANCE_COLUMNS) + ")", column=needed)
        utterances = raw
    if utterances.empty:
        raise DatasetError(path, "no model responses found")
    comparisons, counts = _comparisons(utterances, path)
    annotators = load_prism_survey(survey) if survey is not None else None
    check_comparisons(comparisons, annotators, path)
    return with_left_out(comparisons, counts), annotators
