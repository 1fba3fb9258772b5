"""The candidate worker: on the embedded model it fills pending sets and places every candidate with the study's
value judge; it checks every candidate before it is offered (model outputs scripted here); the admin page counts the
value poles the answered sets cover and the answers the checks refused."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pluralign.collect.admin import progress_report, value_coverage
from pluralign.collect.background import Background
from pluralign.collect.worker import RESEED, CandidateWorker, study_placer, study_sampler
from pluralign.data.axes import AXES
from pluralign.data.collection import CandidateSet
from pluralign.models.spec import load
from pluralign.candidates.checks import candidate_problems
from pluralign.candidates.placement import ValuePlacer

from .conftest import answer, open_store


def test_the_worker_fills_sets_and_places_every_candidate_with_the_judge(tmp_path):
    store = open_store(tmp_path, str(tmp_path / "study.db"), prompts={"limit": 2},
                       candidates={"k": 3, "max_tokens": 12})
    models = {"embedded": load("embedded")}
    worker = CandidateWorker(store, study_sampler(store.study, models), study_placer(store.study, models))
    assert worker.step() == 2 and worker.step() == 0
    with Session(store.engine) as session:
        sets = session.scalars(select(CandidateSet).order_by(CandidateSet.id)).all()
    assert [s.status for s in sets] == ["ready", "ready"] and all(len(s.candidates) == 3 for s in sets)
    candidates = [c for s in sets for c in s.candidates]
    again = ValuePlacer(models["embedded"]).positions([c["text"] for c in candidates])  # judged anew, one by one
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


@dataclass
class Scripted:
    """A sampler whose every set, for any prompt, is what ``outputs`` holds for its seed."""

    outputs: dict[int, list[str]]
    seed: int = 0
    name: str = "independent"

    def sample(self, prompts: list[dict]) -> list[dict]:
        return [{"candidates": [{"text": t, "source": "sample"} for t in self.outputs[self.seed]]} for _ in prompts]


@pytest.mark.parametrize("text, language, problem", [
    ("(Réponse 1)", "fr", "empty"),  # the embedded model's, verbatim: a heading split off a list
    ("Your response should contain at least three sentences. Family matters.", "en", "instruction echo"),
    ('jsonString: "{', "en", "instruction echo"),
    ("Écris 4 réponses différentes au dernier message.", "fr", "instruction echo"),
    ("Response 1: Stay with them.\nResponse 2: Go abroad.", "en", "several answers"),
    ("1. Stay with them.\n2. Go abroad and call often.", "en", "several answers"),
    ("For the action to take Place,", "pt", "wrong language"),  # the embedded model's, to a Portuguese prompt
    ("Bien sûr, your personal development goals are not for every human being. I am designed to assist only those "
     "who value their human dignity", "fr", "wrong language"),  # the embedded model's, to a French prompt
    ("आपको अपने माता-पिता के पास रहना चाहिए।", "en", "wrong language"),
    ("Stay: there are two things to weigh. 1. Their health. 2. Your career.", "en", None),
    ("Respect and love", "en", None),
    ("Your answer should depend on what you value, in your answer to them too.", "en", None),
    ("Devo me casar para agradar minha família? Não, a decisão é sua.", "pt", None),
    ("आपको अपने माता-पिता के पास रहना चाहिए।", "hi", None),
])
def test_each_kind_of_broken_model_output_is_named(text, language, problem):
    assert candidate_problems(["Another answer entirely.", text], language)[1] == problem


def test_broken_candidates_are_replaced_from_new_samples_or_dropped_and_the_admin_counts_them(tmp_path):
    store = open_store(tmp_path, str(tmp_path / "study.db"), prompts={"limit": 1}, candidates={"k": 3})
    good, leaked = "Stay near your parents.", "Your response should contain at least three sentences."
    worker = CandidateWorker(store, Scripted({
        0: [good, leaked, "stay near your PARENTS!"],  # an echo and a duplicate
        RESEED: ["(unused)", "Go, and call them every week.", 'jsonString: "{'],  # one fixed, one broken anew
        2 * RESEED: ["(unused)", "(unused)", "1. Stay.\n2. Go."]}))  # still broken: dropped
    assert worker.step() == 1
    with Session(store.engine) as session:
        filled = session.scalars(select(CandidateSet)).one()
    assert [c["text"] for c in filled.candidates] == [good, "Go, and call them every week."]
    assert [(c["problem"], c["done"]) for c in filled.checks] == [
        ("instruction echo", "replaced"), ("duplicate", "replaced"), ("instruction echo", "replaced"),
        ("several answers", "dropped")]
    counts = progress_report(store)["checks"].set_index("problem")
    assert counts.loc["instruction echo"].tolist() == [2, 0] and counts.loc["several answers"].tolist() == [0, 1]
    assert counts.loc["duplicate"].tolist() == [1, 0] and counts[["replaced", "dropped"]].to_numpy().sum() == 4


def test_a_set_left_with_fewer_than_two_answers_fails_and_says_why(tmp_path):
    store = open_store(tmp_path, str(tmp_path / "study.db"), prompts={"limit": 1}, candidates={"k": 2})
    worker = CandidateWorker(store, Scripted({0: ["Stay.", ""], RESEED: ["", ""]}), resamples=1)
    worker.step()
    with Session(store.engine) as session:
        failed = session.scalars(select(CandidateSet)).one()
    # the empty answer and its new sample, as empty: two refused
    assert (failed.status, failed.error) == ("failed", "fewer than two answers passed the checks (empty ×2)")


def test_the_worker_outlives_a_database_that_fails_says_so_once_and_goes_on_when_it_is_back(tmp_path, caplog):
    """A database that fails under the worker (a restart, a lock held too long) does not end its thread: the error is
    logged once while it repeats, and the pending sets are filled once the database answers again."""
    import time

    store = open_store(tmp_path, str(tmp_path / "study.db"), prompts={"limit": 2}, candidates={"k": 2})
    with store.engine.begin() as connection:  # the sets' table is gone for a while
        connection.exec_driver_sql("ALTER TABLE candidate_sets RENAME TO away")
    worker = CandidateWorker(store, Scripted({0: ["Stay near them.", "Go, and call often."]}), idle_seconds=0.05)
    with caplog.at_level("ERROR", logger="pluralign.serving"):
        worker.start()
        time.sleep(1.0)  # tries again every 0.05 s
        assert worker.is_alive()
        with store.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE away RENAME TO candidate_sets")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with Session(store.engine) as session:
                if all(s.status == "ready" for s in session.scalars(select(CandidateSet))):
                    break
            time.sleep(0.1)
    worker.stop()
    worker.join(timeout=30)
    with Session(store.engine) as session:
        assert [s.status for s in session.scalars(select(CandidateSet))] == ["ready", "ready"]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "could not read or write the study's database" in messages[0], messages


def test_a_studys_worker_writes_its_pool_for_first_turns_and_k_answers_for_later_ones(tmp_path):
    store = open_store(tmp_path, str(tmp_path / "study.db"), study={"languages": ["en"]}, prompts={"limit": 1},
                       candidates={"k": 2, "pool": 3, "max_tokens": 12, "judge": "none"}, overlap={"shared": 0, "min_people": 1},
                       turns={"max": 2})
    worker = Background(store).worker  # as `collect serve` wires it
    assert worker.step() == 1
    person = store.person(store.invite(1, "en")[0]).id
    first = store.task(person)
    assert len(first.candidates) == 3 and len(first.order) == 2  # the pool written, two of it shown
    assert answer(store, person, next_message="Why?") == "recorded"
    assert worker.step() == 1
    later = store.task(person)
    assert later.turn == 2 and len(later.candidates) == 2 and sorted(later.order) == [0, 1]
