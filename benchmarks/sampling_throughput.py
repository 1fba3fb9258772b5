"""Candidate-set generation: each sampler's batched calls against a plain loop of one request at a time.

The embedded SmolLM2-135M-Instruct through the hf backend (fp32 safetensors) and the llama.cpp backend (the
packaged GGUF), on built-in prompts. "batched" is what `pluralign sample` does (one `generate` call per round,
every prompt and every sample in it); "one at a time" sends the same requests one by one, one sample each, as a
script calling a model would. Generated tokens are counted with the model's tokenizer; median of several runs.
The negatively-correlated sampler runs with retries=0 so both sides do the same work.

    .venv/bin/python benchmarks/sampling_throughput.py [--prompts 8] [--k 4] [--max-tokens 64] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from transformers import AutoTokenizer

from pluralign.data import builtin_prompts
from pluralign.models.base import GenerateRequest
from pluralign.models.embedded import embedded_hf_dir
from pluralign.models.spec import load
from pluralign.candidates import IndependentSampler
from pluralign.candidates.prompts import conversation, diverse_prompt


def one_at_a_time(model, requests: list[GenerateRequest]) -> list[str]:
    """The same requests, one call and one sample at a time."""
    out = []
    for r in requests:
        for i in range(r.n):
            single = GenerateRequest(r.prompt, r.max_tokens, r.temperature, r.top_p, 1, (r.seed or 0) + i, r.stop)
            out.extend(model.generate([single])[0])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="hf,llamacpp")
    args = parser.parse_args()
    tokenizer = AutoTokenizer.from_pretrained(embedded_hf_dir())
    prompts = builtin_prompts().head(args.prompts).to_dict("records")

    def tokens(texts: list[str]) -> int:
        return sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts)

    print(f"{len(prompts)} prompts, k={args.k}, max_tokens={args.max_tokens} per response, median of {args.runs} runs")
    print("| backend | sampler | batched tokens/s | one at a time tokens/s | speed-up |")
    print("| --- | --- | ---: | ---: | ---: |")
    for backend in args.backends.split(","):
        model = load({"hf": "embedded", "llamacpp": "llamacpp:embedded"}[backend])
        independent = IndependentSampler(model, args.k, 1.0, args.max_tokens)
        cases = {
            "independent": (lambda: [c["text"] for s in independent.sample(prompts) for c in s["candidates"]],
                            lambda: one_at_a_time(model, independent.requests(prompts))),
            "negatively-correlated": (
                lambda: [o[0] for o in model.generate([GenerateRequest(diverse_prompt(p, args.k, True), args.max_tokens * args.k,
                                                                       1.0, seed=0) for p in prompts])],
                lambda: one_at_a_time(model, [GenerateRequest(diverse_prompt(p, args.k, True), args.max_tokens * args.k, 1.0,
                                                              seed=0) for p in prompts])),
        }
        model.generate([GenerateRequest(conversation(prompts[0]), max_tokens=4)])  # warm up
        for name, (batched, looped) in cases.items():
            rates = {}
            for label, fn in (("batched", batched), ("loop", looped)):
                times, count = [], 0
                for _ in range(args.runs):
                    start = time.perf_counter()
                    count = tokens(fn())
                    times.append(time.perf_counter() - start)
                rates[label] = count / statistics.median(times)
            print(f"| {backend} | {name} | {rates['batched']:.1f} | {rates['loop']:.1f} | {rates['batched'] / rates['loop']:.2f}x |")


if __name__ == "__main__":
    main()
