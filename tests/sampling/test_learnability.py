"""compare-samplers' learnability on a synthetic candidate table (no model runs): the held-out comparisons carry
their prompts, and the accuracy intervals resample prompts as well as people."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pluralign.data.axes import AXES
from pluralign.sampling.compare import SamplingConfig, learnability, learnability_metrics

PROMPTS, K = 10, 3


def _candidates(rng: np.random.Generator) -> pd.DataFrame:
    """One sampler's sets: K candidates for each of PROMPTS prompts, at random positions on the value axes."""
    prompt = np.repeat([f"p{i}" for i in range(PROMPTS)], K)
    return pd.DataFrame({"sampler": "independent", "set_id": [f"independent|{p}" for p in prompt], "prompt_id": prompt,
                         **{axis: rng.uniform(-1, 1, PROMPTS * K) for axis in AXES}})


def test_held_out_comparisons_carry_their_prompts_and_intervals_resample_them():
    rng = np.random.default_rng(0)
    candidates = _candidates(rng)
    config = SamplingConfig(annotators=40, test_share=0.1, seed=0)  # one held-out prompt
    results, ceiling, _ = learnability(candidates, rng.standard_normal((len(candidates), 8)), config)
    held = set(results["prompt"])
    assert len(held) == 1 and set(ceiling["prompt"]) == held
    metrics = learnability_metrics(results, ceiling, seed=0)
    overall = metrics[metrics["grouping"] == "overall"]
    assert set(overall["metric"]) == {"accuracy", "log_loss", "oracle_accuracy"}
    # one prompt says nothing about new prompts, however many people answered it
    assert np.isinf(overall["ci_low"]).all() and np.isinf(overall["ci_high"]).all()
