"""OpenAI-compatible HTTP backend (vLLM, llama.cpp server, TGI, Ollama): concurrent, with timeouts and retries.

Scoring reads prompt log-probs from ``/completions`` with ``echo`` and ``logprobs``; servers that do not return
them get a clear error, since guessing a score from generated text would silently change what is measured.
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

import httpx

from .base import GenerateRequest, ModelError, ModelSpecError, Prompt, ScoreRequest, truncate_at_stop
from .probe import logprob_problems

RETRY_STATUS = {408, 409, 429, 502, 503, 504}  # transient; a 500 is the server rejecting the request


class OpenAIModel:
    """A model behind an OpenAI-compatible server.

    Args:
        base_url: e.g. ``http://127.0.0.1:8000/v1``.
        model: the server's model name.
        api_key: defaults to ``$OPENAI_API_KEY`` (many local servers need none).
        concurrency: requests in flight at once.
        timeout: seconds per request; retries: attempts after the first, with exponential backoff and jitter.
        chat_template: a callable rendering chat messages to text, needed only to *score* chat prompts, since
            completions endpoints take text (e.g. ``HFModel(...).render`` of the same model's tokenizer).
        check_logprobs: before the first score, check that the server's prompt log-probs are the model's
            (``models.probe``) and refuse to score through it if not. Turn off only for a server you checked.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        concurrency: int = 8,
        timeout: float = 120.0,
        retries: int = 4,
        backoff: float = 0.5,
        chat_template: Callable[[Prompt], str] | None = None,
        check_logprobs: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.concurrency = concurrency
        self.retries = retries
        self.backoff = backoff
        self.chat_template = chat_template
        self._unchecked = check_logprobs
        self._probing = threading.Lock()  # jobs may score from several threads: probe once
        key = api_key or os.environ.get("OPENAI_API_KEY") or "none"
        self._client = httpx.Client(timeout=timeout, headers={"Authorization": f"Bearer {key}"})
        self.fingerprint = f"openai:{self.base_url}#{model}"

    def _post(self, path: str, payload: dict) -> dict:
        url = f"{self.base_url}{path}"
        for attempt in range(self.retries + 1):
            try:
                response = self._client.post(url, json=payload)
                if response.status_code not in RETRY_STATUS:
                    if response.status_code >= 400:
                        raise ModelError(f"{url} answered {response.status_code}: {response.text[:300]}")
                    return response.json()
                problem = f"status {response.status_code}"
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if attempt < self.retries:
                time.sleep(self.backoff * 2**attempt * (1 + random.random()))
        raise ModelError(f"server at {self.base_url} stopped answering after {self.retries + 1} attempts ({problem})")

    def _map(self, fn, items: Sequence) -> list:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(fn, items))

    def _text(self, prompt: Prompt) -> str:
        if isinstance(prompt, str):
            return prompt
        if self.chat_template is None:
            raise ModelError(
                f"scoring a chat prompt through {self.fingerprint} needs the model's chat template: "
                "pass chat_template= (e.g. the render method of an HFModel of the same model) or give plain text"
            )
        return self.chat_template(prompt)

    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]:
        with self._probing:
            if self._unchecked:
                problems = logprob_problems(self._score, self._greedy)
                if problems:
                    raise ModelSpecError(
                        f"{self.fingerprint} echoes prompt log-probs that are not the model's ({problems[0]}), so "
                        "pluralign will not score through it: serve the model with vLLM, or pass "
                        "?check_logprobs=off if you checked the server yourself")
                self._unchecked = False
        return self._score(requests)

    def _score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]:
        pairs = [(self._text(r.context), c) for r in requests for c in r.continuations]
        flat = iter(self._map(lambda pair: self._score_one(*pair), pairs))
        return [[next(flat) for _ in r.continuations] for r in requests]

    def _score_one(self, context: str, continuation: str) -> float:
        prompt = context + continuation
        data = self._post("/completions", {"model": self.model, "prompt": prompt, "max_tokens": 1,
                                           "temperature": 0, "echo": True, "logprobs": 1})
        logprobs = (data.get("choices") or [{}])[0].get("logprobs") or {}
        tokens, values = logprobs.get("tokens"), logprobs.get("token_logprobs")
        if not tokens or not values:
            raise ModelError(
                f"{self.fingerprint} returns no prompt log-probs (completions with echo and logprobs), so it cannot "
                "score; use a server that does (vLLM) or a generation-based job"
            )
        picked = continuation_logprobs(continuation, tokens, values, (data.get("usage") or {}).get("completion_tokens", 1))
        if not picked or any(v is None for v in picked):
            raise ModelError(f"{self.fingerprint} returned incomplete log-probs for the continuation {continuation!r}")
        return float(sum(picked))

    def _greedy(self, prompt: str) -> tuple[str, float] | None:
        """The server's greedy next token after ``prompt`` and the log-prob it gave it, if it reports one."""
        try:
            data = self._post("/completions", {"model": self.model, "prompt": prompt, "max_tokens": 1,
                                               "temperature": 0, "logprobs": 1})
        except ModelError:  # a server may refuse logprobs on generated tokens: that check is then skipped
            return None
        logprobs = (data.get("choices") or [{}])[0].get("logprobs") or {}
        tokens, values = logprobs.get("tokens") or [], logprobs.get("token_logprobs") or []
        return (tokens[0], float(values[0])) if tokens and values and values[0] is not None else None

    def generate(self, requests: Sequence[GenerateRequest]) -> list[list[str]]:
        """Sample through /completions (plain prompts) or /chat/completions (messages), requests in parallel."""
        jobs = [(r, k) for r in requests for k in range(r.n)]
        flat = iter(self._map(lambda job: self._generate_one(*job), jobs))
        return [[next(flat) for _ in range(r.n)] for r in requests]

    def _generate_one(self, request: GenerateRequest, k: int) -> str:
        payload = {"model": self.model, "max_tokens": request.max_tokens, "temperature": request.temperature,
                   "top_p": request.top_p}
        if request.seed is not None:
            payload["seed"] = request.seed + k
        if request.stop:
            payload["stop"] = list(request.stop)
        if isinstance(request.prompt, str):
            choice = self._post("/completions", {**payload, "prompt": request.prompt})["choices"][0]
            text = choice.get("text", "")
        else:
            choice = self._post("/chat/completions", {**payload, "messages": request.prompt})["choices"][0]
            text = (choice.get("message") or {}).get("content") or ""
        return truncate_at_stop(text, request.stop)


def continuation_logprobs(continuation: str, tokens: Sequence[str], values: Sequence, n_generated: int) -> list:
    """The echoed per-token log-probs that belong to the continuation: the last prompt tokens whose text makes it up.

    Read from the end, because servers disagree on character offsets (some drop or blank special tokens) and on
    whether the generated tokens are listed; a token that straddles the context/continuation boundary counts for the
    continuation, as in lm-evaluation-harness.
    """
    for skip in dict.fromkeys([n_generated, 0]):
        end = len(tokens) - skip
        text, picked = "", []
        for token, value in zip(reversed(tokens[:end]), reversed(values[:end])):
            if len(text) >= len(continuation):
                break
            text = token + text
            picked.insert(0, value)
        if text.endswith(continuation):
            return picked
    return []
