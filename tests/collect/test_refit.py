"""The refit step of an active study: due every ``refit`` choices (never in a random study), it fits the study's
model on the choices so far and stores what the assignment rule reads."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pluralign.collect.refit import KeptVectors, Refitter, refit_due
from pluralign.data.collection import Fit
from pluralign.embed import SentenceEmbedder

from .conftest import answer, fill_all, open_store


def test_an_ideal_point_refit_is_due_every_refit_choices_and_stores_the_rules_hypotheses(tmp_path):
    store = open_store(tmp_path, str(tmp_path / "study.db"), study={"languages": ["en"]},
                       overlap={"policy": "active", "model": "ideal-point", "types": 2, "refit": 3, "warmup": 0,
                                "min_people": 1, "shared": 0})
    fill_all(store)
    people = [store.person(t).id for t in store.invite(3, "en")]
    refitter = Refitter(store, SentenceEmbedder(cache=None))
    assert not refit_due(store) and refitter.step() is None  # no choice yet
    for i, person in enumerate(people[:2]):
        answer(store, person, position=i)
    assert not refit_due(store)
    answer(store, people[2], position=2)
    fit = refitter.step()
    assert fit is not None and refitter.error is None and not refit_due(store)
    assert fit.target == "variance" and fit.points.shape == (3, 2)  # one hypothesis per fitted person, K = 2
    assert len(fit.prompts) == store.study.prompts_limit and fit.rewards.shape == (len(fit.prompts), store.study.k, 2)
    np.testing.assert_allclose(np.exp(fit.log_prior), 1 / 3)
    with Session(store.engine) as session:
        assert session.scalar(select(Fit.choices)) == 3 and session.scalar(select(func.count()).select_from(Fit)) == 1
        assert store.fits.newest(session).id == fit.id


def test_a_random_study_is_never_refitted(tmp_path):
    store = open_store(tmp_path, str(tmp_path / "study.db"), overlap={"refit": 1})
    fill_all(store)
    answer(store, store.person(store.invite(1, "en")[0]).id)
    assert not refit_due(store)


class Seen:
    """The embedded embedder, with every text it was asked to embed kept in ``texts``."""

    def __init__(self) -> None:
        self.embedder, self.texts = SentenceEmbedder(cache=None), []
        self.fingerprint = self.embedder.fingerprint

    def embed(self, texts):
        self.texts.extend(texts)
        return self.embedder.embed(texts)

    def count_truncated(self, texts):
        return self.embedder.count_truncated(texts)


def test_kept_vectors_embed_each_text_once_and_give_the_embedders_vectors_and_cut_count():
    seen = Seen()
    kept, long = KeptVectors(seen), " ".join(["word"] * 300)
    first = kept.embed(["a cat", "a dog", "a cat"])
    assert seen.texts == ["a cat", "a dog"]
    again = kept.embed(["a dog", "a bird", "a cat"])
    assert seen.texts == ["a cat", "a dog", "a bird"]  # only the new text reached the embedder
    np.testing.assert_allclose(again, seen.embedder.embed(["a dog", "a bird", "a cat"]), atol=1e-6)
    np.testing.assert_array_equal(again[[2, 0]], first[:2])
    assert kept.embed([]).shape == (0, 384)
    assert kept.count_truncated(["a cat", long, long]) == 2 == seen.embedder.count_truncated(["a cat", long, long])
    assert kept.count_truncated(["a cat", "a dog"]) == 0 and kept.count_truncated([long, "x"]) == 1


def test_a_refit_embeds_only_the_texts_new_since_the_refit_before(tmp_path):
    store = open_store(tmp_path, str(tmp_path / "study.db"), study={"languages": ["en"]}, turns={"max": 1},
                       overlap={"policy": "active", "types": 2, "refit": 2, "warmup": 9, "min_people": 1,
                                "shared": 0})
    fill_all(store)
    people, seen = [store.person(t).id for t in store.invite(2, "en")], Seen()
    refitter = Refitter(store, seen)
    for position, person in enumerate(people):
        answer(store, person, position=position)
    assert refitter.step() is not None and refitter.error is None
    first = len(seen.texts)  # the answered sets' and every ready first-turn set's answers and prompts
    assert first == len(set(seen.texts))
    for position, person in enumerate(people):  # the next prompt of each, already a ready set: nothing new
        answer(store, person, position=position)
    assert refitter.step() is not None and len(seen.texts) == first


def test_a_failing_refit_is_logged_once_while_it_repeats_and_the_thread_goes_on(tmp_path, caplog):
    store = open_store(tmp_path, str(tmp_path / "study.db"), study={"languages": ["en"]}, turns={"max": 1},
                       overlap={"policy": "active", "model": "ideal-point", "types": 2, "refit": 1, "warmup": 9,
                                "min_people": 1, "shared": 0})
    fill_all(store)
    answer(store, store.person(store.invite(1, "en")[0]).id)
    with store.engine.begin() as connection:  # a database that cannot keep a fit
        connection.exec_driver_sql("DROP TABLE fits")
    refitter = Refitter(store, SentenceEmbedder(cache=None))
    with caplog.at_level("ERROR", logger="pluralign.serving"):
        assert refitter.step() is None and refitter.step() is None
    assert "OperationalError" in refitter.error and "no such table: fits" in refitter.error
    assert [r.getMessage() for r in caplog.records] == [f"refit of the study's model failed: {refitter.error} "
                                                        "(assignment goes on with the fit before it)"]
