"""The background worker that fills candidate sets: every first turn ahead of time, so nobody waits on a model for
it, and a person's later turn as soon as they ask (those go first). Every candidate is checked before it is offered
(``candidates/checks.py``); one that fails is replaced from a new sample or dropped, and the set keeps what was done.
With a value placer, each candidate is also placed on the value axes, so the admin page can show which value poles
the served sets cover."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace

from ..candidates.checks import candidate_problems
from ..candidates.placement import ValuePlacer
from ..candidates.samplers import Sampler, SamplerSettings, make_sampler
from ..models.base import LanguageModel
from ..serving import LOG, one_line
from .store import Store
from .study import Study


def study_sampler(study: Study, models: dict[str, LanguageModel], k: int | None = None) -> Sampler:
    """The study's sampler over loaded ``models`` (by spec), writing ``k`` answers per set (default: the k shown; a
    first turn's sampler writes the study's ``pool_size``)."""
    settings = SamplerSettings(k=k or study.k, temperature=study.temperature, max_tokens=study.max_tokens,
                               seed=study.seed)
    return make_sampler(study.sampler, {spec: models[spec] for spec in study.models}, settings)


def study_placer(study: Study, models: dict[str, LanguageModel]) -> ValuePlacer | None:
    """The study's value placer over loaded ``models`` (by spec), or None when the study turns it off."""
    return None if study.placer_spec is None else ValuePlacer(models[study.placer_spec])


RESEED = 100  # a new sample's seed step: clear of the seeds a sampler takes itself (+1, +2 retries; +1000 fillers)


class CandidateWorker(threading.Thread):
    """Fills pending sets ``batch`` at a time with ``sampler``, the first turns' with ``first`` (default: ``sampler``;
    a study with a larger pool than it shows writes the pool there), each candidate placed by ``placer`` when given,
    until ``stop()``. A candidate that fails its checks is replaced by the same slot of a new sample (another seed), up to
    ``resamples`` times, then dropped; a set left with fewer than two is failed, as is a batch whose generation fails
    (the person's page offers a retry)."""

    def __init__(self, store: Store, sampler: Sampler, placer: ValuePlacer | None = None, batch: int = 4,
                 idle_seconds: float = 0.5, resamples: int = 2, first: Sampler | None = None) -> None:
        super().__init__(name="pluralign-candidates", daemon=True)
        self.store, self.sampler, self.placer, self.batch, self.idle = store, sampler, placer, batch, idle_seconds
        self.first = first or sampler
        self.resamples = resamples
        self._stopping = threading.Event()

    def run(self) -> None:
        failed: str | None = None
        while not self._stopping.is_set():
            try:
                filled, failed = self.step(), None
            except Exception as exc:  # the database failed (a restart, a lock held too long): say so once, try again
                if one_line(exc) != failed:
                    LOG.error("the candidate worker could not read or write the study's database: %s (it tries "
                              "again)", one_line(exc))
                filled, failed = 0, one_line(exc)
            if not filled:
                self._stopping.wait(self.idle)

    def step(self) -> int:
        """Fill one batch of pending sets; returns how many there were."""
        prompts = self.store.pending(self.batch)
        if not prompts:
            return 0
        try:
            sets, checks = self.checked(prompts)
            if self.placer is not None:
                placed = iter(self.placer.positions([c["text"] for s in sets for c in s]).to_dict("records"))
                sets = [[{**c, "position": next(placed)} for c in s] for s in sets]
        except Exception as exc:  # a model failure must not end the worker; the sets and the log say what happened
            LOG.error("the answers of %d set(s) could not be written: %s", len(prompts), one_line(exc))
            for p in prompts:
                self.store.fill(p["id"], None, f"{type(exc).__name__}: {exc}")
            return len(prompts)
        for p, candidates, done in zip(prompts, sets, checks):
            if len(candidates) < 2:
                found = ", ".join(f"{problem} ×{n}" for problem, n in Counter(c["problem"] for c in done).items())
                self.store.fill(p["id"], None, f"fewer than two answers passed the checks ({found})", done)
            else:
                self.store.fill(p["id"], candidates, checks=done)
        return len(prompts)

    def checked(self, prompts: list[dict]) -> tuple[list[list[dict]], list[list[dict]]]:
        """Each prompt's candidates after the checks (``candidate_problems``), and what was done to each candidate
        that failed them: ``{"problem", "text", "done"}``, ``done`` being ``replaced`` or ``dropped``."""
        sets, checks = self._sample(prompts, 0), [[] for _ in prompts]
        for attempt in range(1, self.resamples + 2):
            problems = [candidate_problems([c["text"] for c in s], p["language"]) for p, s in zip(prompts, sets)]
            todo = [i for i, found in enumerate(problems) if any(found)]
            if not todo:
                break
            last = attempt > self.resamples
            fresh = [[] for _ in todo] if last else self._sample([prompts[i] for i in todo], attempt)
            for i, new in zip(todo, fresh):
                kept = []
                for slot, (candidate, problem) in enumerate(zip(sets[i], problems[i])):
                    swap = new[slot] if problem and slot < len(new) else None
                    if problem:
                        checks[i].append({"problem": problem, "text": candidate["text"],
                                          "done": "replaced" if swap else "dropped"})
                    if not problem or swap:
                        kept.append(swap or candidate)
                sets[i] = kept
        return sets, checks

    def _sample(self, prompts: list[dict], attempt: int) -> list[list[dict]]:
        """The samplers' sets for ``prompts`` (``first``'s for first turns), with a seed of their own for each
        attempt."""
        sets: list[list[dict]] = [[] for _ in prompts]
        every = range(len(prompts))
        groups = [(self.sampler, list(every))] if self.first is self.sampler else [
            (self.first, [i for i in every if prompts[i]["turn"] == 1]),
            (self.sampler, [i for i in every if prompts[i]["turn"] != 1])]
        for sampler, part in groups:  # one call when the first turns write no larger pool
            if part:
                sampler = replace(sampler, seed=sampler.seed + RESEED * attempt)
                for i, r in zip(part, sampler.sample([prompts[i] for i in part])):
                    sets[i] = [{"text": c["text"], "source": c["source"]} for c in r["candidates"]]
        return sets

    def stop(self) -> None:
        self._stopping.set()
