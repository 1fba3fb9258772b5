"""The embedded sentence embedder: unit vectors, sensible similarities, cached."""

from __future__ import annotations

import threading

import numpy as np

from pluralign.embed import SentenceEmbedder


def test_unit_vectors_that_place_paraphrases_close(tmp_path):
    embedder = SentenceEmbedder(cache=tmp_path / "emb.sqlite")
    texts = ["People should be free to marry whom they love.", "Everyone ought to be allowed to marry the person they love.",
             "The train leaves at seven."]
    v = embedder.embed(texts)
    assert v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3
    again = SentenceEmbedder(cache=tmp_path / "emb.sqlite").embed(texts[::-1])
    assert np.allclose(again[::-1], v, atol=1e-6)


def test_an_embedder_the_cache_knows_loads_its_model_only_for_a_text_it_has_not_embedded(tmp_path):
    """The cache keeps the embedder's width, so its fingerprint and the vectors of texts embedded before come back
    without loading the model (a finished run's rerun then imports no torch)."""
    texts = ["The train leaves at seven.", "Everyone ought to be allowed to marry the person they love."]
    first = SentenceEmbedder(cache=tmp_path / "emb.sqlite")
    vectors = first.embed(texts)
    again = SentenceEmbedder(cache=tmp_path / "emb.sqlite")
    assert again.fingerprint == first.fingerprint == "st:embedded:384"
    assert np.array_equal(again.embed(texts), vectors) and again._model is None  # read back, nothing loaded
    new = ["A text never embedded."]
    assert np.allclose(again.embed(new), SentenceEmbedder(cache=None).embed(new), atol=1e-6)
    assert again._model is not None


def test_count_truncated_counts_exactly_the_texts_the_model_cuts():
    embedder = SentenceEmbedder(cache=None)
    limit = embedder.model.max_seq_length  # word-pieces, [CLS] and [SEP] included
    fits, over, far_over = (" ".join(["word"] * n) for n in (limit - 2, limit - 1, limit + 50))
    assert embedder.count_truncated([fits, over, far_over, "short"]) == 2
    # What is counted as cut is what the model cuts: past the limit, the extra words change nothing.
    v = embedder.embed([fits, over, far_over])
    assert np.allclose(v[1], v[0], atol=1e-6) and np.allclose(v[2], v[0], atol=1e-6)
    assert embedder.count_truncated([]) == 0


def test_a_cached_embedder_made_in_one_thread_embeds_in_another(tmp_path):
    """`collect serve` makes the embedder in its main thread and refits in a thread of its own."""
    embedder, found = SentenceEmbedder(cache=tmp_path / "emb.sqlite"), {}
    texts = ["The train leaves at seven.", "People should be free to marry whom they love."]
    worker = threading.Thread(target=lambda: found.update(vectors=embedder.embed(texts)))
    worker.start()
    worker.join()
    assert np.allclose(found["vectors"], SentenceEmbedder(cache=None).embed(texts), atol=1e-6)
    assert np.allclose(embedder.embed(texts), found["vectors"])  # read back from the cache the other thread wrote
