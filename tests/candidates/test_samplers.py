"""Samplers and the value placer on the real embedded model (hf and llama.cpp)."""

import numpy as np
import pytest

from pluralign.data import builtin_prompts, builtin_value_poles
from pluralign.candidates import IndependentSampler, MultiModelSampler, NegativelyCorrelatedSampler, ValuePlacer, placement_accuracy
from pluralign.candidates.samplers import SamplerSettings, make_sampler
from pluralign.runs import Models
from pluralign.sampling import SamplingConfig

PROMPTS = [{"id": "a", "text": "Should I move abroad for work while my parents grow old?", "language": "en"},
           {"id": "b", "text": "Sollte man Kinder religiös erziehen?", "language": "de",
            "context": [{"role": "user", "content": "Hallo"}, {"role": "assistant", "content": "Hallo! Wie kann ich helfen?"}]}]


class CountingModel:
    """The real model, counting the generate calls it receives."""

    def __init__(self, model):
        self.model, self.calls, self.fingerprint = model, [], model.fingerprint

    def generate(self, requests):
        self.calls.append(len(requests))
        return self.model.generate(requests)

    def score(self, requests):
        return self.model.score(requests)


def test_independent_sets_are_k_seeded_samples_in_one_call(hf_model):
    counting = CountingModel(hf_model)
    sets = IndependentSampler(counting, k=3, max_tokens=8, seed=5).sample(PROMPTS)
    assert counting.calls == [2]
    assert [s["prompt_id"] for s in sets] == ["a", "b"] and all(len(s["candidates"]) == 3 for s in sets)
    assert all(c["source"] == "sample" and c["text"] for s in sets for c in s["candidates"])
    again = IndependentSampler(hf_model, k=3, max_tokens=8, seed=5).sample(PROMPTS)
    assert [c["text"] for s in again for c in s["candidates"]] == [c["text"] for s in sets for c in s["candidates"]]


def test_diverse_sets_have_exactly_k_and_record_any_fallback(hf_model):
    sets = NegativelyCorrelatedSampler(hf_model, k=3, max_tokens=120, retries=1).sample(PROMPTS)
    for s in sets:
        assert len(s["candidates"]) == 3 and 1 <= s["attempts"] <= 2 and s["nc_prompt"] == "values"
        filled = [c for c in s["candidates"] if c["source"] == "fallback-sample"]
        assert (s["fallback"] is None) == (not filled)
    # Too few tokens for three responses: the model cannot comply, the set is filled and says so.
    starved = NegativelyCorrelatedSampler(hf_model, k=3, max_tokens=6, retries=1).sample(PROMPTS[:1])[0]
    assert len(starved["candidates"]) == 3 and starved["attempts"] == 2
    assert starved["fallback"].startswith("filled") and "after 2 attempts" in starved["fallback"]


def test_more_responses_than_asked_keeps_the_first_k_and_says_so(hf_model):
    # Asked for two with the request that names example values, the 135M model lists three or four for some of
    # these prompts (seeded; the batch matters, as padding changes sampled text): the first two are kept. (With the
    # default request it gives two or fewer here.)
    prompts = builtin_prompts().head(4).to_dict("records")
    sets = NegativelyCorrelatedSampler(hf_model, k=2, max_tokens=160, retries=0, prompt="axes").sample(prompts)
    kept = [s for s in sets if (s["fallback"] or "").startswith("kept the first 2 of ")]
    assert kept, [s["fallback"] for s in sets]
    for s in kept:
        assert int(s["fallback"].rsplit(" of ", 1)[1].split()[0]) > 2
        assert [c["source"] for c in s["candidates"]] == ["diverse", "diverse"] and s["attempts"] == 1


def test_one_response_from_each_model(hf_model, llama_model):
    sets = MultiModelSampler({"embedded": hf_model, "llamacpp:embedded": llama_model}, max_tokens=8).sample(PROMPTS)
    assert [[c["source"] for c in s["candidates"]] for s in sets] == [["embedded", "llamacpp:embedded"]] * 2


def test_placer_places_responses_in_range_and_reports_its_accuracy(hf_model):
    # Through the suite's answer cache: compare-samplers' check asks the same 176 questions of the 44 known poles.
    judge = ValuePlacer(Models(given={"embedded": hf_model})("embedded"))
    placed = judge.positions(["Follow your faith.", "Trust the evidence."])
    assert list(placed.columns) == ["traditional_secular", "survival_self_expression"]
    assert placed.abs().le(1).all().all()
    report = placement_accuracy(judge, builtin_value_poles()).set_index(["axis", "language"])
    assert report.loc[("all", "all"), "n"] == 44
    assert set(report.index.get_level_values("language")) == {"en", "de", "fr", "es", "tr", "all"}
    assert np.all((report["ci_low"] <= report["accuracy"]) & (report["accuracy"] <= report["ci_high"]))


def test_people_from_a_comparison_table_are_placed_by_what_they_chose(hf_model):
    import pandas as pd

    from pluralign.candidates import annotator_positions, chosen_positions

    comparisons = pd.DataFrame({"annotator_id": ["p1", "p1", "p2"],
                                "candidates": [["Follow your faith.", "Trust the evidence."]] * 3, "chosen": [0, 0, 1]})
    judge = ValuePlacer(hf_model)
    placed = chosen_positions(comparisons, judge)
    alone = judge.positions(["Follow your faith.", "Trust the evidence."])
    assert placed["traditional_secular"].tolist() == pytest.approx(alone["traditional_secular"].iloc[[0, 0, 1]].tolist(), abs=1e-6)
    people = annotator_positions(placed).set_index("annotator")
    assert people.loc["p2", "traditional_secular"] == pytest.approx(alone.loc[1, "traditional_secular"], abs=1e-6)


def test_diverse_sampler_for_base_models(hf_model):
    s, = NegativelyCorrelatedSampler(hf_model, k=2, max_tokens=60, retries=0, chat=False).sample(PROMPTS[:1])
    assert len(s["candidates"]) == 2 and s["attempts"] == 1


def test_a_sampler_is_made_from_its_own_settings_and_samples_as_the_job_asks(hf_model, llama_model):
    """The sample job hands the samplers only SamplerSettings (no manifest record); the negatively-correlated sampler's
    one request gets k responses' worth of tokens, the multi-model sampler one greedy answer per model, by spec."""
    config = SamplingConfig(k=3, max_tokens=8, retries=1, seed=5, nc_prompt="axes")
    settings = config.sampler_settings()
    assert settings == SamplerSettings(k=3, temperature=1.0, max_tokens=8, retries=1, chat=True, seed=5, nc_prompt="axes")
    diverse = make_sampler("negatively-correlated", {"embedded": hf_model}, settings)
    assert (diverse.max_tokens, diverse.k, diverse.retries, diverse.prompt) == (24, 3, 1, "axes")
    independent = make_sampler("independent", {"embedded": hf_model, "llamacpp:embedded": llama_model}, settings)
    assert independent.model is hf_model and independent.max_tokens == 8
    assert independent.sample(PROMPTS[:1]) == IndependentSampler(hf_model, 3, 1.0, 8, True, 5).sample(PROMPTS[:1])
    several = make_sampler("multi-model", {"embedded": hf_model, "llamacpp:embedded": llama_model}, settings)
    assert [c["source"] for c in several.sample(PROMPTS[:1])[0]["candidates"]] == ["embedded", "llamacpp:embedded"]
