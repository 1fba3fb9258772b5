"""Candidate sets: k responses per prompt, by independent sampling, by one request for diverse responses, or one
from each of several models. Every sampler takes whole lists of prompts and sends each round to the backend as
one batched call.

A prompt is a dict with ``id``, ``text`` (the user's message), ``language`` and optionally ``context`` (earlier
turns as chat messages). A candidate set is a dict: ``prompt_id``, ``sampler``, ``candidates`` (list of
``{"text", "source"}``), ``attempts``, ``fallback`` (None, or what was done when the model did not comply) and
``nc_prompt`` (which instruction asked for diverse responses; None for the other samplers).

``make_sampler`` builds one by name from ``SamplerSettings``: the sample jobs and the collection worker each carry
these settings in their own config (a manifest, a study file) and hand over only them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..models.base import GenerateRequest, LanguageModel
from .parse import split_responses
from .prompts import conversation, diverse_prompt, render


SAMPLERS = ("independent", "negatively-correlated", "multi-model")


class Sampler(Protocol):
    name: str
    seed: int

    def sample(self, prompts: list[dict]) -> list[dict]: ...


@dataclass
class IndependentSampler:
    """k samples of the same prompt at ``temperature``: the usual way, and the baseline."""

    model: LanguageModel
    k: int = 4
    temperature: float = 1.0
    max_tokens: int = 128
    chat: bool = True
    seed: int = 0
    name: str = "independent"

    def requests(self, prompts: list[dict], n: list[int] | None = None, seed_offset: int = 0) -> list[GenerateRequest]:
        return [GenerateRequest(render(conversation(p), self.chat), max_tokens=self.max_tokens, temperature=self.temperature,
                                n=m, seed=self.seed + seed_offset, stop=() if self.chat else ("\nUser:",))
                for p, m in zip(prompts, n or [self.k] * len(prompts))]

    def sample(self, prompts: list[dict]) -> list[dict]:
        outputs = self.model.generate(self.requests(prompts))
        return [_record(p, self.name, [{"text": t.strip(), "source": "sample"} for t in out], 1, None)
                for p, out in zip(prompts, outputs)]


@dataclass
class NegativelyCorrelatedSampler:
    """One request asks for k responses that represent diverse values and differ from each other; ``prompt`` picks
    the instruction: ``values`` (names no values, the default) or ``axes`` (names the value placer's poles).

    The output is split into responses (``split_responses``); a prompt with fewer than k is asked again, up to
    ``retries`` times with other seeds, keeping the attempt that gave most; what is still missing is filled with
    independent samples, and the set records it in ``fallback``. More than k: the first k are kept.
    """

    model: LanguageModel
    k: int = 4
    temperature: float = 1.0
    max_tokens: int = 384
    retries: int = 2
    chat: bool = True
    seed: int = 0
    prompt: str = "values"
    name: str = "negatively-correlated"

    def sample(self, prompts: list[dict]) -> list[dict]:
        best: list[list[str]] = [[] for _ in prompts]
        attempts = [0] * len(prompts)
        todo = list(range(len(prompts)))
        for attempt in range(self.retries + 1):
            if not todo:
                break
            requests = [GenerateRequest(diverse_prompt(prompts[i], self.k, self.chat, self.prompt), max_tokens=self.max_tokens,
                                        temperature=self.temperature, seed=self.seed + attempt,
                                        stop=() if self.chat else ("\nUser:",)) for i in todo]
            for i, out in zip(todo, self.model.generate(requests)):
                text = out[0] if self.chat else "1." + out[0]
                attempts[i] += 1
                parts = split_responses(text)
                if len(parts) > len(best[i]):
                    best[i] = parts
            todo = [i for i in todo if len(best[i]) < self.k]
        missing = {i: self.k - len(best[i]) for i in todo}
        filler = IndependentSampler(self.model, self.k, self.temperature, self.max_tokens // 2, self.chat, self.seed)
        fills = dict(zip(missing, self.model.generate(filler.requests([prompts[i] for i in missing], list(missing.values()),
                                                                          seed_offset=1000)))) if missing else {}
        records = []
        for i, p in enumerate(prompts):
            parsed = [{"text": t, "source": "diverse"} for t in best[i][: self.k]]
            extra = [{"text": t.strip(), "source": "fallback-sample"} for t in fills.get(i, [])]
            fallback = None
            if extra:
                fallback = f"filled {len(extra)} of {self.k} with independent samples after {attempts[i]} attempts"
            elif len(best[i]) > self.k:
                fallback = f"kept the first {self.k} of {len(best[i])} responses"
            records.append(_record(p, self.name, parsed + extra, attempts[i], fallback, self.prompt))
        return records


@dataclass
class MultiModelSampler:
    """One response from each of several models (by spec), at ``temperature`` (0: each model's default answer)."""

    models: dict[str, LanguageModel]
    temperature: float = 0.0
    max_tokens: int = 128
    chat: bool = True
    seed: int = 0
    name: str = "multi-model"

    def sample(self, prompts: list[dict]) -> list[dict]:
        per_model = {spec: IndependentSampler(model, 1, self.temperature, self.max_tokens, self.chat, self.seed)
                     for spec, model in self.models.items()}
        outputs = {spec: s.model.generate(s.requests(prompts)) for spec, s in per_model.items()}
        return [_record(p, self.name, [{"text": outputs[spec][i][0].strip(), "source": spec} for spec in self.models], 1, None)
                for i, p in enumerate(prompts)]


@dataclass(frozen=True)
class SamplerSettings:
    """How a sampler samples, apart from which models: candidates per set (``k``), sampling temperature, tokens per
    response (the negatively-correlated sampler asks for k times as many in its one request), how often a diverse
    request that gave fewer than k is asked again, chat templates or a transcript, seed, and the diverse request's
    instruction (a key of ``prompts.DIVERSE``)."""

    k: int = 4
    temperature: float = 1.0
    max_tokens: int = 128
    retries: int = 2
    chat: bool = True
    seed: int = 0
    nc_prompt: str = "values"


def make_sampler(name: str, models: dict[str, LanguageModel], settings: SamplerSettings) -> Sampler:
    """The sampler ``name`` (one of SAMPLERS) over loaded ``models`` by spec: the first samples; the multi-model
    sampler takes one greedy answer from each."""
    model, s = next(iter(models.values())), settings
    if name == "independent":
        return IndependentSampler(model, s.k, s.temperature, s.max_tokens, s.chat, s.seed)
    if name == "negatively-correlated":
        return NegativelyCorrelatedSampler(model, s.k, s.temperature, s.max_tokens * s.k, s.retries, s.chat, s.seed,
                                           s.nc_prompt)
    return MultiModelSampler(dict(models), 0.0, s.max_tokens, s.chat, s.seed)


def _record(prompt: dict, sampler: str, candidates: list[dict], attempts: int, fallback: str | None,
            nc_prompt: str | None = None) -> dict:
    return {"prompt_id": prompt["id"], "sampler": sampler, "candidates": candidates, "attempts": attempts,
            "fallback": fallback, "nc_prompt": nc_prompt}
