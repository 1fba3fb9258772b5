"""How good a scorer and a generator are against labelled (ValuePrism-shaped) data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, roc_auc_score, roc_curve

from ..embed import Embedder
from ..metrics import MetricFrame
from .prompts import VALENCES
from .scorers import Scorer

COVERAGE_THRESHOLD = 0.7  # cosine of all-MiniLM-L6-v2: paraphrased phrases score 0.77-0.97 (see Thresholds)


def evaluate_scorer(scorer: Scorer, labelled: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Relevance and valence accuracy (with a 95% bootstrap interval) and macro-F1 on rows that carry each label.

    ``labelled``: situation, kind, text, relevant and/or valence, and optionally language (default en).
    """
    labelled = labelled if "language" in labelled else labelled.assign(language="en")
    rows = []
    for task, column in (("relevance", "relevant"), ("valence", "valence")):
        part = labelled.dropna(subset=[column]) if column in labelled else labelled.iloc[:0]
        if not len(part):
            continue
        scores = scorer.score(part.reset_index(drop=True))
        if task == "relevance":
            truth, predicted = part[column].astype(bool).to_numpy(), scores["relevance"].to_numpy() >= 0.5
        else:
            truth = part[column].to_numpy()
            predicted = np.array(VALENCES)[scores[list(VALENCES)].to_numpy().argmax(axis=1)]
        correct = pd.DataFrame({"correct": (truth == predicted).astype(float), "_all": "all",
                                "situation": part["situation"].to_numpy()})
        # the candidates of one situation are judged together, so they are resampled together
        accuracy = MetricFrame(correct, "correct", by="_all", cluster="situation", seed=seed).overall
        rows.append({"task": task, "accuracy": accuracy["value"], "ci_low": accuracy["ci_low"],
                     "ci_high": accuracy["ci_high"], "macro_f1": f1_score(truth, predicted, average="macro"),
                     "majority_baseline": float(pd.Series(truth).value_counts(normalize=True).iloc[0]), "n": len(part)})
    return pd.DataFrame(rows, columns=["task", "accuracy", "ci_low", "ci_high", "macro_f1", "majority_baseline", "n"])


def gold_items(labelled: pd.DataFrame) -> pd.DataFrame:
    """The gold values, rights and duties of each situation: distinct (situation, text) pairs that no row labels
    not relevant. ValuePrism's relevance config pairs situations with unrelated candidates labelled not relevant;
    rows without a relevance label (its generative, valence and explanation configs) hold only relevant ones."""
    pairs = pd.MultiIndex.from_frame(labelled[["situation", "text"]])
    irrelevant = labelled["relevant"].eq(False).fillna(False).to_numpy(bool) if "relevant" in labelled else np.zeros(len(labelled), bool)
    return labelled[~pairs.isin(pairs[irrelevant])].drop_duplicates(["situation", "text"])


def gold_coverage(generated: pd.DataFrame, gold: pd.DataFrame, embedder: Embedder,
                  threshold: float = COVERAGE_THRESHOLD) -> pd.DataFrame:
    """Per situation, recall and precision of a generated map against the gold one, matching by embedding cosine
    >= ``threshold``: ``coverage``, the share of gold items matched by some generated one (recall), and
    ``precision``, the share of generated items that match some gold one (NaN where nothing was generated).

    Both tables have columns situation and text; ``gold`` may carry ``relevant``, and only its relevant items count
    (``gold_items``). Matching ignores kind, since "Honesty" and "Duty to be honest" name the same consideration.
    """
    rows = []
    for situation, truth in gold_items(gold).groupby("situation", sort=False):
        made = generated[generated["situation"] == situation]
        sims = embedder.embed(truth["text"].tolist()) @ embedder.embed(made["text"].tolist()).T if len(made) else None
        matched = 0 if sims is None else int((sims.max(axis=1) >= threshold).sum())
        on_gold = 0 if sims is None else int((sims.max(axis=0) >= threshold).sum())
        rows.append({"situation": situation, "gold": len(truth), "generated": len(made), "matched": matched,
                     "coverage": matched / len(truth), "matched_generated": on_gold,
                     "precision": on_gold / len(made) if len(made) else np.nan})
    return pd.DataFrame(rows, columns=["situation", "gold", "generated", "matched", "coverage", "matched_generated",
                                       "precision"])



def relevance_pairs(labelled: pd.DataFrame) -> pd.DataFrame:
    """Labelled relevance from the Overton set (``data.builtin_overton``): each situation's own map entries are
    relevant, and the entries of the other situations of its language are not (as ValuePrism's relevance config
    pairs situations with unrelated candidates)."""
    entries = labelled.drop_duplicates(["situation_id", "kind", "text"])[["situation_id", "situation", "language",
                                                                          "kind", "text"]]
    pairs = entries[["situation_id", "situation", "language"]].drop_duplicates().merge(
        entries[["situation_id", "language", "kind", "text"]], on="language", suffixes=("", "_of"))
    return (pairs.assign(relevant=pairs["situation_id"] == pairs["situation_id_of"])
            .drop(columns="situation_id_of").reset_index(drop=True))


def calibrate_relevance(scorer: Scorer, pairs: pd.DataFrame) -> dict:
    """``relevance_threshold`` of the scorer's relevance on the labelled ``pairs`` (columns situation, language,
    kind, text, relevant)."""
    return relevance_threshold(scorer.relevance_of(pairs.reset_index(drop=True)), pairs["relevant"].to_numpy(bool))


def relevance_threshold(relevance: np.ndarray, truth: np.ndarray) -> dict:
    """The relevance threshold that best separates relevant entries from irrelevant ones (Youden's J: the largest
    true-positive rate minus false-positive rate on the ROC curve), and the curve's area: ``threshold``, ``auc``
    (0.5: the scorer ranks at chance) and ``n`` labelled pairs. A fixed threshold suits one model only: a small
    model's relevance may sit at 0.3-0.5 for everything and still rank entries well."""
    fpr, tpr, thresholds = roc_curve(truth, relevance)
    best = int(np.argmax(tpr - fpr))
    return {"threshold": float(min(thresholds[best], 1.0)), "auc": float(roc_auc_score(truth, relevance)),
            "n": len(truth)}
