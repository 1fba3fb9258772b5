"""The Overton coverage scorer and the calibrated relevance scorer on pluralign's labelled set, per language.

Coverage: the model judges each of the 168 labelled (answer, entry) pairs of ``data.builtin_overton`` (taken into
account or not; half of each, so chance is 0.5); accuracy per language with a 95% bootstrap interval that resamples
answers (the three entries judged against one answer are not independent). Relevance: the 84 labelled (situation,
entry) pairs of ``evaluate.relevance_pairs`` (each situation's own entries relevant, the other situation's not),
scored by the ``lm`` scorer; the calibrated threshold, the ROC area, and accuracy at the calibrated threshold and at
the fixed 0.5. Times are wall-clock of one cold pass (no response cache).

    PYTHONPATH=src .venv/bin/python benchmarks/overton_scorer.py [--model embedded] [--only coverage|relevance]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from sklearn.metrics import roc_auc_score

from pluralign.data import builtin_overton
from pluralign.metrics import MetricFrame
from pluralign.models.spec import load
from pluralign.values import LMScorer
from pluralign.valuemaps.evaluate import relevance_pairs, relevance_threshold
from pluralign.valuemaps.overton import labelled_accuracy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--only", choices=("coverage", "relevance"), help="measure one of the two")
    args = parser.parse_args()
    model = load(args.model)
    labelled = builtin_overton()
    if args.only != "relevance":
        coverage(model, labelled, args.model)
    if args.only != "coverage":
        relevance(model, labelled, args.model)


def coverage(model, labelled: pd.DataFrame, name: str) -> None:
    start = time.perf_counter()
    scored = labelled_accuracy(model, labelled, chat=True)
    took = time.perf_counter() - start
    frame = MetricFrame(scored, "correct", by="language", cluster="answer_id", seed=0)
    table = pd.concat([frame.overall.to_frame().T.assign(language="all"), frame.by_group.reset_index()])
    print(f"coverage scorer, {name}, {len(scored)} pairs in {took:.1f} s")
    print(table[["language", "value", "ci_low", "ci_high", "n"]].to_string(index=False))
    by_label = scored.groupby(["language", "label"])["p_covered"].mean().unstack()
    print("mean p_covered by label:\n" + by_label.round(3).to_string())


def relevance(model, labelled: pd.DataFrame, name: str) -> None:
    pairs = relevance_pairs(labelled)
    start = time.perf_counter()
    scores = LMScorer(model).relevance_of(pairs)
    took = time.perf_counter() - start
    truth = pairs["relevant"].to_numpy()
    found = relevance_threshold(scores, truth)
    print(f"relevance, {name}, {len(pairs)} pairs in {took:.1f} s: calibrated threshold {found['threshold']:.3f}, "
          f"ROC area {found['auc']:.3f}; accuracy at it {((scores >= found['threshold']) == truth).mean():.3f}, "
          f"at 0.5 {((scores >= 0.5) == truth).mean():.3f}; relevance of relevant "
          f"{scores[truth].mean():.3f}, of irrelevant {scores[~truth].mean():.3f}")
    per = pd.DataFrame({"language": pairs["language"], "relevance": scores, "relevant": truth})
    print("ROC area by language: " + ", ".join(f"{lang} {roc_auc_score(p['relevant'], p['relevance']):.2f}"
                                                for lang, p in per.groupby("language", sort=False)))


if __name__ == "__main__":
    main()
