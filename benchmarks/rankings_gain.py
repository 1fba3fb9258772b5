"""Does the rank-ordered logit beat first choices alone, and do ``rankings_gain``'s intervals say so honestly?

The simulation of ``tests/learn/test_rankings.py`` (``tests/learn/scenarios.py``: 10 people × 20 prompts
in training, 40 unseen people × 60 unseen prompts held out, four answers per prompt) with more seeds, lower ranks that
follow the people's utilities (``signal``) or are random (``noise``). Per metric: how often the 95% interval covers
the true gain, how often it claims a gain (lower end above 0) and a loss (upper end below 0), and how often it claims
a gain where the true gain is not positive. Run from the repository root:

    .venv/bin/python -m benchmarks.rankings_gain --seeds 300
"""

from __future__ import annotations

import argparse

import pandas as pd

from tests.metrics.scenarios import mc_error
from tests.learn.scenarios import rankings_gain_run


def rates(seeds: int) -> pd.DataFrame:
    rows = pd.concat([rankings_gain_run(seed, lower_ranks).assign(lower_ranks=lower_ranks)
                      for lower_ranks in ("signal", "noise") for seed in range(seeds)])
    rows = rows.assign(covered=(rows.ci_low <= rows.truth) & (rows.truth <= rows.ci_high), gain=rows.ci_low > 0,
                       loss=rows.ci_high < 0, false_gain=(rows.ci_low > 0) & (rows.truth <= 0))
    table = rows.groupby(["lower_ranks", "metric"], sort=False).agg(
        truth=("truth", "mean"), covered=("covered", "mean"), gain=("gain", "mean"), loss=("loss", "mean"),
        false_gain=("false_gain", "mean"), width=("ci_high", "mean"))
    table["width"] -= rows.groupby(["lower_ranks", "metric"], sort=False)["ci_low"].mean()
    table["covered"] = [f"{c:.1%} ± {mc_error(c, seeds):.1%}" for c in table["covered"]]
    return table.round(4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=300)
    seeds = parser.parse_args().seeds
    print(f"{seeds} simulated studies per row (± Monte-Carlo error)\n\n{rates(seeds).to_markdown()}")


if __name__ == "__main__":
    main()
