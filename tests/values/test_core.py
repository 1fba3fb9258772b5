"""The pure parts of the pipeline: requests, the union of candidates, and the situation summary."""

import math

import numpy as np
import pandas as pd
import pytest

from pluralign.models.base import GenerateRequest, ModelSpecError
from pluralign.values import ValuesConfig, summarise
from pluralign.valuemaps.core import candidates_from, generation_requests


def test_one_greedy_and_one_sampled_request_in_the_situations_language():
    greedy, sampled = generation_requests("Prendere la scala del vicino", "it", samples=5, seed=3)
    assert isinstance(greedy, GenerateRequest) and greedy.temperature == 0 and greedy.n == 1
    assert sampled.n == 5 and sampled.seed == 3 and sampled.temperature == 0.9
    assert "Situazione: Prendere la scala del vicino" in greedy.prompt[-1]["content"]
    assert "Valore:" in greedy.prompt[0]["content"]
    base, = generation_requests("A situation", "en", samples=0, chat=False)
    assert isinstance(base.prompt, str) and base.prompt.endswith("Situation: A situation\n")
    assert "\n\n" in base.stop


def test_candidates_are_the_union_of_all_lists():
    outputs = ["Value: Honesty\nValue: Kindness", "value: honesty\nRight: Right to privacy", "nothing here"]
    assert candidates_from(outputs) == [("Value", "Honesty"), ("Value", "Kindness"), ("Right", "Right to privacy")]


def test_summary_is_the_relevance_weighted_valence_and_its_entropy():
    kept = pd.DataFrame({"kind": ["Value", "Value", "Duty"], "text": ["Honesty", "Kindness", "Duty to care"],
                         "relevance": [0.9, 0.6, 0.3],
                         "supports": [0.1, 0.8, 0.3], "opposes": [0.8, 0.1, 0.3], "either": [0.1, 0.1, 0.4]})
    got = summarise(kept, tension=0.5)
    mix = {v: sum(r * p for r, p in zip(kept["relevance"], kept[v])) for v in ("supports", "opposes", "either")}
    total = sum(mix.values())
    for v in mix:
        assert got["overall"][v] == pytest.approx(mix[v] / total)
    assert sum(got["overall"].values()) == pytest.approx(1.0)
    assert got["entropy"] == pytest.approx(-sum(p / total * math.log2(p / total) for p in mix.values()))
    # Honesty (0.9, opposes) against Kindness (0.6, supports); Duty to care is under the tension bar.
    assert got["tensions"] == [["Value: Kindness", "Value: Honesty"]]


def test_one_sided_situations_have_low_entropy_and_no_tension():
    kept = pd.DataFrame({"kind": ["Value"] * 2, "text": ["A", "B"], "relevance": [0.9, 0.9],
                         "supports": [0.98, 0.97], "opposes": [0.01, 0.02], "either": [0.01, 0.01]})
    got = summarise(kept, tension=0.5)
    assert got["entropy"] < 0.2 and got["tensions"] == []
    empty = summarise(kept.iloc[:0], tension=0.5)
    assert np.isnan(empty["entropy"]) and empty["tensions"] == []


def test_config_checks_its_values():
    with pytest.raises(ValueError):
        ValuesConfig(samples=-1)
    with pytest.raises(ModelSpecError, match="unknown model spec"):
        ValuesConfig(model="nonsense:spec")
    assert ValuesConfig(thresholds={"relevance": {"Value": 0.3}}).thresholds.relevance["Value"] == 0.3
