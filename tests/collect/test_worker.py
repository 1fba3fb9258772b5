"""The candidate worker on the embedded model: it fills pending sets and places every candidate with the study's
value judge; the admin page counts the value poles the answered sets cover."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from pluralign.collect.admin import value_coverage
from pluralign.collect.worker import CandidateWorker, study_judge, study_sampler
from pluralign.data.axes import AXES
from pluralign.data.collection import CandidateSet
from pluralign.models.spec import load
from pluralign.sampling.judge import ValueJudge

from .conftest import answer, open_store


def test_the_worker_fills_sets_and_places_every_candidate_with_the_judge(tmp_path):
    store = open_store(tmp_path, str(tmp_path / "study.db"), prompts={"limit": 2},
                       candidates={"k": 3, "max_tokens": 12})
    models = {"embedded": load("embedded")}
    worker = CandidateWorker(store, study_sampler(store.study, models), study_judge(store.study, models))
    assert worker.step() == 2 and worker.step() == 0
    with Session(store.engine) as session:
        sets = session.scalars(select(CandidateSet).order_by(CandidateSet.id)).all()
    assert [s.status for s in sets] == ["ready", "ready"] and all(len(s.candidates) == 3 for s in sets)
    candidates = [c for s in sets for c in s.candidates]
    again = ValueJudge(models["embedded"]).positions([c["text"] for c in candidates])  # judged anew, one by one
    assert np.allclose(pd.DataFrame([c["position"] for c in candidates])[list(AXES)], again, atol=1e-4)


def test_coverage_counts_the_poles_of_answered_sets_only(tmp_path):
    store = open_store(tmp_path, str(tmp_path / "study.db"), prompts={"limit": 3}, overlap={"min_people": 1, "shared": 0})
    def at(ts: float, se: float) -> dict:
        return {"text": "an answer", "source": "test",
                "position": {"traditional_secular": ts, "survival_self_expression": se}}
    designed = [[at(-0.5, 0.0), at(0.3, 0.05), at(0.0, 0.0)],  # traditional and secular-rational: that axis's both poles
                [at(-0.09, 0.09), at(0.1, -0.1), at(0.0, 0.0)],  # every lean within the 0.1 margin: no pole
                [at(-0.9, -0.9), at(0.9, 0.9), at(0.0, 0.0)]]  # every pole, but nobody answers it
    for prompt, candidates in zip(store.pending(3), designed):
        store.fill(prompt["id"], candidates)
    for token in store.invite(2, "en"):
        assert answer(store, store.person(token).id) == "recorded"  # min_people 1: the first two prompts, one each
    table = value_coverage(store).set_index("poles")
    assert table["judged"].eq(2).all()
    assert table["sets"].to_dict() == {"traditional": 1, "secular_rational": 1, "survival": 0, "self_expression": 0,
                                       "traditional_secular": 1, "survival_self_expression": 0, "all four": 0}
    assert table.loc["traditional", "share"] == 0.5
