"""Audit stance scoring: pluralign's backends against lm-evaluation-harness on the same prompts and weights.

64 built-in statements (in their own languages) under the audit's six framings = 384 prompts with two answer
options each, in one of three layouts:

- ``chat``: the audit's own prompts through the model's chat template (a system prompt and an instruction shared by
  all statements of a language, then the statement, then the framing);
- ``statement-first``: plain text, "Statement: ...\nQuestion: ... Answer Yes or No.\nAnswer:";
- ``question-first``: plain text, "Question: ... Answer Yes or No.\nStatement: ...\nAnswer:" (each framing is shared
  by all statements, each statement by nothing).

Both sides use the embedded SmolLM2-135M-Instruct converted to fp32 safetensors, on the CPU, in one process. Reports
log-prob agreement, prompts per second (median of several runs), and each figure as a share of the compute floor:
2 x non-embedding parameters x tokens in the prefix tree of all prompts / measured fp32 matmul rate.

    .venv/bin/python benchmarks/audit_vs_lm_eval.py --layout chat [--runs 3] [--statements 64] [--llamacpp]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from pluralign.audit import core
from pluralign.audit.prompts import prompts_for
from pluralign.data import builtin_statements
from pluralign.models.base import ScoreRequest
from pluralign.models.embedded import embedded_gguf, embedded_hf_dir
from pluralign.models.hf import HFModel
from pluralign.models.llamacpp import LlamaCppModel
from pluralign.models.prefix import TokenTree, split_pair


def matmul_rate(hidden: int, inner: int, tokens: int = 4096, repeats: int = 20) -> float:
    """Measured fp32 FLOP/s of a model-shaped matmul (tokens x hidden @ hidden x inner)."""
    a, w = torch.randn(tokens, hidden), torch.randn(inner, hidden)
    for _ in range(3):
        a @ w.T
    start = time.perf_counter()
    for _ in range(repeats):
        a @ w.T
    return 2 * tokens * hidden * inner * repeats / (time.perf_counter() - start)


def layout_requests(items: list[dict], layout: str, hf: HFModel) -> list[ScoreRequest]:
    """The stance prompts of ``items`` in ``layout``, as plain strings (the chat layout already rendered)."""
    if layout == "chat":
        return [ScoreRequest(hf.render(r.context), r.continuations) for it in items for r in core.stance_requests(it, chat=True)]
    out = []
    for it in items:
        _, p = prompts_for(it["text_language"])
        for framing in p.framings:
            statement, question = f"Statement: {it['text']}\n", f"Question: {framing.question} Answer Yes or No.\n"
            first = statement + question if layout == "statement-first" else question + statement
            out.append(ScoreRequest(first + "Answer:", (f" {p.yes}", f" {p.no}")))
    return out


def timed(fn, runs: int, before=lambda: None) -> tuple[float, object]:
    """Median seconds of ``runs`` calls of ``fn`` (``before`` runs untimed ahead of each) and the last result."""
    times, out = [], None
    for _ in range(runs):
        before()
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    print(f"  runs: {', '.join(f'{t:.2f}' for t in times)} s", flush=True)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--statements", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16, help="lm-eval batch size")
    parser.add_argument("--layout", choices=("chat", "statement-first", "question-first"), default="chat")
    parser.add_argument("--segment-tokens", type=int, help="pluralign hf: tree nodes per attention segment")
    parser.add_argument("--batch-tokens", type=int, help="pluralign hf: tree nodes per forward pass")
    parser.add_argument("--llamacpp", action="store_true", help="also time the llamacpp backend (Q4_1 GGUF)")
    args = parser.parse_args()

    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    statements = builtin_statements()
    # Spread the sample over languages and topics: every k-th statement of the 168.
    pick = statements.iloc[np.linspace(0, len(statements) - 1, args.statements).astype(int)]
    items = core.statement_items(pick, translated=False).to_dict("records")
    hf = HFModel(embedded_hf_dir())
    hf.segment_tokens = args.segment_tokens or hf.segment_tokens
    hf.batch_tokens = args.batch_tokens or hf.batch_tokens
    rendered = layout_requests(items, args.layout, hf)  # the same strings for every backend
    pairs = [(r.context, c) for r in rendered for c in r.continuations]
    n_prompts = len(rendered)

    rows = []
    for ctx, cont in pairs:
        c, x = split_pair(hf.encode, ctx, cont, hf.tokenizer.eos_token_id)
        rows.append(c + x[:-1])
    tree = len(TokenTree.of(rows))  # distinct token prefixes: what a perfect prefix-sharing scorer computes
    full = sum(len(r) for r in {tuple(r) for r in rows})
    config = hf.model.config
    non_embedding = sum(p.numel() for p in hf.model.parameters()) - hf.model.get_input_embeddings().weight.numel()
    rates: list[float] = []  # measured before each of pluralign's runs: the floor sees the machine as the runs did
    measure = lambda: rates.append(statistics.median(matmul_rate(config.hidden_size, config.intermediate_size) for _ in range(3)))
    ours_t, ours = timed(lambda: hf.score(rendered), args.runs, before=measure)
    rate = statistics.median(rates)
    floor = 2 * non_embedding * tree / rate
    lm = HFLM(pretrained=str(embedded_hf_dir()), dtype="float32", batch_size=args.batch_size, device="cpu")
    instances = [Instance(request_type="loglikelihood", doc={}, arguments=pair, idx=i) for i, pair in enumerate(pairs)]
    peer_t, peer = timed(lambda: lm.loglikelihood(instances, disable_tqdm=True), args.runs)
    timings = [("lm-eval hf", peer_t), ("pluralign hf", ours_t)]
    ours_flat = np.array([v for r in ours for v in r])
    peer_flat = np.array([v for v, _ in peer])
    print(f"layout: {args.layout}; prompts: {n_prompts} ({len(pairs)} loglikelihood requests), tokens: {full} in distinct rows, {tree} in the prefix tree")
    print(f"non-embedding parameters: {non_embedding / 1e6:.1f}M; fp32 matmul rate: {rate / 1e9:.0f} GFLOP/s; floor: {floor:.2f} s")
    print(f"max |pluralign hf - lm-eval| log-prob: {np.abs(ours_flat - peer_flat).max():.2e}")
    if args.llamacpp:
        llama = LlamaCppModel(embedded_gguf())
        llama_t, llama_out = timed(lambda: llama.score(rendered), args.runs)
        timings.append(("pluralign llamacpp", llama_t))
        llama_flat = np.array([v for r in llama_out for v in r])
        print(f"max |llamacpp - hf| log-prob: {np.abs(llama_flat - ours_flat).max():.3f} (Q4_1 kernels vs dequantised fp32)")
    print(f"{'backend':<22}{'median s':>10}{'prompts/s':>11}{'floor / time':>14}")
    for name, t in timings:
        print(f"{name:<22}{t:>10.2f}{n_prompts / t:>11.1f}{floor / t:>13.0%}")
    print(f"pluralign hf / lm-eval speed: {peer_t / ours_t:.2f}x; pluralign hf time / floor: {ours_t / floor:.2f}x")


if __name__ == "__main__":
    main()
