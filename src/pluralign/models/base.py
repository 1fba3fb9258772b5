"""The one interface every job uses to talk to a language model."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Protocol, Sequence, TypeVar, Union, cast, runtime_checkable

from ..errors import InputError

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}
Prompt = Union[str, list[Message]]
T = TypeVar("T")


class ModelError(RuntimeError):
    """A model could not answer (e.g. its server went away); the message says what to do."""


class ModelSpecError(ModelError, InputError):
    """A model spec is malformed or names a model that cannot be loaded: bad input, not a failure mid-run."""


@dataclass(frozen=True)
class ScoreRequest:
    """log p(continuation | context) for each continuation; a chat prompt is rendered with the model's template."""

    context: Prompt
    continuations: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "continuations", tuple(self.continuations))
        if isinstance(self.context, list):
            object.__setattr__(self, "context", [dict(m) for m in self.context])

    def key(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class GenerateRequest:
    """Sample ``n`` completions of ``prompt``; temperature 0 is greedy and deterministic."""

    prompt: Prompt
    max_tokens: int = 128
    temperature: float = 0.0
    top_p: float = 1.0
    n: int = 1
    seed: int | None = None
    stop: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stop", tuple(self.stop))
        if isinstance(self.prompt, list):
            object.__setattr__(self, "prompt", [dict(m) for m in self.prompt])

    @property
    def deterministic(self) -> bool:
        return self.temperature == 0 or self.seed is not None

    def key(self) -> dict:
        return asdict(self)


@runtime_checkable
class LanguageModel(Protocol):
    """A backend: takes whole lists of requests and batches inside. A backend that runs best on larger calls than
    a job's own chunks (a GPU) says how many items to hand it at once in an attribute ``batch_hint``."""

    fingerprint: str

    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]: ...

    def generate(self, requests: Sequence[GenerateRequest]) -> list[list[str]]: ...


def truncate_at_stop(text: str, stop: Sequence[str]) -> str:
    """Cut ``text`` at the first stop string, as servers do."""
    cut = min((i for s in stop if (i := text.find(s)) >= 0), default=len(text))
    return text[:cut]


class _OnDemand:
    """Stands for what ``make`` returns, calling it at the first use of an attribute (again after it failed, so a
    model that could not load is tried again at its next use: a served study's worker keeps the error on its sets
    meanwhile)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make, self._made, self._lock = make, None, threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._made is None:
                self._made = self._make()
        return getattr(self._made, name)


def on_demand(make: Callable[[], T]) -> T:
    """What ``make`` returns (a model, an embedder), made when first used, not now: a job's models (``runs.Models``)
    and a served study's, so that a run or study with nothing left to do loads none and imports no model library
    (the rerun of a finished align run: benchmarks/RESULTS.md, session 26)."""
    return cast(T, _OnDemand(make))
