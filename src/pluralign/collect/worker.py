"""The background worker that fills candidate sets: every first turn ahead of time, so nobody waits on a model for
it, and a person's later turn as soon as they ask (those go first)."""

from __future__ import annotations

import threading

from ..models.base import LanguageModel
from ..sampling.job import SamplingConfig, sampler_for
from .store import Store
from .study import Study


def study_sampler(study: Study, models: dict[str, LanguageModel]):
    """The study's sampler over loaded ``models`` (by spec)."""
    config = SamplingConfig(model=study.models[0], models=list(study.models[1:]), samplers=[study.sampler], k=study.k,
                            temperature=study.temperature, max_tokens=study.max_tokens, seed=study.seed)
    return sampler_for(study.sampler, config, models)


class CandidateWorker(threading.Thread):
    """Fills pending sets ``batch`` at a time with ``sampler`` until ``stop()``; a batch that fails marks its sets
    failed with the error (the person's page offers a retry)."""

    def __init__(self, store: Store, sampler, batch: int = 4, idle_seconds: float = 0.5) -> None:
        super().__init__(name="pluralign-candidates", daemon=True)
        self.store, self.sampler, self.batch, self.idle = store, sampler, batch, idle_seconds
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            if not self.step():
                self._stopping.wait(self.idle)

    def step(self) -> int:
        """Fill one batch of pending sets; returns how many there were."""
        prompts = self.store.pending(self.batch)
        if not prompts:
            return 0
        try:
            records = self.sampler.sample(prompts)
        except Exception as exc:  # a model failure must not end the worker; the sets say what happened
            for p in prompts:
                self.store.fill(p["id"], None, f"{type(exc).__name__}: {exc}")
            return len(prompts)
        for p, record in zip(prompts, records):
            self.store.fill(p["id"], [{"text": c["text"], "source": c["source"]} for c in record["candidates"]])
        return len(prompts)

    def stop(self) -> None:
        self._stopping.set()
