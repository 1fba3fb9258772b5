"""The response cache answers repeated requests without asking the model again."""

from __future__ import annotations

from pluralign.models.base import GenerateRequest, ScoreRequest
from pluralign.models.cache import CachedModel, ResponseCache


class CountingModel:
    """Passes every call to a real model and counts the requests it sees."""

    def __init__(self, model):
        self.model, self.fingerprint, self.seen = model, model.fingerprint, 0

    def score(self, requests):
        self.seen += len(requests)
        return self.model.score(requests)

    def generate(self, requests):
        self.seen += len(requests)
        return self.model.generate(requests)


def test_cached_answers_equal_fresh_ones_and_skip_the_model(tmp_path, llama_model):
    counting = CountingModel(llama_model)
    cached = CachedModel(counting, ResponseCache(tmp_path / "cache.sqlite"))
    requests = [ScoreRequest("The sky is", (" blue", " green")), ScoreRequest("Grass is", (" green",))]
    first = cached.score(requests)
    assert counting.seen == 2
    again = CachedModel(counting, ResponseCache(tmp_path / "cache.sqlite")).score(requests + [ScoreRequest("Snow is", (" white",))])
    assert again[:2] == first and counting.seen == 3


def test_unseeded_samples_are_never_cached(tmp_path, llama_model):
    counting = CountingModel(llama_model)
    cached = CachedModel(counting, ResponseCache(tmp_path / "cache.sqlite"))
    greedy = GenerateRequest("Hello", max_tokens=4)
    sampled = GenerateRequest("Hello", max_tokens=4, temperature=1.0)
    cached.generate([greedy, sampled])
    cached.generate([greedy, sampled])
    assert counting.seen == 3
