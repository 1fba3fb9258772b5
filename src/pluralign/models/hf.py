"""transformers backend: batched, length-sorted, shared-prefix scoring with the LM head only where needed."""

from __future__ import annotations

import inspect
from collections import defaultdict
from pathlib import Path
from typing import Sequence

import torch

from .base import GenerateRequest, ModelSpecError, ScoreRequest, truncate_at_stop
from .devices import free_bytes, generation_batch, resolve_device, resolve_dtype, scoring_budget
from .prefix import Group, ScorePlan, group_by_prefix, plan_scores
from .tokens import TemplatedTokens, checkpoint_fingerprint


class HFModel(TemplatedTokens):
    """A causal LM loaded with transformers: on a GPU when there is one (``device="auto"``), else on the CPU in fp32.

    Args:
        name_or_path: a hub id or a local checkpoint directory.
        dtype: ``auto`` (bf16 on a GPU that has it, else fp32), ``float32``, ``bfloat16`` or ``float16``.
        device: ``auto`` (CUDA when present), ``cpu``, ``cuda``, ``cuda:1``, ``mps``.
        device_map: ``auto`` spreads a model too large for one GPU over all of them (accelerate); overrides device.
        batch_tokens: rough cap on tokens per scoring forward pass; ``auto``: 8192 on the CPU (keeps matmuls
            large), and on a GPU what its free memory holds after the weights.
        gen_batch_size: prompts generated together; ``auto``: 16 on the CPU, and on a GPU what its free memory
            holds for each batch's prompt and reply lengths.
    """

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
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # keep load bars and deprecation notes out of users' runs
        hf_logging.disable_progress_bar()
        device = resolve_device(device)
        dtype = resolve_dtype(dtype, device if device_map is None else "cuda")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(name_or_path)
            if device_map is None:
                self.model = AutoModelForCausalLM.from_pretrained(name_or_path, dtype=dtype).to(device).eval()
            else:
                self.model = AutoModelForCausalLM.from_pretrained(name_or_path, dtype=dtype, device_map=device_map).eval()
        except (OSError, ValueError) as exc:
            raise ModelSpecError(f"could not load transformers model '{name_or_path}': {exc}") from None
        self.device = str(self.model.device)
        self._spread = device_map is not None
        self.batch_tokens = batch_tokens if batch_tokens != "auto" else scoring_budget(self.model, free_bytes(self.model))
        self._gen_batch_size = gen_batch_size
        self.name = label or str(name_or_path)
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.fingerprint = checkpoint_fingerprint("hf", self.name, self.model.config.to_dict(), str(dtype), name_or_path)
        # transformers renamed `past_key_values` to `cache` (after 5.20); the decoder's own signature says which it takes.
        forward = inspect.signature(self.model.get_decoder().forward).parameters
        self._cache_arg = "cache" if "cache" in forward else "past_key_values"

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
        groups = group_by_prefix(plan.rows)
        logprob: dict[tuple[int, int, int], float] = {}
        wanted = plan.wanted()
        for batch in self._batches(plan, groups):
            self._score_batch(plan, batch, wanted, logprob)
        return plan.assemble(logprob)

    def _batches(self, plan: ScorePlan, groups: list[Group]) -> list[list[Group]]:
        """Length-sorted batches of whole groups under the token budget. On the CPU the budget keeps matmuls large:
        tokens computed count. On a GPU it bounds memory, and each row holds its own copy of its group's prefix keys
        and values once the cache is spread to rows: those count too."""
        per_row_prefix = self.model.device.type != "cpu"
        def suffix_len(g: Group) -> int:
            return max(len(plan.rows[r].tokens) for r in g.rows) - g.prefix_len

        ordered = sorted(groups, key=lambda g: (g.prefix_len == 0, suffix_len(g), g.prefix_len))
        batches: list[list[Group]] = []
        current: list[Group] = []
        for g in ordered:
            trial = current + [g]
            n_rows = sum(len(x.rows) for x in trial)
            p_max = max(x.prefix_len for x in trial)
            cost = n_rows * (max(suffix_len(x) for x in trial) + per_row_prefix * p_max) + len(trial) * p_max
            mixes_empty_prefix = current and ((g.prefix_len == 0) != (current[0].prefix_len == 0))
            if current and (cost > self.batch_tokens or mixes_empty_prefix):
                batches.append(current)
                current = [g]
            else:
                current = trial
        if current:
            batches.append(current)
        return batches

    @torch.inference_mode()
    def _score_batch(self, plan: ScorePlan, batch: list[Group], wanted, logprob) -> None:
        decoder = self.model.get_decoder()
        head = self.model.get_output_embeddings()
        pad = self.tokenizer.pad_token_id
        rows = [r for g in batch for r in g.rows]
        row_group = torch.tensor([gi for gi, g in enumerate(batch) for _ in g.rows])
        prefix_lens = torch.tensor([g.prefix_len for g in batch])
        p_max = int(prefix_lens.max())
        cache, prefix_mask = None, torch.zeros((len(rows), 0), dtype=torch.long)
        if p_max > 0:
            ids = torch.full((len(batch), p_max), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), p_max), dtype=torch.long)
            for gi, g in enumerate(batch):
                tokens = plan.rows[g.rows[0]].tokens[: g.prefix_len]
                ids[gi, : g.prefix_len] = torch.tensor(tokens)
                mask[gi, : g.prefix_len] = 1
            positions = torch.arange(p_max).expand(len(batch), -1)
            out = decoder(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                          position_ids=positions.to(self.device), use_cache=True)
            cache = out.cache if self._cache_arg == "cache" else out.past_key_values
            # A cache spread over several GPUs is indexed from the CPU (each layer copies what it needs).
            cache.batch_select_indices(row_group if self._spread else row_group.to(self.device))
            prefix_mask = mask[row_group]
        suffixes = [plan.rows[r].tokens[batch[int(row_group[i])].prefix_len :] for i, r in enumerate(rows)]
        s_max = max(len(s) for s in suffixes)
        ids = torch.full((len(rows), s_max), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), s_max), dtype=torch.long)
        for i, s in enumerate(suffixes):
            ids[i, : len(s)] = torch.tensor(s)
            mask[i, : len(s)] = 1
        positions = prefix_lens[row_group].unsqueeze(1) + torch.arange(s_max)
        out = decoder(input_ids=ids.to(self.device), attention_mask=torch.cat([prefix_mask, mask], 1).to(self.device),
                      position_ids=positions.to(self.device), use_cache=cache is not None, **{self._cache_arg: cache})
        hidden = out.last_hidden_state
        # The LM head runs only at the positions whose next-token log-probs someone asked for.
        where = [(i, pos, sorted({tok for p, tok in wanted[r] if p == pos})) for i, r in enumerate(rows)
                 for pos in sorted(plan.rows[r].needed)]
        local = torch.tensor([pos - int(prefix_lens[row_group[i]]) for i, pos, _ in where])
        # With device_map the decoder's output sits on the last layer's GPU, not on the embeddings' one.
        picked = hidden[torch.tensor([i for i, _, _ in where], device=hidden.device), local.to(hidden.device)]
        logp = torch.log_softmax(head(picked).float(), dim=-1).cpu()
        for k, (i, pos, toks) in enumerate(where):
            for tok in toks:
                logprob[(rows[i], pos, tok)] = float(logp[k, tok])

    # -- generation ---------------------------------------------------------------------------------------------
    @torch.inference_mode()
    def generate(self, requests: Sequence[GenerateRequest]) -> list[list[str]]:
        texts = [self.render(r.prompt) for r in requests]
        results: list[list[str]] = [[] for _ in requests]
        # Requests with the same sampling settings are batched together, longest first.
        by_settings: dict[tuple, list[int]] = defaultdict(list)
        for i, r in enumerate(requests):
            by_settings[(r.max_tokens, r.temperature, r.top_p, r.n, r.seed, r.stop)].append(i)
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
