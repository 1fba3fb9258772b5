"""What steering costs the audit's opinion stage, on the embedded model (hf backend) and the built-in survey.

Times ``run_audit`` with the opinions stage alone (today's), and with ``steer`` on (all three formats, and one),
each in a fresh run directory with the response cache off, the model loaded once; reports the seconds spent in
the model's ``score`` calls and the whole ``run_audit`` (which also builds the tables, metrics with their
bootstrap intervals, and the report). Median of several runs each, interleaved, in one process. With steering,
each question is asked unsteered and steered in one call (the steer comes last: all else is a shared prefix).
Then prints the steered run's overall pluralism metrics and survey checks, what the small model's numbers are.

    .venv/bin/python benchmarks/steer_cost.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from pluralign.audit import AuditConfig, run_audit
from pluralign.models.spec import load


class Timed:
    """The model as it is, adding up the seconds its ``score`` calls take."""

    def __init__(self, model) -> None:
        self.model, self.fingerprint, self.seconds, self.requests = model, model.fingerprint, 0.0, 0

    def __getattr__(self, name: str):
        return getattr(self.model, name)

    def score(self, requests):
        start = time.perf_counter()
        out = self.model.score(requests)
        self.seconds += time.perf_counter() - start
        self.requests += len(requests)
        return out


SETTINGS = {"opinions (today)": {}, "opinions + steer, 3 formats": {"steer": True, "steer_formats": ["qa", "bio", "portray"]},
            "opinions + steer, portray only": {"steer": True}}  # portray alone: the default


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    model = load("embedded")
    seconds = {name: {"score": [], "run_audit": [], "requests": 0} for name in SETTINGS}
    last = None
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for i, (name, options) in enumerate(SETTINGS.items()):
                timed = Timed(model)
                start = time.perf_counter()
                config = AuditConfig(models=["embedded"], statements="builtin", limit=1, stages=["opinions"], **options)
                path = run_audit(config, Path(tmp) / f"{run}-{i}", progress=False, use_cache=False,
                                 models={"embedded": timed}).path
                if options.get("steer_formats"):
                    last = pd.read_parquet(path / "metrics.parquet")
                seconds[name]["run_audit"].append(time.perf_counter() - start)
                seconds[name]["score"].append(timed.seconds)
                seconds[name]["requests"] = timed.requests
    base = {k: statistics.median(seconds["opinions (today)"][k]) for k in ("score", "run_audit")}
    print("| setting | requests | score s (median) | run_audit s (median) | score × today | run_audit × today |")
    print("|---|---|---|---|---|---|")
    for name, s in seconds.items():
        score, whole = statistics.median(s["score"]), statistics.median(s["run_audit"])
        print(f"| {name} | {s['requests']} | {score:.2f} | {whole:.2f} | {score / base['score']:.2f} | "
              f"{whole / base['run_audit']:.2f} |")
    metrics = last
    shown = metrics[metrics["metric"].isin(["opinion_alignment", "steered_alignment", "steer_gain", "steer_specificity",
                                            "entropy_gap", "answer_entropy", "population_alignment", "opinion_one_letter",
                                            "opinion_near_uniform"]) & metrics["grouping"].isin(["overall", "check", "format"])]
    print(shown[["metric", "grouping", "group", "value", "ci_low", "ci_high", "n"]].to_string(index=False))
    print("all runs:", {n: {k: [round(x, 2) for x in v] for k, v in s.items() if k != "requests"} for n, s in seconds.items()})


if __name__ == "__main__":
    main()
