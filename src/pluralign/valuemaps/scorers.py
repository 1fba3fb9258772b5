"""Relevance and valence of candidates: from a language model's label-word log-probs, or from trained classifiers.

Both take a table with columns situation, language, kind, text and return relevance (p(relevant)) and the
valence distribution (supports, opposes, either), each row a proper distribution.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import joblib
import numpy as np
import pandas as pd

from ..embed import Embedder
from ..errors import InputError
from ..models.base import LanguageModel, ModelSpecError, ScoreRequest
from .prompts import KINDS, VALENCES, prompts_for, relevance_prompt, valence_prompt

SCORE_COLUMNS = ["relevance", *VALENCES]


class Scorer(Protocol):
    name: str

    def score(self, items: pd.DataFrame) -> pd.DataFrame: ...

    def relevance_of(self, items: pd.DataFrame) -> np.ndarray: ...


def _softmax_rows(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class LMScorer:
    """Label words scored by ``model`` and renormalised (Kaleido's recipe), every item of a call in one batch."""

    def __init__(self, model: LanguageModel, chat: bool = True) -> None:
        self.model, self.chat = model, chat
        self.name = "lm"

    def requests(self, items: pd.DataFrame) -> list[ScoreRequest]:
        out = []
        for situation, language, kind, text in items[["situation", "language", "kind", "text"]].itertuples(index=False):
            p = prompts_for(language)
            out.append(ScoreRequest(*relevance_prompt(situation, kind, text, p, self.chat)))
            out.append(ScoreRequest(*valence_prompt(situation, kind, text, p, self.chat)))
        return out

    def relevance_of(self, items: pd.DataFrame) -> np.ndarray:
        """p(relevant) alone, half the requests of ``score`` (relevance calibration needs no valence)."""
        requests = self.requests(items)[0::2]
        return _softmax_rows(np.array(self.model.score(requests), dtype=float))[:, 0] if requests else np.zeros(0)

    def score(self, items: pd.DataFrame) -> pd.DataFrame:
        if not len(items):
            return pd.DataFrame(columns=SCORE_COLUMNS, index=items.index, dtype=float)
        scores = self.model.score(self.requests(items))
        relevance = _softmax_rows(np.array(scores[0::2], dtype=float))[:, 0]
        valence = _softmax_rows(np.array(scores[1::2], dtype=float))
        return pd.DataFrame(np.column_stack([relevance, valence]), columns=SCORE_COLUMNS, index=items.index)


def features(items: pd.DataFrame, embedder: Embedder) -> np.ndarray:
    """[situation, candidate, their product, their cosine, one-hot kind]: what the trained scorers see.

    Whether a candidate bears on a situation lies in how the two relate, not in either alone; the cosine carries
    that in one feature (the product's entries are each too small to survive regularisation on little data)."""
    situation = embedder.embed(items["situation"].tolist())
    candidate = embedder.embed(items["text"].tolist())
    product = situation * candidate
    kind = np.eye(len(KINDS), dtype=np.float32)[[KINDS.index(k) for k in items["kind"]]]
    return np.hstack([situation, candidate, product, product.sum(axis=1, keepdims=True), kind])


class TrainedScorer:
    """Logistic regressions on sentence embeddings, fitted from labelled (ValuePrism-shaped) data: fast, no LM.

    Example:
        >>> scorer = TrainedScorer.fit(relevance_rows, valence_rows, SentenceEmbedder())
        >>> scorer.save("scorer.joblib"); TrainedScorer.load("scorer.joblib", SentenceEmbedder())
    """

    def __init__(self, relevance, valence, embedder: Embedder, path: str | None = None) -> None:
        self.relevance, self.valence, self.embedder = relevance, valence, embedder
        self.name = f"trained:{path}" if path else "trained"

    @classmethod
    def fit(cls, relevance_rows: pd.DataFrame, valence_rows: pd.DataFrame, embedder: Embedder, *, C: float = 1.0,
            seed: int = 0) -> "TrainedScorer":
        """``relevance_rows``: situation, kind, text, relevant (bool); ``valence_rows``: ..., valence (a VALENCES word)."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        for name, rows, column in (("relevance", relevance_rows, "relevant"), ("valence", valence_rows, "valence")):
            labels = rows[column].dropna()
            if labels.nunique() < 2:
                raise InputError(f"{name} training data needs at least two distinct labels in '{column}', got "
                                 f"{sorted(map(str, labels.unique()))}")
        rel = relevance_rows.dropna(subset=["relevant"])
        val = valence_rows.dropna(subset=["valence"])
        def model():  # standardised, so the one cosine feature weighs as much as any embedding dimension can
            return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000, random_state=seed))

        relevance = model().fit(features(rel, embedder), rel["relevant"].astype(bool).to_numpy())
        valence = model().fit(features(val, embedder), val["valence"].to_numpy())
        return cls(relevance, valence, embedder)

    def score(self, items: pd.DataFrame) -> pd.DataFrame:
        if not len(items):
            return pd.DataFrame(columns=SCORE_COLUMNS, index=items.index, dtype=float)
        x = features(items, self.embedder)
        relevance = self.relevance.predict_proba(x)[:, list(self.relevance.classes_).index(True)]
        probs = self.valence.predict_proba(x)
        classes = list(self.valence.classes_)
        valence = np.column_stack([probs[:, classes.index(v)] if v in classes else np.zeros(len(x)) for v in VALENCES])
        return pd.DataFrame(np.column_stack([relevance, valence]), columns=SCORE_COLUMNS, index=items.index)

    def relevance_of(self, items: pd.DataFrame) -> np.ndarray:
        """p(relevant) alone."""
        return self.score(items)["relevance"].to_numpy()

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump({"format": "pluralign-values-scorer/1", "relevance": self.relevance, "valence": self.valence,
                     "embedder": self.embedder.fingerprint}, path)
        return path

    @classmethod
    def load(cls, path: str | Path, embedder: Embedder) -> "TrainedScorer":
        path = Path(path)
        if not path.is_file():
            raise ModelSpecError(f"no trained scorer at {path} (fit one with `pluralign values-train`)")
        try:
            state = joblib.load(path)
        except Exception as exc:  # joblib raises many kinds of error on a file it did not write
            raise ModelSpecError(f"{path} is not a trained scorer ({type(exc).__name__})") from None
        if not isinstance(state, dict) or state.get("format") != "pluralign-values-scorer/1":
            raise ModelSpecError(f"{path} is not a pluralign values scorer")
        if state["embedder"] != embedder.fingerprint:
            raise ModelSpecError(f"{path} was fitted on embeddings of {state['embedder']}, not {embedder.fingerprint}")
        return cls(state["relevance"], state["valence"], embedder, str(path))


def load_scorer(spec: str, model: LanguageModel | None, embedder: Embedder, chat: bool = True) -> Scorer:
    """``lm`` (the model's own label-word probabilities) or ``trained:PATH``."""
    if spec == "lm":
        if model is None:
            raise ValueError("the lm scorer needs a model")
        return LMScorer(model, chat)
    if spec.startswith("trained:"):
        return TrainedScorer.load(spec.removeprefix("trained:"), embedder)
    raise ModelSpecError(f"unknown scorer {spec!r}; use 'lm' or 'trained:PATH'")
