"""transformers backend: scoring over one token tree (every shared token computed once, no padding, the LM head only
where a log-prob is asked for) and batched generation."""

from __future__ import annotations

import threading
from collections import defaultdict
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from .base import GenerateRequest, ModelSpecError, ScoreRequest, truncate_at_stop
from .devices import free_bytes, generation_batch, resolve_device, resolve_dtype, scoring_budget, stored_dtype
from .prefix import TokenTree, plan_scores, tree_batches
from .tokens import TemplatedTokens, checkpoint_fingerprint, weights_source
from .tree_attention import TreeLayout, base_implementation, tree_attention


class HFModel(TemplatedTokens):
    """A causal LM loaded with transformers: on a GPU when there is one (``device="auto"``), else on the CPU, in
    bf16 where the checkpoint was saved in it and the CPU computes it natively, else in fp32.

    Args:
        name_or_path: a hub id or a local checkpoint directory.
        dtype: ``auto`` (bf16 on a GPU that has it; on the CPU the checkpoint's own dtype if that is bf16 and the CPU
            has AVX-512 BF16 or AMX, else fp32: ``devices.resolve_dtype``), ``float32``, ``bfloat16`` or ``float16``;
            the one used is ``self.dtype``, and a part of the fingerprint.
        device: ``auto`` (CUDA when present), ``cpu``, ``cuda``, ``cuda:1``, ``mps``.
        device_map: ``auto`` spreads a model too large for one GPU over all of them (accelerate); overrides device.
        batch_tokens: tree nodes per scoring forward pass; ``auto``: 2048 on the CPU, and on a GPU what its free
            memory holds after the weights.
        gen_batch_size: prompts generated together; ``auto``: 16 on the CPU, and on a GPU what its free memory
            holds for each batch's prompt and reply lengths.
    """

    #: Consecutive tree nodes whose attention is computed together: a segment's queries see its own nodes and its
    #: first node's ancestors, so longer segments spend more on masked-out keys, shorter ones gather more copies of
    #: shared ancestors (benchmarks/audit_vs_lm_eval.py --segment-tokens measures the trade).
    segment_tokens = 128

    def __init__(
        self,
        name_or_path: str | Path,
        *,
        dtype: str | torch.dtype = "auto",
        device: str = "auto",
        device_map: str | None = None,
        batch_tokens: int | str = "auto",
        gen_batch_size: int | str = "auto",
        label: str | None = None,
    ) -> None:
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # keep load bars and deprecation notes out of users' runs
        hf_logging.disable_progress_bar()
        device = resolve_device(device)
        try:
            config = AutoConfig.from_pretrained(name_or_path)
            dtype = resolve_dtype(dtype, device if device_map is None else "cuda", stored_dtype(config))
            self.tokenizer = AutoTokenizer.from_pretrained(name_or_path)
            if device_map is None:
                self.model = AutoModelForCausalLM.from_pretrained(name_or_path, config=config, dtype=dtype).to(device).eval()
            else:
                self.model = AutoModelForCausalLM.from_pretrained(name_or_path, config=config, dtype=dtype,
                                                                  device_map=device_map).eval()
        except (OSError, ValueError) as exc:
            raise ModelSpecError(f"could not load transformers model '{name_or_path}': {exc}") from None
        self.dtype = str(dtype).removeprefix("torch.")
        self.device = str(self.model.device)
        free = free_bytes(self.model)
        self.batch_tokens = batch_tokens if batch_tokens != "auto" else scoring_budget(self.model, free)
        self._gen_batch_size = gen_batch_size
        #: Items a job hands this model at once (runs.in_chunks): the job's own on the CPU; on a GPU the 512-token
        #: generations its memory holds together.
        self.batch_hint = 0 if free is None else self.gen_batch_size(512, 1)
        self.name = label or str(name_or_path)
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.fingerprint = checkpoint_fingerprint("hf", self.name, self.model.config.to_dict(), str(dtype), name_or_path)
        self.weights_source = weights_source(name_or_path)
        self._lock = threading.Lock()  # scoring switches the model's attention while it runs

    def gen_batch_size(self, tokens_per_sequence: int, n: int) -> int:
        """Prompts generated together when each holds ``tokens_per_sequence`` tokens (prompt and reply) and has
        ``n`` replies."""
        if self._gen_batch_size != "auto":
            return int(self._gen_batch_size)
        free = free_bytes(self.model)
        return 16 if free is None else max(1, generation_batch(self.model, tokens_per_sequence, free) // n)

    # -- scoring ------------------------------------------------------------------------------------------------
    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]:
        plan = plan_scores(requests, lambda r: self.render(r.context), self.encode, self.tokenizer.eos_token_id)
        tree = TokenTree.of([row.tokens for row in plan.rows])
        wanted = plan.wanted()
        reads: dict[int, set[int]] = defaultdict(set)  # node -> tokens whose log-probs follow it
        for r, pairs in wanted.items():
            for pos, tok in pairs:
                reads[tree.paths[r][pos]].add(tok)
        logprob: dict[tuple[int, int], float] = {}
        base = base_implementation(self.model)
        with self._lock:
            for row in tree_batches(tree, self.batch_tokens):
                self._score_row(tree, row, base, reads, logprob)
        return plan.assemble({(r, p, t): logprob[(tree.paths[r][p], t)] for r, pairs in wanted.items() for p, t in pairs})

    @torch.inference_mode()
    def _score_row(self, tree: TokenTree, row: np.ndarray, base: str, reads, logprob) -> None:
        """One forward pass over a row of tree nodes; the LM head runs only at nodes whose next-token log-probs
        someone asked for and that no earlier pass read (a pass repeats the ancestors of its first node)."""
        layout = TreeLayout.of(tree, row, self.segment_tokens, base)
        with tree_attention(self.model, layout, self.name):
            hidden = self.model.get_decoder()(
                input_ids=torch.from_numpy(tree.token[row]).unsqueeze(0).to(self.device),
                position_ids=torch.from_numpy(tree.depth[row]).unsqueeze(0).to(self.device), use_cache=False,
            ).last_hidden_state[0]
        at = [(i, int(n)) for i, n in enumerate(row) if n in reads]  # a node read once leaves ``reads``
        if not at:
            return
        # With device_map the decoder's output sits on the last layer's GPU, not on the embeddings' one.
        picked = hidden[torch.tensor([i for i, _ in at], device=hidden.device)]
        logp = torch.log_softmax(self.model.get_output_embeddings()(picked).float(), dim=-1).cpu()
        for k, (_, n) in enumerate(at):
            for tok in reads.pop(n):
                logprob[(n, tok)] = float(logp[k, tok])

    # -- generation ---------------------------------------------------------------------------------------------
    @torch.inference_mode()
    def generate(self, requests: Sequence[GenerateRequest]) -> list[list[str]]:
        texts = [self.render(r.prompt) for r in requests]
        results: list[list[str]] = [[] for _ in requests]
        # Requests with the same sampling settings are batched together, longest first.
        by_settings: dict[tuple, list[int]] = defaultdict(list)
        for i, r in enumerate(requests):
            by_settings[(r.max_tokens, r.temperature, r.top_p, r.n, r.seed, r.stop)].append(i)
        with self._lock:  # not while a scoring call has switched the model's attention
            tok = self.tokenizer
            tok.padding_side = "left"
            for (max_tokens, temperature, top_p, n, seed, stop), idx in by_settings.items():
                idx.sort(key=lambda i: -len(self.encode(texts[i])))
                start = 0
                while start < len(idx):
                    size = self.gen_batch_size(len(self.encode(texts[idx[start]])) + max_tokens, n)
                    chunk = idx[start : start + size]
                    start += size
                    enc = tok([texts[i] for i in chunk], return_tensors="pt", padding=True,
                              add_special_tokens=not (tok.bos_token and texts[chunk[0]].startswith(tok.bos_token)))
                    kwargs: dict = dict(max_new_tokens=max_tokens, num_return_sequences=n, pad_token_id=tok.pad_token_id)
                    if temperature > 0:
                        torch.manual_seed(seed if seed is not None else torch.seed())
                        kwargs.update(do_sample=True, temperature=temperature, top_p=top_p)
                    else:
                        kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
                    if stop:
                        kwargs.update(stop_strings=list(stop), tokenizer=tok)
                    out = self.model.generate(**enc.to(self.device), **kwargs)
                    new = out[:, enc["input_ids"].shape[1] :]
                    decoded = tok.batch_decode(new, skip_special_tokens=True)
                    for j, i in enumerate(chunk):
                        results[i] = [truncate_at_stop(t, stop) for t in decoded[j * n : (j + 1) * n]]
        return results

