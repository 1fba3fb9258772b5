"""Audit stance scoring: pluralign's backends against lm-evaluation-harness on the same prompts and weights.

64 built-in statements (in their own languages) under the audit's six framings = 384 loglikelihood requests with
two answer options each. Both sides use the embedded SmolLM2-135M-Instruct converted to fp32 safetensors, on the
CPU. Reports log-prob agreement, prompts per second (median of several runs), and each figure as a share of the
compute floor: 2 x non-embedding parameters x tokens in the prefix tree of all prompts / measured fp32 matmul rate.

    .venv/bin/python benchmarks/audit_vs_lm_eval.py [--runs 3] [--statements 64] [--batch-size 16]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from pluralign.audit import core
from pluralign.data import builtin_statements
from pluralign.models.base import ScoreRequest
from pluralign.models.embedded import embedded_gguf, embedded_hf_dir
from pluralign.models.hf import HFModel
from pluralign.models.llamacpp import LlamaCppModel
from pluralign.models.prefix import split_pair


def matmul_rate(hidden: int, inner: int, tokens: int = 4096, repeats: int = 20) -> float:
    """Measured fp32 FLOP/s of a model-shaped matmul (tokens x hidden @ hidden x inner)."""
    a, w = torch.randn(tokens, hidden), torch.randn(inner, hidden)
    for _ in range(3):
        a @ w.T
    start = time.perf_counter()
    for _ in range(repeats):
        a @ w.T
    return 2 * tokens * hidden * inner * repeats / (time.perf_counter() - start)


def prefix_tree_tokens(rows: list[list[int]]) -> int:
    """Number of distinct token prefixes across all rows: the tokens a perfect prefix-sharing scorer computes."""
    seen: set[tuple[int, ...]] = set()
    for row in rows:
        for k in range(1, len(row) + 1):
            seen.add(tuple(row[:k]))
    return len(seen)


def timed(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--statements", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16, help="lm-eval batch size")
    args = parser.parse_args()

    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    statements = builtin_statements()
    # Spread the sample over languages and topics: every k-th statement of the 168.
    pick = statements.iloc[np.linspace(0, len(statements) - 1, args.statements).astype(int)]
    items = core.statement_items(pick, translated=False).to_dict("records")
    hf = HFModel(embedded_hf_dir())
    requests = [r for it in items for r in core.stance_requests(it, chat=True)]
    rendered = [ScoreRequest(hf.render(r.context), r.continuations) for r in requests]  # the same strings for all
    pairs = [(r.context, c) for r in rendered for c in r.continuations]
    n_prompts = len(rendered)

    rows = []
    for ctx, cont in pairs:
        c, x = split_pair(hf.encode, ctx, cont, hf.tokenizer.eos_token_id)
        rows.append(c + x[:-1])
    tree = prefix_tree_tokens(rows)
    full = sum(len(r) for r in {tuple(r) for r in rows})
    config = hf.model.config
    non_embedding = sum(p.numel() for p in hf.model.parameters()) - hf.model.get_input_embeddings().weight.numel()
    rate = statistics.median(matmul_rate(config.hidden_size, config.intermediate_size) for _ in range(3))
    floor = 2 * non_embedding * tree / rate

    ours_t, ours = timed(lambda: hf.score(rendered), args.runs)
    lm = HFLM(pretrained=str(embedded_hf_dir()), dtype="float32", batch_size=args.batch_size, device="cpu")
    instances = [Instance(request_type="loglikelihood", doc={}, arguments=pair, idx=i) for i, pair in enumerate(pairs)]
    peer_t, peer = timed(lambda: lm.loglikelihood(instances, disable_tqdm=True), args.runs)
    llama = LlamaCppModel(embedded_gguf())
    llama_t, llama_out = timed(lambda: llama.score(rendered), args.runs)

    ours_flat = np.array([v for r in ours for v in r])
    peer_flat = np.array([v for v, _ in peer])
    llama_flat = np.array([v for r in llama_out for v in r])
    print(f"prompts: {n_prompts} ({len(pairs)} loglikelihood requests), tokens: {full} in distinct rows, {tree} in the prefix tree")
    print(f"non-embedding parameters: {non_embedding / 1e6:.1f}M; fp32 matmul rate: {rate / 1e9:.0f} GFLOP/s; floor: {floor:.2f} s")
    print(f"max |pluralign hf - lm-eval| log-prob: {np.abs(ours_flat - peer_flat).max():.2e}")
    print(f"max |llamacpp - hf| log-prob: {np.abs(llama_flat - ours_flat).max():.3f} (Q4_1 kernels vs dequantised fp32)")
    print(f"{'backend':<22}{'median s':>10}{'prompts/s':>11}{'share of floor':>16}")
    for name, t in (("lm-eval hf", peer_t), ("pluralign hf", ours_t), ("pluralign llamacpp", llama_t)):
        print(f"{name:<22}{t:>10.2f}{n_prompts / t:>11.1f}{floor / t:>15.0%}")
    print(f"pluralign hf / lm-eval speed: {peer_t / ours_t:.2f}x")


if __name__ == "__main__":
    main()
