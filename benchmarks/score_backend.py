"""Time one backend on the audit's stance requests: load once, then score the same requests several times.

For backends that live in different environments (vLLM's CPU build pins its own transformers), so each is run by
its own Python; compare the printed medians of runs made one after the other on an idle machine.

    .venv/bin/python benchmarks/score_backend.py --model embedded --runs 3
    .venv-vllm/bin/python benchmarks/score_backend.py --model vllm:embedded --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--statements", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from pluralign.audit import core
    from pluralign.data import statements_from
    from pluralign.models import load

    items = core.statement_items(statements_from("builtin", limit=args.statements)).to_dict("records")
    requests = [r for item in items for r in core.stance_requests(item, chat=True)]
    start = time.perf_counter()
    model = load(args.model)
    loaded = time.perf_counter() - start
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        model.score(requests)
        times.append(time.perf_counter() - start)
    prompts = sum(len(r.continuations) for r in requests)
    print(f"{args.model}: {len(items)} items, {len(requests)} requests, {prompts} prompts; load {loaded:.1f} s; "
          f"score {', '.join(f'{t:.1f}' for t in times)} s (median {statistics.median(times):.1f} s, "
          f"{prompts / statistics.median(times):.1f} prompts/s)")


if __name__ == "__main__":  # vLLM starts its engine in a spawned process, which imports this module again
    main()
