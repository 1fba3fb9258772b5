"""The refit of an active study's population model, out of the request path: every ``study.refit`` choices, the
study's choices so far are embedded and fitted (a mixture of types or ideal points, ``estimators/``), and what the
assignment rule needs is stored as a new fit (``fits.py``): the hypotheses about a person's weights and the rewards
of every ready first-turn set's candidates, each answer of its pool (the rule chooses which k of them to show)."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..data.collection import CandidateSet, Choice, Prompt, load_collection
from ..embed import Embedder
from ..estimators.acquire import hypotheses
from ..estimators.pooled import task_rewards
from ..estimators.features import comparison_choices
from ..estimators.latent import MixtureBradleyTerry, SharedRewards
from ..estimators.ideal_point import IdealPoint
from ..serving import LOG, one_line
from .active import ActiveFit
from .fits import fitted_choices, save_fit
from .store import Store


def population_model(store: Store) -> SharedRewards:
    """The study's unfitted population model (``[overlap] model`` with ``types``), seeded by the study."""
    study = store.study
    if study.model == "ideal-point":
        return IdealPoint(n_prototypes=study.types, random_state=study.seed)
    return MixtureBradleyTerry(n_types=study.types, random_state=study.seed)


def first_turn_sets(store: Store) -> pd.DataFrame:
    """Every ready first-turn set as a comparison table (``prompt_id``, ``context``, ``candidates`` texts, and the
    columns ``comparison_choices`` lays out; no choice is in it: ``chosen`` is 0 and the annotator empty)."""
    with Session(store.engine) as session:
        rows = session.execute(select(CandidateSet.prompt_id, CandidateSet.context, CandidateSet.candidates,
                                      Prompt.language).join(Prompt)
                               .where(CandidateSet.conversation_id.is_(None), CandidateSet.status == "ready")
                               .order_by(CandidateSet.prompt_id)).all()
    return pd.DataFrame({"prompt_id": [r.prompt_id for r in rows], "context": [r.context for r in rows],
                         "candidates": [[c["text"] for c in r.candidates] for r in rows],
                         "language": [r.language for r in rows], "chosen": 0, "annotator_id": "",
                         "conversation_id": [r.prompt_id for r in rows]})


def refit(store: Store, embedder: Embedder) -> ActiveFit | None:
    """Fit the study's population model on its choices so far and store what the assignment rule reads; None (and
    nothing stored) before any choice or any ready set."""
    with Session(store.engine) as session:
        choices = session.scalar(select(func.count()).select_from(Choice))
    sets = first_turn_sets(store)
    if not choices or sets.empty:
        return None
    comparisons, annotators = load_collection(store.study.database)
    model = population_model(store).fit(comparison_choices(comparisons, embedder, annotators))
    points, log_prior, target = hypotheses(model)
    laid_out = comparison_choices(sets, embedder, rankings=False)
    rewards = task_rewards(model, laid_out.features, laid_out.candidates)
    fit = ActiveFit(0, target, points, log_prior, {p: i for i, p in enumerate(sets["prompt_id"])}, rewards,
                    store.study.k)
    with Session(store.engine) as session, session.begin():
        fit_id = save_fit(session, fit, choices, store.study.model)
    return replace(fit, id=fit_id)


def refit_due(store: Store) -> bool:
    """Whether an active study has ``study.refit`` choices (or more) that its newest fit has not seen."""
    if store.study.policy != "active":
        return False
    with Session(store.engine) as session:
        choices = session.scalar(select(func.count()).select_from(Choice))
        return choices - (fitted_choices(session) or 0) >= store.study.refit


class KeptVectors:
    """An ``Embedder`` that keeps every vector ``embedder`` made for it, and whether each text was cut, in memory: a
    refit reads the whole study again, and this way embeds only the texts new since the refit before. The study's
    distinct texts stay in memory, 1.5 kB each with the embedded embedder's 384 dimensions."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}
        self._cut: dict[str, bool] = {}

    @property
    def fingerprint(self) -> str:
        """The wrapped embedder's, read when asked: an embedder that loads its model on first use stays unloaded
        until a refit is due."""
        return self.embedder.fingerprint

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if new:
            self._vectors.update(zip(new, self.embedder.embed(new)))
        return np.stack([self._vectors[t] for t in texts]) if len(texts) else self.embedder.embed([])

    def count_truncated(self, texts: Sequence[str]) -> int:
        new = [t for t in dict.fromkeys(texts) if t not in self._cut]
        # all the new texts at once (one tokenizer call), one by one only when some of them are cut, which is rare
        cut = bool(new) and self.embedder.count_truncated(new) > 0
        self._cut.update((t, cut and self.embedder.count_truncated([t]) > 0) for t in new)
        return sum(self._cut[t] for t in texts)


class Refitter(threading.Thread):
    """Refits an active study's population model whenever ``refit_due``, looking every ``idle_seconds`` until
    ``stop()``, with ``embedder``'s vectors kept between refits (``KeptVectors``); a failed refit's error is kept in
    ``error`` and logged (once while it repeats), and the assignment goes on with the fit before it."""

    def __init__(self, store: Store, embedder: Embedder, idle_seconds: float = 5.0) -> None:
        super().__init__(name="pluralign-refit", daemon=True)
        self.store, self.embedder, self.idle = store, KeptVectors(embedder), idle_seconds
        self.error: str | None = None
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            self.step()
            self._stopping.wait(self.idle)

    def step(self) -> ActiveFit | None:
        """Refit once if one is due; the new fit, or None."""
        try:
            fit = refit(self.store, self.embedder) if refit_due(self.store) else None
        except Exception as exc:  # a failed fit, or a failed look, must not end the thread; assignment keeps the fit
            if one_line(exc) != self.error:  # in the server's log once, not at every try
                LOG.error("refit of the study's model failed: %s (assignment goes on with the fit before it)",
                          one_line(exc))
            self.error = one_line(exc)
            return None
        self.error = None  # the same failure coming back after a success is logged again
        return fit

    def stop(self) -> None:
        self._stopping.set()
