"""PRISM's release files -> the long comparison table and the annotator table.

PRISM (1,500 people from 75 countries rating 21 models in live conversations) ships ``conversations.jsonl`` (one
row per conversation; ``conversation_history`` lists user and model turns, each model turn with its
``within_turn_id``, ``score`` and ``if_chosen``), ``utterances.jsonl`` (the same model turns, one row each, with the
``user_prompt`` they answered) and ``survey.jsonl`` (one row per person, some answers nested). Each turn where a
person saw two or more responses becomes a best-of-k comparison; the conversation continues from the response they
chose, so a later turn's context is the earlier prompts and chosen responses, then its own prompt. Turns with a
single response carry the conversation on but are not comparisons. Each response's score (a slider, 1 to 100)
orders a turn's responses: the comparison's ``ranking`` lists them best first, equal scores tied at one place, for the
rank-ordered logit. A tie in the choice (two or more responses chosen in one turn) is left out and counted; so are
the later turns of its conversation unless the tied responses share one text (PRISM marks later turns' responses
chosen by their text). Column names and the tie rule follow the dataset card, the codebook and the authors' processing
code (github.com/HannahKirk/prism-alignment); the release files are not in that repository's history (too large), so
the tests use small files written in that shape.
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
                         "if_chosen": entry.get("if_chosen", False), "score": entry.get("score"),
                         "model_name": entry.get("model_name"),
                         "feedback": record.get("open_feedback"), "language": record.get("language"), "_row": record["_row"]})
    return pd.DataFrame(rows)


TIE = "a tie: a turn with two or more chosen responses"
AFTER_TIE = "a later turn of a conversation that went on from a tie (which response it continued from is unknown)"
CHOICE_BELOW_TOP_SCORE = ("a ranking by scores that puts another response above the chosen one (the turn is kept as "
                          "a choice, without the ranking)")


def _score(value, path: Path, row: int) -> float:
    """A response's score: PRISM's slider, 1 (Terrible) to 100 (Perfect)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 100:
        raise DatasetError(path, f"score must be a number from 1 to 100, got {value!r}", row=row, column="score")
    return float(value)


def score_ranking(scores: list[float], chosen: int) -> list[list[int]] | None:
    """The ranking a turn's scores state: places best first, each the positions of the responses that share one score
    (a tie), or None when the chosen response is not among the top-scored ones (the codebook's if_chosen is the
    highest-rated response, a tie broken at random)."""
    places = [[i for i, s in enumerate(scores) if s == level] for level in sorted(set(scores), reverse=True)]
    return places if chosen in places[0] else None


def _comparisons(utterances: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """One comparison per turn with two or more responses, with the ranking its scores state, and the counts of
    what was left out by reason. A tie (the codebook counts 27,437 chosen responses for 27,172 turns) is no best-of-k
    choice. The authors' code marks a later turn's responses chosen by their text, so a tie whose chosen responses
    share one text is two identical responses, and the conversation went on from that text; after a tie of different
    texts the later turns lack their context and are left out too."""
    rows = []
    counts = {TIE: 0, AFTER_TIE: 0, CHOICE_BELOW_TOP_SCORE: 0}
    scored = "score" in utterances.columns
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
            candidates = [str(r) for r in part["model_response"]]
            context = context + [{"role": "user", "content": str(part["user_prompt"].iloc[0])}]
            if len(chosen) > 1:
                counts[TIE] += 1
                if len({candidates[i] for i in chosen}) > 1:
                    counts[AFTER_TIE] += sum(len(later) >= 2 for _, later in parts[n + 1:])
                    break
            elif len(candidates) >= 2:
                ranking = None
                if scored:
                    scores = [_score(v, path, int(r)) for v, r in zip(part["score"], part["_row"])]
                    ranking = score_ranking(scores, chosen[0])
                    counts[CHOICE_BELOW_TOP_SCORE] += ranking is None
                language = part["language"].iloc[0] if "language" in part else None
                feedback = part["feedback"].iloc[0] if "feedback" in part and turn == last else None
                rows.append({"comparison_id": f"{conversation}-{int(turn) + 1}", "conversation_id": str(conversation),
                             "turn": int(turn) + 1, "annotator_id": str(part["user_id"].iloc[0]), "context": context,
                             "candidates": candidates, "chosen": chosen[0],
                             "language": language_code(str(language)) if isinstance(language, str) else "en",
                             "feedback": feedback if isinstance(feedback, str) and feedback.strip() else None,
                             "ranking": ranking, "_row": int(part["_row"].iloc[0])})
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
