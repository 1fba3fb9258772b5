"""Viewer load: the run list and a report page under 20 concurrent clients on loopback.

Builds a runs directory of 200 runs holding 100,000 records in all (500 each: manifest, records.jsonl, a metrics
table written by ``write_metrics`` and a report rendered by the scorecard renderer), starts ``pluralign view`` on
it as a user would, and has 20 clients each send requests back to back, alternating the run list and a random run's
report. The peer is Python's own static file server (``python -m http.server``) on the same directory: its
directory listing of the 200 runs and the same report files. p50 and p95 latency per page, median over rounds.

    .venv/bin/python benchmarks/viewer_load.py [--runs 200] [--records 100000] [--clients 20] [--requests 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from pluralign.metrics import read_metrics, write_metrics
from pluralign.metrics.compare import scorecard
from pluralign.report.compare import render_scorecard
from pluralign.runs import Run

METRICS = ("p_agree", "framing_sensitivity", "negation_consistency", "refusal_rate", "opinion_alignment")
LANGUAGES = ("en", "de", "fr", "it", "tr", "es", "pt")


def build(root: Path, runs: int, records: int, seed: int = 0) -> None:
    """``runs`` audit-shaped runs with ``records`` records in all, their metrics and a report each."""
    rng = np.random.default_rng(seed)
    per_run = records // runs
    for i in range(runs):
        run = Run(root / f"run-{i:03d}", "audit", {"models": [f"model-{i % 7}"]}, f"data-{i}", seed=i)
        run.append({"key": f"s{j}|model-{i % 7}", "stage": "stance", "statement_id": f"s{j}", "p_agree": float(rng.random()),
                    "framings": [{"framing": f"agree-{k}", "lp_yes": float(-rng.random()), "lp_no": float(-rng.random())}
                                 for k in range(6)]} for j in range(per_run))
        rows = [{"model": f"model-{i % 7}", "metric": m, "grouping": g, "group": grp, "value": v, "ci_low": v - 0.02,
                 "ci_high": v + 0.02, "n": per_run}
                for m in METRICS for g, groups in (("overall", ["all"]), ("language", LANGUAGES)) for grp in groups
                for v in [float(rng.random())]]
        write_metrics(run.path, pd.DataFrame(rows))
        (run.path / "report.html").write_text(render_scorecard(scorecard(read_metrics(run.path)), [run.path.name]))
        run.set_status("complete")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(command: list[str], url: str) -> subprocess.Popen:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server did not start: {' '.join(command)}")


async def load(base: str, pages: dict[str, list[str]], clients: int, requests: int, seed: int) -> dict[str, list[float]]:
    """Each client alternates the pages' paths back to back; latency in ms per page kind."""
    timings: dict[str, list[float]] = {kind: [] for kind in pages}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(index: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(seed * 1000 + index)
        kinds = list(pages)
        for r in range(requests):
            kind = kinds[(r + index) % len(kinds)]
            start = time.perf_counter()
            response = await http.get(base + rng.choice(pages[kind]))
            timings[kind].append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (kind, response.status_code)

    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        await asyncio.gather(*(client(i, http) for i in range(clients)))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=40, help="requests per client per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        started = time.perf_counter()
        build(root, args.runs, args.records)
        total = sum(1 for f in root.glob("*/records.jsonl") for _ in f.open())
        print(f"built {args.runs} runs, {total} records in {time.perf_counter() - started:.1f} s")
        names = sorted(p.name for p in root.iterdir())
        servers = {
            "pluralign view": ([sys.executable, "-m", "pluralign", "view", str(root), "--port", "{port}"],
                               {"run list": ["/"], "report": [f"/runs/{n}/report" for n in names]}),
            "http.server (peer)": ([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(root), "{port}"],
                                   {"run list": ["/"], "report": [f"/{n}/report.html" for n in names]}),
        }
        results = {}
        for name, (command, pages) in servers.items():
            port = _port()
            process = serve([c.format(port=port) for c in command], f"http://127.0.0.1:{port}/")
            try:
                asyncio.run(load(f"http://127.0.0.1:{port}", pages, args.clients, 2, seed=99))  # warm-up
                rounds = [asyncio.run(load(f"http://127.0.0.1:{port}", pages, args.clients, args.requests, seed=r))
                          for r in range(args.rounds)]
            finally:
                process.terminate()
                process.wait()
            for kind in pages:
                results[(name, kind)] = {
                    "p50": statistics.median(float(np.percentile(r[kind], 50)) for r in rounds),
                    "p95": statistics.median(float(np.percentile(r[kind], 95)) for r in rounds),
                    "n": sum(len(r[kind]) for r in rounds)}
    print(json.dumps({f"{s} | {k}": v for (s, k), v in results.items()}, indent=1))
    print("\n| page | pluralign view p50 / p95 ms | http.server p50 / p95 ms | p95 ratio | p95 < 300 ms |")
    print("| --- | ---: | ---: | ---: | --- |")
    for kind in ("run list", "report"):
        ours, peer = results[("pluralign view", kind)], results[("http.server (peer)", kind)]
        print(f"| {kind} | {ours['p50']:.1f} / {ours['p95']:.1f} | {peer['p50']:.1f} / {peer['p95']:.1f} | "
              f"{ours['p95'] / peer['p95']:.2f}× | {'yes' if ours['p95'] < 300 else 'NO'} |")


if __name__ == "__main__":
    main()
