"""What a served study does beside answering requests: the candidate worker, and the refitter of an active study.

`collect serve` runs them once, in its own process: beside uvicorn's server when one process serves, or as the parent
of its ``--workers`` processes, which then load no model and do not refit N times over (a supervisor that otherwise
waits on its children). Their models are loaded at first use (``on_demand``): a study whose sets are all written (a
restart) loads no language model, and one with no refit due no embedder. A ``vllm:`` model loads at start, in the
main thread, where vLLM's engine may set its signal handlers.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import Any, Callable, TypeVar, cast

from ..embed import SentenceEmbedder
from ..models.spec import load, parse_spec
from .refit import Refitter
from .store import Store
from .worker import CandidateWorker, study_placer, study_sampler

T = TypeVar("T")


class _OnDemand:
    """Stands for what ``make`` returns, calling it at the first use of an attribute (again after it failed, so a
    model that could not load is tried again with the next set; the worker keeps the error on the sets meanwhile)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make, self._made, self._lock = make, None, threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._made is None:
                self._made = self._make()
        return getattr(self._made, name)


def on_demand(make: Callable[[], T]) -> T:
    """What ``make`` returns (a model, an embedder), made when first used, not now."""
    return cast(T, _OnDemand(make))


class Background:
    """The study's candidate worker (its models by spec, each loaded on demand; the specs are checked now, so a
    malformed one is refused at start) and, for an active study, its refitter (the embedder loaded on demand)."""

    def __init__(self, store: Store) -> None:
        study = store.study
        specs = dict.fromkeys([*study.models, *([study.placer_spec] if study.placer_spec else [])])
        # vLLM's engine sets signal handlers as it starts, which only the main thread may: its models load now
        models = {spec: load(spec) if parse_spec(spec).kind == "vllm" else on_demand(partial(load, spec))
                  for spec in specs}
        self.worker = CandidateWorker(store, study_sampler(study, models), study_placer(study, models),
                                      first=study_sampler(study, models, study.pool_size))
        self.refitter = Refitter(store, on_demand(SentenceEmbedder)) if study.policy == "active" else None

    def start(self) -> None:
        self.worker.start()
        if self.refitter is not None:
            self.refitter.start()

    def stop(self) -> None:
        self.worker.stop()
        if self.refitter is not None:
            self.refitter.stop()
