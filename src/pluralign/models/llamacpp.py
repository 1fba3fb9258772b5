"""llama-cpp-python backend: fast on the CPU, scoring rows in token order so each reuses the KV cache of the last."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .base import GenerateRequest, ModelError, ModelSpecError, Prompt, ScoreRequest, truncate_at_stop
from .prefix import plan_scores
from .tokens import content_digest


def usable_cores() -> int:
    """Physical cores this process may run on: its CPU affinity, at most the machine's physical cores."""
    import psutil

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(usable, psutil.cpu_count(logical=False) or usable))


class LlamaCppModel:
    """A GGUF model run by llama.cpp.

    Args:
        path: the GGUF file.
        n_ctx: context window in tokens.
        n_threads: CPU threads (default: the physical cores this process may use; llama-cpp-python's own default,
            half the logical CPUs, leaves one of two cores idle on a machine without hyperthreads, and generation
            there ran 1.6x slower: benchmarks/RESULTS.md).
        n_gpu_layers: layers offloaded to a GPU (-1: all), for a llama-cpp-python built with GPU support.
    """

    def __init__(self, path: str | Path, *, n_ctx: int = 2048, n_threads: int | None = None, n_gpu_layers: int = 0,
                 label: str | None = None) -> None:
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError:
            raise ModelSpecError("the llamacpp backend needs llama-cpp-python: pip install 'pluralign[llamacpp]'") from None
        path = Path(path)
        try:
            threads = n_threads or usable_cores()
            self.llm = Llama(str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, logits_all=True,
                             n_gpu_layers=n_gpu_layers, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ModelSpecError(f"llama.cpp could not load {path}: {exc}") from None
        self.name = label or f"llamacpp:{path}"
        template = self.llm.metadata.get("tokenizer.chat_template")
        vocab = self.llm._model
        self._add_bos = bool(vocab.add_bos_token())
        self._bos_text = vocab.token_get_text(vocab.token_bos()) if vocab.token_bos() >= 0 else ""
        self._chat = (
            Jinja2ChatFormatter(template, eos_token=vocab.token_get_text(vocab.token_eos()),
                                bos_token=vocab.token_get_text(vocab.token_bos()))
            if template else None
        )
        head = path.open("rb").read(1 << 20)
        digest = hashlib.sha256(head + str(path.stat().st_size).encode()).hexdigest()[:16]
        self.fingerprint = f"llamacpp:{path.name}:{digest}"
        self.weights_source = content_digest(path)  # the whole file's SHA-256, read once per version (tokens.py)

    def render(self, prompt: Prompt) -> str:
        if isinstance(prompt, str):
            return prompt
        if self._chat is None:
            raise ModelError(f"{self.name} has no chat template; give plain-text prompts")
        return self._chat(messages=prompt).prompt

    def encode(self, text: str) -> list[int]:
        """Token ids, with BOS where the model wants one and the text does not already start with it."""
        add_bos = self._add_bos and not (self._bos_text and text.startswith(self._bos_text))
        return self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)

    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]:
        plan = plan_scores(requests, lambda r: self.render(r.context), self.encode, self.llm.token_eos())
        n_ctx = self.llm.n_ctx()
        logprob: dict[tuple[int, int, int], float] = {}
        wanted = plan.wanted()
        # Rows in token order: each one shares the longest possible prefix with the one before it.
        for r in sorted(range(len(plan.rows)), key=lambda i: plan.rows[i].tokens):
            tokens = plan.rows[r].tokens
            if len(tokens) > n_ctx:
                raise ModelError(f"a prompt of {len(tokens)} tokens exceeds {self.name}'s context of {n_ctx}")
            done = self.llm.n_tokens
            keep = 0
            current = self.llm.input_ids[:done]
            while keep < min(done, len(tokens)) and current[keep] == tokens[keep]:
                keep += 1
            keep = min(keep, len(tokens) - 1)  # always evaluate at least one token
            self.llm.n_tokens = keep
            self.llm.eval(tokens[keep:])
            for pos, tok in wanted[r]:
                logits = self.llm.scores[pos].astype(np.float64)
                top = logits.max()
                logprob[(r, pos, tok)] = float(logits[tok] - top - np.log(np.exp(logits - top).sum()))
        return plan.assemble(logprob)

    def generate(self, requests: Sequence[GenerateRequest]) -> list[list[str]]:
        results = []
        for r in requests:
            prompt = self.render(r.prompt)
            samples = []
            for k in range(r.n):
                # Evaluate each prompt from an empty cache: llama.cpp's logits depend slightly on how a prompt was
                # split into batches, and sampling must not depend on what was scored before.
                self.llm.reset()
                out = self.llm.create_completion(
                    prompt, max_tokens=r.max_tokens, temperature=r.temperature, top_p=r.top_p,
                    seed=(r.seed + k) if r.seed is not None else None, stop=list(r.stop) or None,
                )
                samples.append(truncate_at_stop(out["choices"][0]["text"], r.stop))
            results.append(samples)
        return results
