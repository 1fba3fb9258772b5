"""Relevance and valence scorers on the real embedded model and the real embedder."""

import numpy as np
import pandas as pd
import pytest

from pluralign.embed import SentenceEmbedder
from pluralign.models.base import ModelSpecError
from pluralign.values import LMScorer, TrainedScorer, load_scorer
from pluralign.valuemaps.prompts import PROMPTS

from .valueprism_shape import labelled_rows


class CountingModel:
    """The real model, counting the score calls it receives."""

    def __init__(self, model):
        self.model, self.calls, self.fingerprint = model, [], model.fingerprint

    def score(self, requests):
        self.calls.append(len(requests))
        return self.model.score(requests)

    def generate(self, requests):
        return self.model.generate(requests)


ITEMS = pd.DataFrame([
    ("Lying to a friend to protect their feelings", "en", "Value", "Honesty"),
    ("Lying to a friend to protect their feelings", "en", "Value", "Kindness"),
    ("Lying to a friend to protect their feelings", "en", "Right", "Right to the truth"),
    ("Lying to a friend to protect their feelings", "en", "Duty", "Duty to protect friends"),
    ("Mentir sur son âge pour obtenir un emploi", "fr", "Value", "Honnêteté"),
    ("Ailenin istemediği biriyle evlenmek", "tr", "Right", "Evlenme hakkı"),
], columns=["situation", "language", "kind", "text"])


def _assert_distributions(scores):
    assert list(scores.columns) == ["relevance", "supports", "opposes", "either"]
    assert scores["relevance"].between(0, 1).all()
    assert np.allclose(scores[["supports", "opposes", "either"]].sum(axis=1), 1.0)
    assert (scores[["supports", "opposes", "either"]] >= 0).all().all()


def test_lm_scores_are_distributions_from_one_batched_call(fp32_model):
    """In float32 batching changes nothing: one candidate at a time gives the same probabilities. (In bfloat16, which
    ``dtype=auto`` is on a CPU that computes it natively, the batch's padding moves them by up to 0.06 on this test's
    items, bfloat16's own rounding: benchmarks/RESULTS.md, "The suite on a fresh clone, 2026-12-07, session 24".)"""
    counting = CountingModel(fp32_model)
    scores = LMScorer(counting).score(ITEMS)
    assert counting.calls == [2 * len(ITEMS)]
    _assert_distributions(scores)
    one_by_one = pd.concat([LMScorer(fp32_model).score(ITEMS.iloc[[i]]) for i in range(len(ITEMS))])
    np.testing.assert_allclose(scores.to_numpy(), one_by_one.to_numpy(), atol=2e-4)


def test_lm_scorer_for_base_models_and_every_language(hf_model):
    items = pd.DataFrame([("A situation", lang, "Value", "A value") for lang in PROMPTS],
                         columns=["situation", "language", "kind", "text"])
    _assert_distributions(LMScorer(hf_model, chat=False).score(items))


@pytest.fixture(scope="module")
def embedder():
    return SentenceEmbedder(cache=None)


@pytest.fixture(scope="module")
def labelled():
    rows = pd.DataFrame(labelled_rows()).rename(columns={"vrd": "kind"})
    return rows.assign(relevant=rows["label"] == "Yes", valence=rows["valence"].str.lower().replace("", None))


def test_trained_scorer_fits_saves_and_loads(labelled, embedder, tmp_path):
    scorer = TrainedScorer.fit(labelled, labelled.dropna(subset=["valence"]), embedder)
    scores = scorer.score(labelled.assign(language="en"))
    _assert_distributions(scores)
    # It learned the labels it was given (a label mix-up would put this near or under chance).
    assert ((scores["relevance"] >= 0.5) == labelled["relevant"]).mean() >= 0.9
    valenced = labelled.dropna(subset=["valence"])
    predicted = scores.loc[valenced.index, ["supports", "opposes", "either"]].idxmax(axis=1)
    assert (predicted == valenced["valence"]).mean() >= 0.9
    path = scorer.save(tmp_path / "scorer.joblib")
    again = load_scorer(f"trained:{path}", None, embedder)
    np.testing.assert_allclose(again.score(labelled).to_numpy(), scores.to_numpy())


def test_trained_scorer_errors(labelled, embedder, tmp_path):
    with pytest.raises(ModelSpecError, match="no trained scorer"):
        load_scorer(f"trained:{tmp_path / 'missing.joblib'}", None, embedder)
    junk = tmp_path / "junk.joblib"
    junk.write_text("not a scorer")
    with pytest.raises(ModelSpecError, match="not a trained scorer"):
        load_scorer(f"trained:{junk}", None, embedder)
    with pytest.raises(ModelSpecError, match="unknown scorer"):
        load_scorer("magic", None, embedder)
    with pytest.raises(ValueError, match="two distinct labels"):
        TrainedScorer.fit(labelled[labelled["relevant"]], labelled.dropna(subset=["valence"]), embedder)

    class OtherEmbedder:
        fingerprint = "st:other:384"

        def embed(self, texts):
            return embedder.embed(texts)

    path = TrainedScorer.fit(labelled, labelled.dropna(subset=["valence"]), embedder).save(tmp_path / "s.joblib")
    with pytest.raises(ModelSpecError, match="fitted on embeddings of"):
        TrainedScorer.load(path, OtherEmbedder())


def test_given_candidates_are_scored_and_copies_of_the_prompt_example_dropped(hf_model, embedder):
    from pluralign.values import Thresholds, ValuesConfig, map_situations

    config = ValuesConfig(thresholds=Thresholds(relevance={"Value": 0, "Right": 0, "Duty": 0}))
    given = [("Duty", "Duty to ask permission"), ("Value", "Honesty"), ("Value", "honesty"), ("Right", "Right to privacy"),
             ("Right", "Right to personal privacy")]
    record, = map_situations([{"id": "s", "text": "Reading a diary", "language": "en", "candidates": given}], None,
                             LMScorer(hf_model), embedder, config)
    dropped = {c["text"]: c["dropped"] for c in record["candidates"]}
    assert dropped["Duty to ask permission"] == "copied from the prompt's example"
    assert record["n_candidates"] == 5 and record["n_kept"] == 2  # the copy, a repeat and a paraphrase go
    assert {t for t, why in dropped.items() if why is None} == {"Honesty", "Right to privacy"}
