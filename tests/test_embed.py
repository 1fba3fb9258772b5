"""The embedded sentence embedder: unit vectors, sensible similarities, cached."""

from __future__ import annotations

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
