"""How often 95 % intervals cover the population accuracy when people and prompts are crossed.

The simulation of ``tests/metrics/test_crossed.py`` (scenarios in ``tests/metrics/scenarios.py``: 150 people each
answer every held-out prompt once, prompt effects on the logit) with more sets, 4 to 50 prompts and prompt effects
of sd 0.5 and 1.0; intervals resample people alone (``annotator``) or people and prompts crossed. Run from the
repository root:

    .venv/bin/python -m benchmarks.crossed_coverage --replicates 400
"""

from __future__ import annotations

import argparse

import pandas as pd

from tests.metrics.scenarios import crossed_coverage, mc_error

CLUSTERS = {"people": "annotator", "people × prompts": ("annotator", "prompt")}


def coverage(replicates: int) -> pd.DataFrame:
    rows = []
    for prompt_sd in (0.5, 1.0):
        for prompts in (4, 8, 20, 50):
            for name, cluster in CLUSTERS.items():
                rates = crossed_coverage(prompts, cluster, replicates, prompt_sd=prompt_sd, seed=prompts)
                rows += [{"prompt sd": prompt_sd, "resampled": name, "interval": interval, "prompts": prompts,
                          "coverage": f"{rate:.1%} ± {mc_error(rate, replicates):.1%}"} for interval, rate in rates.items()]
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=400)
    replicates = parser.parse_args().replicates
    table = coverage(replicates).pivot(index=["prompt sd", "resampled", "interval"], columns="prompts", values="coverage")
    print(f"150 people, {replicates} simulated sets per cell (± Monte-Carlo error)\n\n{table.to_markdown()}")


if __name__ == "__main__":
    main()
