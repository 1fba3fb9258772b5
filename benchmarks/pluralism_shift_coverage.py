"""How often align's pluralism_shift intervals cover the true shift, and how wide they are, by the number of survey
questions or Overton prompts.

The simulations of ``tests/align/pluralism_sim.py`` with known truth: the survey's steered_alignment_shift (three
groups, a true shift of −0.05 for one and 0 for the others, question effects shared by both models and the groups) and
overton_coverage_shift (maps of 2 to 6 entries, a true shift of −0.1 in the share of the map an answer covers). Each
cell is run with several seeds, so that a rate can be read beside how much it moves from one seed to the next. Run
from the repository root:

    PYTHONPATH=src .venv/bin/python -m benchmarks.pluralism_shift_coverage --replicates 200 --seeds 11 12 13
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from tests.align.pluralism_sim import OVERTON_TRUTH, TRUTH, interval_coverage, simulated_overton, simulated_units
from tests.metrics.scenarios import mc_error

SIMULATIONS = {
    "steered_alignment_shift": (simulated_units, {**TRUTH, "all": float(np.mean(list(TRUTH.values())))}),
    "overton_coverage_shift": (simulated_overton, {"all": OVERTON_TRUTH}),
}


def measured(replicates: int, seeds: list[int], units: list[int], n_boot: int) -> pd.DataFrame:
    """One row per metric, group, number of units and seed: coverage and the intervals' median width."""
    parts = [interval_coverage(simulate, truth, n, replicates, seed, n_boot).assign(metric=metric, units=n, seed=seed)
             for metric, (simulate, truth) in SIMULATIONS.items() for n in units for seed in seeds]
    return pd.concat(parts, ignore_index=True)


def summarised(rows: pd.DataFrame, replicates: int) -> pd.DataFrame:
    """Per metric, group and number of units: the coverage over every seed ± its Monte-Carlo error, the lowest and
    highest seed's, and the median width (the seeds' median)."""
    def cell(part: pd.DataFrame) -> pd.Series:
        rate = part["coverage"].mean()
        return pd.Series({"coverage": f"{rate:.1%} ± {mc_error(rate, replicates * len(part)):.1%}",
                          "seeds": f"{part['coverage'].min():.1%}–{part['coverage'].max():.1%}",
                          "width": f"{part['width'].median():.3f}"})
    return rows.groupby(["metric", "group", "units"], sort=False).apply(cell).reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=200, help="simulated runs per cell and seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13])
    parser.add_argument("--units", type=int, nargs="+", default=[2, 3, 4, 5, 6, 12, 24, 48],
                        help="numbers of survey questions (and of Overton prompts)")
    parser.add_argument("--n-boot", type=int, default=400)
    args = parser.parse_args()
    table = summarised(measured(args.replicates, args.seeds, args.units, args.n_boot), args.replicates)
    print(f"{args.replicates} simulated runs per cell and seed, seeds {', '.join(map(str, args.seeds))}, "
          f"{args.n_boot} bootstrap replicates; nominal 95%\n")
    print(table.to_markdown(index=False))


if __name__ == "__main__":
    main()
