"""From a Community Alignment file to a fitted model, through the embedded MiniLM."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pluralign.data import load_community_alignment
from pluralign.embed import SentenceEmbedder
from pluralign.preferences import BradleyTerry
from pluralign.preferences.features import comparison_choices
from tests.data.test_comparisons import _ca_rows


def test_comparisons_become_choices_over_embedded_candidates(tmp_path):
    path = tmp_path / "ca.parquet"
    pd.DataFrame(_ca_rows()).to_parquet(path)
    comparisons, annotators = load_community_alignment(path)
    choices = comparison_choices(comparisons, SentenceEmbedder(cache=None), annotators, group="country")
    assert choices.features.shape == (12, 384)
    assert choices.candidates.tolist()[1] == [4, 5, 6, 7]
    assert choices.group.tolist() == ["France", "France", "Brazil"]
    model = BradleyTerry(alpha=1e-4).fit(choices)
    p = model.predict_proba(choices)
    assert np.allclose(p.sum(1), 1) and model.score(choices) == 1.0  # three choices, 384 free weights: memorised
