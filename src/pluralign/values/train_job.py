"""The job of ``pluralign values-train``: a ``TrainedScorer`` fitted on ValuePrism-shaped data, saved, and its
accuracy on a test split."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..data import valueprism_from
from ..embed import SentenceEmbedder
from ..errors import InputError
from ..jobs import Summary
from ..valuemaps.evaluate import evaluate_scorer
from ..valuemaps.scorers import TrainedScorer
from .eval_job import accuracy_table


def train_scorer(data: Sequence[Path], out: Path, *, test: Sequence[Path] = (), embedder: str = "embedded",
                 force: bool = False, seed: int = 0) -> Summary:
    """The job of ``pluralign values-train``: fit a ``TrainedScorer`` on the train split of ValuePrism-shaped
    ``data`` and save it to ``out`` (refused where that exists, unless ``force``); with ``test``, its accuracy there.
    The summary's path is the saved scorer's."""
    if out.exists() and not force:
        raise InputError(f"{out} exists; choose another --out or pass --force to overwrite it")
    rows = valueprism_from(data, "train")
    tests = valueprism_from(test, "test") if test else None  # read before the fit, so that a bad file fails at once
    scorer = TrainedScorer.fit(rows.dropna(subset=["relevant"]), rows.dropna(subset=["valence"]),
                               SentenceEmbedder(embedder), seed=seed)
    path = scorer.save(out)
    line = (f"scorer: {path} (fitted on {rows['relevant'].notna().sum()} relevance and "
            f"{rows['valence'].notna().sum()} valence labels)")
    tables = {} if tests is None else {f"scorer {scorer.name}": accuracy_table(evaluate_scorer(scorer, tests, seed=seed))}
    return Summary(path, tables, (line,))
