"""The background worker that fills candidate sets: every first turn ahead of time, so nobody waits on a model for
it, and a person's later turn as soon as they ask (those go first). With a value judge, each candidate is also
placed on the value axes, so the admin page can show which value poles the served sets cover."""

from __future__ import annotations

import threading

from ..models.base import LanguageModel
from ..sampling.job import SamplingConfig, sampler_for
from ..sampling.judge import ValueJudge
from .store import Store
from .study import Study


def study_sampler(study: Study, models: dict[str, LanguageModel]):
    """The study's sampler over loaded ``models`` (by spec)."""
    config = SamplingConfig(model=study.models[0], models=list(study.models[1:]), samplers=[study.sampler], k=study.k,
                            temperature=study.temperature, max_tokens=study.max_tokens, seed=study.seed)
    return sampler_for(study.sampler, config, models)


def study_judge(study: Study, models: dict[str, LanguageModel]) -> ValueJudge | None:
    """The study's value judge over loaded ``models`` (by spec), or None when the study turns it off."""
    return None if study.judge_spec is None else ValueJudge(models[study.judge_spec])


class CandidateWorker(threading.Thread):
    """Fills pending sets ``batch`` at a time with ``sampler`` (each candidate placed by ``judge`` when given) until
    ``stop()``; a batch that fails marks its sets failed with the error (the person's page offers a retry)."""

    def __init__(self, store: Store, sampler, judge: ValueJudge | None = None, batch: int = 4,
                 idle_seconds: float = 0.5) -> None:
        super().__init__(name="pluralign-candidates", daemon=True)
        self.store, self.sampler, self.judge, self.batch, self.idle = store, sampler, judge, batch, idle_seconds
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
            sets = [[{"text": c["text"], "source": c["source"]} for c in r["candidates"]]
                    for r in self.sampler.sample(prompts)]
            if self.judge is not None:
                placed = iter(self.judge.positions([c["text"] for s in sets for c in s]).to_dict("records"))
                sets = [[{**c, "position": next(placed)} for c in s] for s in sets]
        except Exception as exc:  # a model failure must not end the worker; the sets say what happened
            for p in prompts:
                self.store.fill(p["id"], None, f"{type(exc).__name__}: {exc}")
            return len(prompts)
        for p, candidates in zip(prompts, sets):
            self.store.fill(p["id"], candidates)
        return len(prompts)

    def stop(self) -> None:
        self._stopping.set()
