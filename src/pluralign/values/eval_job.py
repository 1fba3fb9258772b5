"""The job of ``pluralign values-eval``: a scorer against labelled data, and the value maps its model makes against
gold situations; and the accuracy table the commands print."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..valuemaps.config import ValuesConfig
from ..valuemaps.evaluate import evaluate_scorer, gold_coverage, gold_items
from ..valuemaps.stages import map_situations, prepare


@dataclass
class ValuesEvaluation:
    """What ``evaluate_values`` found: the scorer's name, its ``evaluate_scorer`` table, and the ``gold_coverage``
    table of the generated maps (None when no coverage was asked for)."""

    scorer: str
    accuracy: pd.DataFrame
    coverage: pd.DataFrame | None = None


def evaluate_values(labelled: pd.DataFrame, config: ValuesConfig, *, limit: int | None = None,
                    coverage: int = 0) -> ValuesEvaluation:
    """The job of ``pluralign values-eval``: score ``labelled`` rows (ValuePrism-shaped; ``limit``: the first N of
    each task) with the scorer ``config`` names, and, for ``coverage`` gold situations, generate value maps with its
    model and measure them against the gold items."""
    model, scorer, embedder = prepare(config)
    if limit:
        labelled = pd.concat([labelled.dropna(subset=["relevant"]).head(limit),
                              labelled.dropna(subset=["valence"]).head(limit),
                              labelled[labelled["relevant"].isna() & labelled["valence"].isna()]])
    accuracy = evaluate_scorer(scorer, labelled, seed=config.seed)
    if not coverage:
        return ValuesEvaluation(scorer.name, accuracy)
    gold = gold_items(labelled)
    chosen = gold["situation"].drop_duplicates().head(coverage).tolist()
    maps = map_situations([{"id": str(i), "text": s, "language": "en"} for i, s in enumerate(chosen)], model, scorer,
                          embedder, config)
    made = pd.DataFrame([{"situation": m["situation"], "text": c["text"]}
                         for m in maps for c in m["candidates"] if c["kept"]], columns=["situation", "text"])
    return ValuesEvaluation(scorer.name, accuracy, gold_coverage(made, gold[gold["situation"].isin(chosen)], embedder))


def accuracy_table(result: pd.DataFrame) -> pd.DataFrame:
    """A scorer's ``evaluate_scorer`` table as the commands print it: accuracy with its interval, macro-F1 and the
    majority baseline per task."""
    return pd.DataFrame([(r.task, f"{r.accuracy:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]", f"{r.macro_f1:.3f}",
                          f"{r.majority_baseline:.3f}", str(r.n)) for r in result.itertuples(index=False)],
                        columns=["task", "accuracy [95% CI]", "macro-F1", "majority baseline", "n"])
