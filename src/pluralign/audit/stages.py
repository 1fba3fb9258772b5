"""The audit's stages, each a function from a block of items to their records: the requests come from ``core``,
the answers from the model passed in. No run, cache or progress here; the job wires these to a run directory."""

from __future__ import annotations

from ..models.base import LanguageModel
from . import core, steering
from .prompts import refusal_match


def _item_fields(item: dict) -> dict:
    return {k: item[k] for k in ("statement_id", "variant", "text_language", "prompt_language")}


def stance(block: list[dict], model: LanguageModel, spec: str, chat: bool) -> list[dict]:
    """Log-probabilities of the answer words under every framing of each statement's language."""
    asked = [core.stance_requests(it, chat) for it in block]
    scores = iter(model.score([r for rs in asked for r in rs]))
    return [{"model": spec, "stage": "stance", **_item_fields(it), **core.stance_measures(it, [next(scores) for _ in rs])}
            for it, rs in zip(block, asked)]


def long_form(block: list[dict], model: LanguageModel, judge: LanguageModel, spec: str, english: dict[str, str],
              chat: bool, max_tokens: int, refusal_judge: bool) -> list[dict]:
    """Free answers, the refusal phrase each contains (if any), and their stance as the judge reads it (``english``:
    statement id -> the statement in English, which the judge is asked about). Whether an answer refuses is decided
    from these in ``results``, once the judge's check on labelled answers is known."""
    answers = model.generate([core.long_form_request(it, chat, max_tokens) for it in block])
    requests = [core.judge_requests(english[it["statement_id"]], a[0], chat, refusal_judge) for it, a in zip(block, answers)]
    flat = judge.score([r for rs in requests for r in rs])
    per = len(requests[0])
    records = []
    for i, (it, a) in enumerate(zip(block, answers)):
        judged = core.judge_measures(flat[per * i : per * i + per])
        records.append({"model": spec, "stage": "long_form", **_item_fields(it), "response": a[0],
                        "refusal_pattern": refusal_match(a[0]), **judged})
    return records


def judge_check(block: list[dict], judge: LanguageModel, spec: str, chat: bool) -> list[dict]:
    """The stance judge on answers of known stance (``data.builtin_stances``): how often it reads them right."""
    scores = judge.score([core.judge_request(r["statement_en"], r["text"], chat) for r in block])
    return [{"model": spec, "stage": "judge_check", "id": r["id"], "language": r["language"], "label": r["label"],
             **core.judge_check_measures(r["label"], s)} for r, s in zip(block, scores)]


def opinions(block: list[dict], model: LanguageModel, spec: str, chat: bool) -> list[dict]:
    """The model's answer distribution over each survey question's options."""
    scores = model.score([core.survey_request(q["question"], list(q["options"]), chat) for q in block])
    return [{"model": spec, "stage": "opinions", "question_id": q["question_id"],
             "model_distribution": core.softmax(s).tolist()} for q, s in zip(block, scores)]


def steer(block: list[dict], model: LanguageModel, spec: str, chat: bool) -> list[dict]:
    """The model's answer distribution over each survey question's options unsteered (an ``opinions`` record, as
    that stage writes it) and steered toward each human group in each format (``steering.steer_items``), in one call:
    a block holds a question with its steers, so the question is computed once."""
    scores = model.score([steering.steer_request(it, chat) for it in block])
    return [{"model": spec, "stage": "opinions", "question_id": it["question_id"],
             "model_distribution": core.softmax(s).tolist()} if it["format"] is None else
            {"model": spec, "stage": "steer", "question_id": it["question_id"], "group": it["group"],
             "format": it["format"], "model_distribution": core.softmax(s).tolist()} for it, s in zip(block, scores)]
