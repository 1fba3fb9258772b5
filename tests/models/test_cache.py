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


def test_a_model_loaded_with_cache_reads_what_jobs_cached(llama_model, answer_cache):
    """``load(spec, cache=True)`` (README's value-map example) answers through the one cache that jobs and commands
    fill, so a script reads back what a command asked before; without it, a model goes straight to its backend."""
    from pluralign.models.spec import load
    from pluralign.runs import Models

    job = Models(given={"llamacpp:embedded": llama_model})("llamacpp:embedded")
    request = [ScoreRequest("The cache test's sky is", (" blue", " green"))]
    stored = job.score(request)
    loaded = load("llamacpp:embedded", cache=True)
    assert isinstance(loaded, CachedModel) and loaded.cache.path == job.cache.path == answer_cache / "responses.sqlite"
    assert loaded.cache.get_many([loaded.cache.key(loaded.fingerprint, "score", request[0].key())]) != {}
    assert loaded.score(request) == stored and not isinstance(load("llamacpp:embedded"), CachedModel)
