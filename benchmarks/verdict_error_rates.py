"""How often align's and compare's verdicts are wrong where the truth is known, by size (issue 32, items 4, 5, 6, 8
and 10).

The seeded simulations of the verdict tests (``tests/align/verdict_sim.py``, ``tests/metrics/ranking_sim.py``) with
more runs and at several sizes, each through pluralign's own functions: align's "lost"/"gained" (``outcomes``, Holm
across the rewards) by held-out prompts; ``reward_tension``'s reading by prompts and share of unchanged answers;
Kendall's τ interval between metrics (``rank_agreement``) by units; ``stance_shift``'s verdicts across groups
(``shift_verdicts``, Holm) by statements; compare's best cell and Pareto front (``scorecard``) by units. A rate is
shown ± its Monte-Carlo standard error, and marked where it is worse than the nominal level. Run from the
repository root:

    PYTHONPATH=src .venv/bin/python -m benchmarks.verdict_error_rates --runs 1000
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import numpy as np
import pandas as pd

from pluralign.align.outcome import POWER, loss_power, prompts_needed
from tests.align.verdict_sim import reads_a_relation, shift_verdict_runs, simulated_verdicts, tension_tables
from tests.metrics.ranking_sim import mark_runs, partly_agreeing, tau_runs, tiers
from tests.metrics.scenarios import mc_error

NOMINAL = 0.05  # every verdict here claims at most a 5% error; every interval 95% coverage


def rate(share: float, runs: int, nominal: float | None = NOMINAL, above: bool = True) -> str:
    """``share`` ± its Monte-Carlo error, marked where it is worse than ``nominal`` (above it, or with ``above``
    False, below it, as for coverage)."""
    if not np.isfinite(share):
        return "–"
    text = f"{share:.1%} ± {mc_error(share, runs):.1%}"
    worse = nominal is not None and (share > nominal if above else share < nominal)
    return text + (f" **above {nominal:.0%}**" if above else f" **below {nominal:.0%}**") if worse else text


def lost_and_gained(runs: int, sizes: list[int]) -> pd.DataFrame:
    """Item 4: per number of held-out prompts, how often a run with nothing changed calls any of three rewards
    lost (tolerance 0; the default 0.05 with half the answers unchanged) or the target gained; how often reward a,
    whose win rate fell exactly by the tolerance 0.05, or not at all, gets any "lost"; and how often a real loss
    (win rate 0.3) is called, against ``loss_power`` and whether the run warns."""
    rows = []
    for n in sizes:
        null = simulated_verdicts(runs, n, 0.0, seed=n)
        half = simulated_verdicts(runs, n, 0.05, seed=n + 1, unchanged=0.5)
        line = simulated_verdicts(runs, n, 0.05, seed=n + 2, loss=0.05)
        real = simulated_verdicts(runs, n, 0.05, seed=n + 3, loss=0.2)
        lost = lambda table: table[["a", "b", "c"]].eq("lost").any(axis=1).mean()
        rows.append({"held-out prompts": n,
                     "any lost, nothing changed (tol 0)": rate(lost(null), runs),
                     "any lost, half unchanged (tol 0.05)": rate(lost(half), runs),
                     "any lost, a on the line (tol 0.05)": rate(lost(line), runs),
                     "target gained, nothing changed": rate(null["target"].eq("gained").mean(), runs),
                     "a at 0.3 called lost (power)": rate(real["a"].eq("lost").mean(), runs, None),
                     "power by binomial": f"{loss_power(n, 3, 0.05):.1%}",
                     "warns": "yes" if loss_power(n, 3, 0.05) < POWER else "no"})
    return pd.DataFrame(rows)


def tension_reads(runs: int, sizes: list[int]) -> pd.DataFrame:
    """Item 5: per number of held-out prompts and share of unchanged answers, how often a run of three unrelated
    rewards reads any pair as a trade-off or as gaining together (the target's two pairs; every pair for max-min)."""
    rows = []
    for n in sizes:
        row = {"held-out prompts": n}
        for unchanged in (0.0, 0.5, 0.9):
            changed = n - round(n * unchanged)
            share = np.mean([reads_a_relation(t) for t in tension_tables(runs, n, unchanged, seed=n)])
            row[f"{unchanged:.0%} unchanged (n = differing)"] = f"{rate(share, runs)} (n = {changed})"
        maxmin = np.mean([reads_a_relation(t) for t in tension_tables(runs, n, 0.5, seed=n + 1, target=None)])
        row["max-min, 3 pairs, 50% unchanged"] = rate(maxmin, runs)
        rows.append(row)
    return pd.DataFrame(rows)


def tau_coverage(runs: int, sizes: list[int]) -> pd.DataFrame:
    """Item 6: per number of units, the τ interval's coverage of the true τ and its median width, with every value
    measured with sd 0.01–0.03 or 0.05–0.15 (values 0.1 apart), and, where each unit lacks an interval with chance
    0.3, how often τ is refused (fewer than two units with one) and how often the rest cover."""
    rows = []
    for units in sizes:
        truth = partly_agreeing(units)
        row = {"units": units, "true τ": f"{pd.Series(truth[:, 0]).corr(pd.Series(truth[:, 1]), 'kendall'):.2f}"}
        for low, high in ((0.01, 0.03), (0.05, 0.15)):
            table = tau_runs(truth, np.linspace(low, high, 2 * units).reshape(units, 2), runs, seed=1000 * units)
            row[f"sd {low}–{high}: coverage"] = rate(table["covered"].mean(), runs, 0.95, above=False)
            row[f"sd {low}–{high}: width"] = f"{table['width'].median():.2f}"
        missing = tau_runs(truth, np.linspace(0.01, 0.03, 2 * units).reshape(units, 2), runs, seed=1000 * units + 1,
                           missing=0.3)
        answered = missing[missing["answered"]]
        row["30% without interval: refused"] = rate(1 - missing["answered"].mean(), runs, None)
        row["30% without: coverage"] = rate(answered["covered"].astype(float).mean(), len(answered), 0.95,
                                            above=False)
        rows.append(row)
    return pd.DataFrame(rows)


def stance_moves(runs: int, sizes: list[int]) -> pd.DataFrame:
    """Item 8: per number of statements in each of the 7 languages, how often a run in which tuning moved no stance
    calls any group moved (Holm across the groups read), with statement effects normal or skewed (item noise sd 0.05,
    and, harsher, 0.02); and, for power, how often overall is called moved when tuning moved every item by 0.02."""
    rows = []
    for per_language in sizes:
        row = {"statements per language": per_language, "statements": 7 * per_language}
        for name, skewed, noise in (("normal effects", False, 0.05), ("skewed effects", True, 0.05),
                                    ("skewed, item noise 0.02", True, 0.02)):
            tables = list(shift_verdict_runs(per_language, runs, seed=per_language + skewed, skewed=skewed,
                                             noise=noise))
            row["groups read"] = int(tables[0]["p"].notna().sum())
            row[name] = rate(np.mean([(t["verdict"] == "moved").any() for t in tables]), runs)
        moved = [t.loc[("overall", "all"), "verdict"] == "moved"
                 for t in shift_verdict_runs(per_language, runs, seed=per_language + 2, moved=0.02)]
        row["power: all moved 0.02, overall called"] = rate(np.mean(moved), runs, None)
        rows.append(row)
    return pd.DataFrame(rows)


def compare_marks(runs: int, sizes: list[int]) -> pd.DataFrame:
    """Item 10: per number of units, how often compare marks a best cell among units that tie for it, or puts a
    unit that nothing beats off the Pareto front (sd 0.04; every unit tied, or half tied at the top 0.1 above the
    rest)."""
    rows = []
    for units in sizes:
        row = {"units": units}
        for name, top in (("all tied", units), ("top half tied", max(2, units // 2))):
            if name == "top half tied" and top == units:
                row[f"{name}: best marked"] = row[f"{name}: tied unit off front"] = "(as all tied)"
                continue
            marks = mark_runs(*tiers(units, top), top=top, runs=runs, seed=1000 * units + top)
            row[f"{name}: best marked"] = rate(marks["best"].mean(), runs)
            row[f"{name}: tied unit off front"] = rate(marks["off_front"].mean(), runs)
        rows.append(row)
    return pd.DataFrame(rows)


ITEMS: dict[int, tuple[Callable[[int, list[int]], pd.DataFrame], list[int], list[int]]] = {
    4: (lost_and_gained, [7, 16, 32, 64, 95, 200], [7, 32]),
    5: (tension_reads, [8, 16, 32, 64, 128], [8, 32]),
    6: (tau_coverage, [3, 5, 10, 20, 40], [3, 10]),
    8: (stance_moves, [2, 4, 8, 12, 24, 48], [2, 24]),
    10: (compare_marks, [2, 4, 8, 16, 32], [2, 8]),
}  # item -> (its simulation, sizes, sizes with --quick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="simulated runs per cell")
    parser.add_argument("--items", type=int, nargs="+", default=list(ITEMS), choices=list(ITEMS))
    parser.add_argument("--quick", action="store_true", help="30 runs per cell at two sizes: to see that it works")
    parser.add_argument("--sizes", type=int, nargs="+", help="these sizes in place of each item's own")
    args = parser.parse_args()
    runs = 30 if args.quick else args.runs
    print(f"{runs} simulated runs per cell (± Monte-Carlo standard error); nominal error 5%, coverage 95%")
    print(f"(the run warns below {prompts_needed(3, 0.05)} held-out prompts with three rewards that can lose)\n")
    for item in args.items:
        simulate, sizes, quick = ITEMS[item]
        start = time.process_time()
        table = simulate(runs, args.sizes or (quick if args.quick else sizes))
        print(f"## Item {item}: {simulate.__name__}\n\n{table.to_markdown(index=False)}\n\n"
              f"CPU time {time.process_time() - start:.0f} s\n", flush=True)


if __name__ == "__main__":
    main()
