"""What a served study does beside answering requests: the candidate worker, and the refitter of an active study.

`collect serve` runs them once, in its own process: beside uvicorn's server when one process serves, or as the parent
of its ``--workers`` processes, which then load no model and do not refit N times over (a supervisor that otherwise
waits on its children). Their models are loaded at first use (``on_demand``): a study whose sets are all written (a
restart) loads no language model, and one with no refit due no embedder. A ``vllm:`` model loads at start, in the
main thread, where vLLM's engine may set its signal handlers.

Stopping (Ctrl-C) waits a few seconds for both threads. One still inside a model's call then (a set being written, a
model loading) must not meet the interpreter's exit: Python ends a daemon thread that wakes during finalisation with
``pthread_exit``, whose unwinding through torch's C++ frames (a ``noexcept`` GIL guard) aborts the whole process
("terminate called without an active exception", exit -6). The command then ends its process at once (``end_now``);
the set stays pending in the database and is written at the next start.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from functools import partial
from typing import NoReturn

from ..embed import SentenceEmbedder
from ..models.base import on_demand
from ..models.spec import load, parse_spec
from .refit import Refitter
from .store import Store
from .worker import CandidateWorker, study_placer, study_sampler

STOP_WAIT_S = 5.0  # how long stopping waits for the threads: a refit or a batch of sets just ending is kept


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
                                      first=study_sampler(study, models, study.pool_size)
                                      if study.pool_size != study.k else None)
        self.refitter = Refitter(store, on_demand(SentenceEmbedder)) if study.policy == "active" else None

    def start(self) -> None:
        self.worker.start()
        if self.refitter is not None:
            self.refitter.start()

    def stop(self, wait_s: float = STOP_WAIT_S) -> bool:
        """Ask both threads to stop and wait for them, ``wait_s`` in all (a second Ctrl-C ends the wait); True when
        both ended, False when one is still inside a model's call: then the process must not finalise (``end_now``)."""
        threads = [t for t in (self.worker, self.refitter) if t is not None]
        for thread in threads:
            thread.stop()
        deadline = time.monotonic() + wait_s
        try:
            for thread in threads:
                if thread.is_alive():
                    thread.join(max(0.0, deadline - time.monotonic()))
        except KeyboardInterrupt:
            pass
        return not any(thread.is_alive() for thread in threads)


def end_now(status: int = 0) -> NoReturn:
    """End the process with ``status`` without finalising the interpreter, its output and log written first: a thread
    still in a model's native code would abort the process as finalisation ends it (see the module's doc)."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(status)
