"""Keep the relevant candidates and drop near duplicates, as Value Kaleidoscope's system does.

Candidates are taken in order of relevance. One under its kind's relevance threshold is dropped; one whose
ROUGE-L precision (the ``rouge-score`` library) against a kept, more relevant candidate of the same kind exceeds the
ROUGE threshold is dropped; then one whose embedding cosine with a kept, more relevant candidate of the same kind
exceeds the cosine threshold is dropped. Words only a kind carries ("Right to", "Duty to", "Recht auf", ...) are
removed before ROUGE, so that two rights do not look alike for being rights.

Why precision: KaleidoSys drops a candidate when ROUGE-L precision, recall or F-measure exceeds its threshold, that
is when the larger of precision and recall does (F lies between them), so it also drops a candidate that adds words
to a kept one ("Freedom of speech" after "Freedom"). Here precision is the candidate's side: the share of its words
that the kept one holds, in order. A candidate goes when it says nothing much the kept one does not; a longer, more
specific one stays unless the embedding finds it the same. Where the candidate is no longer than the kept one,
precision is at least the F-measure used before, so every such pair that went still goes (examples in ``Thresholds``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd
from rouge_score import rouge_scorer, tokenizers

from ..errors import InputError
from .prompts import KINDS, strip_frame


DEFAULTS: dict[str, dict[str, float]] = {
    "relevance": dict.fromkeys(KINDS, 0.5),
    "rouge": dict.fromkeys(KINDS, 0.7),
    "cosine": {"Value": 0.80, "Right": 0.75, "Duty": 0.75},
}


@dataclass(frozen=True)
class Thresholds:
    """Per-kind thresholds; kinds left out keep their default. The defaults and why:

    - relevance 0.5: keep what the scorer finds more likely relevant than not.
    - rouge 0.7 (ROUGE-L precision of the candidate against the kept one, stemmed, frames removed), the same for
      every kind: phrases are short, so precision moves in steps (1/2, 2/3, 3/4, 1), and 0.7 drops a candidate
      whose words all, or all but one of four or more, are in a kept one: "Duty to protect children" after "Duty
      to protect children from harm" (1.0), "Loyalty to friends" after "Loyalty to one's friends" (1.0) go, while
      "Respect for property" after "Respect for the elderly" (0.67) and "Freedom of speech" after "Freedom" (0.33)
      stay. Until this rule the threshold was on the F-measure, which kept "Duty to protect children" (0.67). A
      one-word candidate ("Safety", or "Right to life" once its frame is stripped) is scored by the F-measure, so
      "Right to life" stays beside "Right to a dignified end of life" (0.33); near-synonyms among single words are
      the cosine step's.
    - cosine 0.80 for values, 0.75 for rights and duties (all-MiniLM-L6-v2): on pairs written for calibration,
      paraphrased rights and duties scored 0.77-0.97 and distinct ones at most 0.65 (the shared "Right to" frame
      raises both). Values are one to three words, where synonyms ("Honesty" / "Truthfulness", 0.55) score no
      higher than distinct values ("Honesty" / "Kindness", 0.53), so the value threshold is set higher to avoid
      merging different values; exact and near-exact repeats still go. The embedder is English-only: for other
      languages, ROUGE does most of the work.
    - tension 0.5: two candidates are in tension when both are at least this relevant and lean opposite ways.
    """

    relevance: Mapping[str, float] = field(default_factory=dict)
    rouge: Mapping[str, float] = field(default_factory=dict)
    cosine: Mapping[str, float] = field(default_factory=dict)
    tension: float = 0.5

    def __post_init__(self) -> None:
        for name in ("relevance", "rouge", "cosine"):
            given = dict(getattr(self, name))
            unknown = set(given) - set(KINDS)
            if unknown:
                raise InputError(f"{name} thresholds are per kind ({', '.join(KINDS)}); got {', '.join(sorted(unknown))}")
            if not all(0 <= v <= 1 for v in given.values()):
                raise InputError(f"{name} thresholds must lie in [0, 1]")
            object.__setattr__(self, name, {**DEFAULTS[name], **given})  # kinds not given keep their default


class _UnicodeTokenizer(tokenizers.Tokenizer):
    """Lower-cased word tokens in any script (the library's default keeps only a-z and 0-9)."""

    def tokenize(self, text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())


_ENGLISH = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
_ANY = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_UnicodeTokenizer())


def rouge_l(candidate: str, kept: str, language: str = "en") -> float:
    """ROUGE-L precision of a candidate against a kept text: the share of the candidate's words that the kept text
    holds in the same order (the library's precision with the kept text as target). A one-word candidate is scored
    by the F-measure instead: one word is "contained" in any text that uses it ("life" in "a dignified end of life",
    once the frame "Right to" is stripped), so single words are left to the embedding step. The library's stemmed
    English tokenizer for English, word tokens in any script otherwise (the default tokenizer would cut "Würde" into
    "w rde")."""
    scorer = _ENGLISH if language == "en" else _ANY
    score = scorer.score(kept, candidate)["rougeL"]
    return score.precision if len(re.findall(r"\w+", candidate)) > 1 else score.fmeasure


def deduplicate(candidates: pd.DataFrame, vectors: np.ndarray, language: str, thresholds: Thresholds) -> pd.Series:
    """Why each candidate goes, or None where it stays: "relevance", "rouge:<kept text>" or "cosine:<kept text>".

    ``candidates`` has columns kind, text, relevance; ``vectors`` holds their unit embeddings, row for row.
    """
    order = np.argsort(-candidates["relevance"].to_numpy(), kind="stable")
    kinds, texts = candidates["kind"].to_numpy(), candidates["text"].to_numpy()
    relevance = candidates["relevance"].to_numpy()
    stripped = [strip_frame(t) for t in texts]
    reason: list[str | None] = [None] * len(candidates)
    for i in order:
        if relevance[i] < thresholds.relevance[kinds[i]]:
            reason[i] = "relevance"
    kept: list[int] = []
    for i in order:
        if reason[i] is None:
            twin = next((j for j in kept if kinds[j] == kinds[i]
                         and rouge_l(stripped[i], stripped[j], language) > thresholds.rouge[kinds[i]]), None)
            if twin is None:
                kept.append(i)
            else:
                reason[i] = f"rouge:{texts[twin]}"
    survivors: list[int] = []
    for i in kept:
        twin = next((j for j in survivors if kinds[j] == kinds[i]
                     and float(vectors[i] @ vectors[j]) > thresholds.cosine[kinds[i]]), None)
        if twin is None:
            survivors.append(i)
        else:
            reason[i] = f"cosine:{texts[twin]}"
    return pd.Series(reason, index=candidates.index, dtype=object)
