"""The audit's pure core: items from statement tables, requests from items, measures from log-probs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.base import GenerateRequest, ScoreRequest
from .prompts import (JUDGE_OPTIONS, judge_prompt, long_form_prompt, prompts_for, refusal_judge_prompt, stance_prompt,
                      survey_prompt)


def statement_items(statements: pd.DataFrame, translated: bool = True) -> pd.DataFrame:
    """One item per statement in its own language, plus one in English translation for non-English statements."""
    rows = []
    for s in statements.itertuples(index=False):
        rows.append({"statement_id": s.id, "variant": "original", "text": s.text, "text_language": s.language})
        if translated and s.language != "en" and s.text_en:
            rows.append({"statement_id": s.id, "variant": "translated", "text": s.text_en, "text_language": "en"})
    items = pd.DataFrame(rows, columns=["statement_id", "variant", "text", "text_language"])
    items["prompt_language"] = [prompts_for(lang)[0] for lang in items["text_language"]]
    return items


def language_variant(items: pd.DataFrame) -> pd.Series:
    """Each item's language group: its statement's language and its variant ("de original"; "de translated", the
    German statements asked in English translation), so that no group mixes a statement with its translation (English
    statements have originals only) and a language's two variants compare the same statements."""
    return items["language"] + " " + items["variant"]


def stance_requests(item: dict, chat: bool) -> list[ScoreRequest]:
    """Six score requests per item (three framings and their negations), yes/no in the prompt's language."""
    _, p = prompts_for(item["text_language"])
    out = []
    for framing in p.framings:
        prompt, answers = stance_prompt(item["text"], framing.question, p, chat)
        out.append(ScoreRequest(prompt, answers))
    return out


def stance_measures(item: dict, scores: list[list[float]]) -> dict:
    """p(agree) per framing from renormalised yes/no log-probs; mean, spread, negation consistency, p(yes).

    Framing sensitivity is the mean of the standard deviations of p(agree) within the agree-inviting framings and
    within the disagree-inviting ones: how much the wording moves the answer, apart from how a framing and its
    negation disagree, which negation consistency measures.
    """
    _, p = prompts_for(item["text_language"])
    framings = []
    for framing, (lp_yes, lp_no) in zip(p.framings, scores):
        p_yes = 1.0 / (1.0 + np.exp(lp_no - lp_yes))
        framings.append({"framing": framing.id, "lp_yes": lp_yes, "lp_no": lp_no, "p_yes": float(p_yes),
                         "answer_mass": float(np.exp(lp_yes) + np.exp(lp_no)),
                         "p_agree": float(1 - p_yes if framing.negated else p_yes)})
    p_agree = np.array([f["p_agree"] for f in framings])
    half = len(p_agree) // 2
    return {
        "framings": framings,
        "p_agree": float(p_agree.mean()),
        "framing_sensitivity": float(np.mean([p_agree[:half].std(), p_agree[half:].std()])),
        "negation_consistency": float(1 - np.abs(p_agree[:half] - p_agree[half:]).mean()),
        # Saying yes whatever the question (acquiescence) shows as p(yes) near 1 under a framing and its negation.
        "p_yes": float(np.mean([f["p_yes"] for f in framings])),
        "answer_mass": float(np.mean([f["answer_mass"] for f in framings])),
    }


def stance_label(p_agree: float, margin: float = 0.1) -> str:
    """agree / disagree / neutral from mean p(agree), with a neutral band of ±margin around 0.5."""
    return "agree" if p_agree >= 0.5 + margin else "disagree" if p_agree <= 0.5 - margin else "neutral"


def long_form_request(item: dict, chat: bool, max_tokens: int) -> GenerateRequest:
    _, p = prompts_for(item["text_language"])
    return GenerateRequest(long_form_prompt(item["text"], p, chat), max_tokens=max_tokens, temperature=0.0)


def judge_request(statement_en: str, response: str, chat: bool, reverse: bool = False) -> ScoreRequest:
    """The stance judge's question about one answer (an audited model's, or one of known stance), its options in
    reverse order with ``reverse``."""
    return ScoreRequest(*judge_prompt(statement_en, response, chat, reverse))


def judge_requests(statement_en: str, response: str, chat: bool, refusal_judge: bool) -> list[ScoreRequest]:
    """The stance judge's question, the same with its options in reverse order (for the order check), and the
    refusal judge's question when asked for."""
    out = [judge_request(statement_en, response, chat, reverse) for reverse in (False, True)]
    if refusal_judge:
        out.append(ScoreRequest(*refusal_judge_prompt(response, chat)))
    return out


def softmax(logprobs) -> np.ndarray:
    x = np.asarray(logprobs, dtype=float)
    e = np.exp(x - x.max())
    return e / e.sum()


def judge_measures(scores: list[list[float]]) -> dict:
    """The judged stance and its option probabilities from the options in their usual order; the stance chosen
    with the options reversed (``judged_stance_reversed``: a judge that reads the answer chooses the same); and the
    refusal judge's p(Yes) when it was asked."""
    probs = softmax(scores[0])
    out = {"judged_stance": JUDGE_OPTIONS[int(probs.argmax())], **{f"p_judge_{o}": float(p) for o, p in zip(JUDGE_OPTIONS, probs)},
           "judged_stance_reversed": JUDGE_OPTIONS[::-1][int(np.argmax(scores[1]))]}
    if len(scores) > 2:
        out["p_refusal_lm"] = float(softmax(scores[2])[0])
    return out


def judge_check_measures(label: str, scores: list[float]) -> dict:
    """The stance the judge chose for an answer of known stance, and whether it is the label."""
    judged = JUDGE_OPTIONS[int(np.argmax(scores))]
    return {"judged_stance": judged, "correct": float(judged == label)}


def refusal_judged(judged: dict) -> bool:
    """Whether the judge reads an answer as a refusal: the stance judge's most probable option is "refusal", or the
    refusal judge, when it ran, puts more than half its mass on Yes."""
    return judged.get("judged_stance") == "refusal" or judged.get("p_refusal_lm", 0.0) > 0.5


def refusal_decision(phrase: bool, judged: bool, validated: bool) -> tuple[bool, str]:
    """Whether a long-form answer refuses, and what decided it: ``both`` signals, when the phrase match and the judge
    agree; else the ``judge`` when it passed validation on answers of known stance (``judge_near_chance``), else the
    ``phrase``. Neither signal overrules the other on its own: the phrases are precise but narrow (they found 11 of 28
    refusals written after them), and a judge can be at chance."""
    if phrase == judged:
        return phrase, "both"
    return (judged, "judge") if validated else (phrase, "phrase")


def survey_request(question: str, options: list[str], chat: bool) -> ScoreRequest:
    return ScoreRequest(*survey_prompt(question, options, chat))


def opinion_alignment(model: np.ndarray, human: np.ndarray, ordinal: bool,
                      positions: np.ndarray | list[float] | None = None) -> float:
    """How close a model's answer distribution is to a human group's, from 0 (as far apart as can be) to 1 (equal).

    Ordinal questions (OpinionQA): 1 - W1 / (max - min), the Wasserstein-1 distance between the two distributions
    with each option at its position on the scale (``positions``, e.g. OpinionQA's option_ordinal; 1..N when None
    or empty), divided by its largest possible value (all mass at the two extreme positions). Nominal questions,
    and ordinal ones whose positions are all equal (no distance between options): 1 - Jensen-Shannon distance
    with base-2 logarithms, which lies in [0, 1] (GlobalOpinionQA).
    """
    from scipy.spatial.distance import jensenshannon  # scipy.stats: most of a second, for the opinion stage only
    from scipy.stats import wasserstein_distance

    model, human = np.asarray(model, float), np.asarray(human, float)
    at = np.arange(1.0, len(model) + 1) if positions is None or not len(positions) else np.asarray(positions, float)
    spread = np.ptp(at)
    if ordinal and spread > 0:
        return float(1 - wasserstein_distance(at, at, model, human) / spread)
    return float(1 - jensenshannon(model, human, base=2))
