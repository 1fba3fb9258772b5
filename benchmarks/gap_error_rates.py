"""How often policy rules over groups fail when they hold and when they are broken (false-fail rate and power).

The simulations of ``tests/metrics/test_error_rates.py`` (scenarios in ``tests/metrics/scenarios.py``) with more
replicates and 2, 5 and 10 groups of 30 items, through the real ``disaggregate`` and policy ``check``; then the
time of ``audit_metrics`` on a synthetic 2,000-row items table (1,000 statements, original and translated).
Run from the repository root:

    .venv/bin/python -m benchmarks.gap_error_rates --replicates 1000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from pluralign.audit.results import STATEMENT_METRICS, audit_metrics
from tests.metrics.scenarios import N, SD, fail_rates, mc_error, scenario

# scenario -> the rules it breaks (the others hold in it)
SCENARIOS = {"equal": (), "on the line": (), "one 0.3 higher": ("gap", "ratio", "each"), "ratio 0.5": ("gap", "ratio", "each")}


def error_rates(replicates: int) -> pd.DataFrame:
    rows = []
    for groups in (2, 5, 10):
        for name, broken in SCENARIOS.items():
            for rule, rate in fail_rates(scenario(name, groups), replicates, seed=groups).items():
                rows.append({"groups": groups, "scenario": name, "rule": rule,
                             "reads as": "power" if rule in broken else "false fail",
                             "fail rate": f"{rate:.1%} ± {mc_error(rate, replicates):.1%}"})
    return pd.DataFrame(rows)


def audit_items(statements: int = 1000, seed: int = 0) -> pd.DataFrame:
    """A synthetic audit items table: one model, each statement original and translated, every metric column."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"model": "m", "statement_id": np.tile(np.arange(statements), 2),
                          "variant": np.repeat(["original", "translated"], statements)})
    for column, count in (("language", 8), ("country", 12), ("topic", 10), ("source", 3), ("position", 2)):
        frame[column] = np.tile(rng.integers(0, count, statements).astype(str), 2)
    for column in STATEMENT_METRICS.values():
        frame[column] = rng.random(len(frame))
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    args = parser.parse_args()
    print(f"{N} items per group, item sd {SD}, {args.replicates} simulated runs per cell (± Monte-Carlo error)\n")
    table = error_rates(args.replicates)
    print(table.pivot(index=["scenario", "rule", "reads as"], columns="groups", values="fail rate").to_markdown())
    tables = {"items": audit_items(), "opinions": pd.DataFrame()}
    times = []
    for _ in range(3):
        start = time.perf_counter()
        audit_metrics(tables)
        times.append(time.perf_counter() - start)
    print(f"\naudit_metrics, 2,000 items x 7 metrics x 6 groupings: median {np.median(times):.2f} s of 3")


if __name__ == "__main__":
    main()
