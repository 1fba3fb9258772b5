"""Does judging a tuned policy with the reward that picked its pairs overstate the gain, does a reward learned on
other people (cross-fit) measure it, and does align's verdict on that reward (refits on resamples of its people and
prompts, ``align/refit.py``) hold its 5%?

The simulation of ``tests/align/test_independent.py`` (``tests/align/crossfit_sim.py``: a Bradley-Terry reward learned
from some people picks the best of 4 answers on 40 held-out prompts; the pick is judged against a base answer by that
reward, by one learned on other people, and by the people's true reward) with more runs, a true signal of 0 (no
answer serves anyone better) or 0.2, and two designs: *plain* (as many people per reward, everyone alike, each choice
between answers of its own) and *crossed* (as a learn run's held-out people are: 32 people train, a few others judge;
people differ, sd 0.5 per feature, and all answer the same 25 prompts, each with a shared logit shift of sd 0.5).
Per row: the mean win rate under each judge, and how often the cross-fitted judge calls the target "gained" by the
sign test over prompts and by align's refit verdict (with a 95% Wilson interval over the runs). With ``--people``,
instead: where no one gains, how often the refit bootstrap alone calls a gain for a reward learned from 1 to 5
people, in the plain and the crossed design (what sets ``FEW_PEOPLE``, below which align draws no verdict). Run from
the repository root:

    PYTHONPATH=src:. OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.align_crossfit --runs 400
    PYTHONPATH=src:. OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.align_crossfit --people --runs 1000
"""

from __future__ import annotations

import argparse

import pandas as pd
from scipy.stats import binomtest

from tests.align.crossfit_sim import simulate

CROSSED = dict(people=32, learn_prompts=25, person_sd=0.5, prompt_sd=0.5)
DESIGNS = [("plain", 8, dict(people=8)), ("plain", 32, dict(people=32)),
           ("crossed", 8, dict(CROSSED, held_out=8)), ("crossed", 5, dict(CROSSED, held_out=5))]


def rates(runs: int, replicates: int, seed: int) -> pd.DataFrame:
    """One row per design, held-out size and true signal."""
    rows = []
    for design, judges, sizes in DESIGNS:
        for signal in (0.0, 0.2):
            t = simulate(signal, runs=runs, seed=seed, replicates=replicates, **sizes)
            called = int(t.gained_refit.sum())
            low, high = binomtest(called, runs).proportion_ci(method="wilson")
            rows.append({"design": design, "people judging": judges, "true signal": signal,
                         "true win rate": t.truth.mean(), "same reward": t.same.mean(), "cross-fit": t.cross.mean(),
                         "gained, same reward": f"{(t.p_same <= 0.05).mean():.1%}",
                         "gained, cross-fit sign test": f"{(t.p_cross <= 0.05).mean():.1%}",
                         "gained, cross-fit refit": f"{called / runs:.1%} [{low:.1%}, {high:.1%}]"})
    return pd.DataFrame(rows)


def by_people(runs: int, replicates: int, seed: int) -> pd.DataFrame:
    """One row per design and number of people judging, no one gaining: how often the refit bootstrap alone calls a
    gain (95% Wilson interval over the runs), and align's verdict with its ``FEW_PEOPLE`` rule."""
    rows = []
    for design, sizes in (("plain", dict(people=32)), ("crossed", CROSSED)):
        for judges in (1, 2, 3, 4, 5):
            t = simulate(0.0, runs=runs, seed=seed, replicates=replicates, held_out=judges, **sizes)
            called = int(t.gained_bare.sum())
            low, high = binomtest(called, runs).proportion_ci(method="wilson")
            rows.append({"design": design, "people judging": judges,
                         "gained, refit bootstrap": f"{called / runs:.1%} [{low:.1%}, {high:.1%}]",
                         "gained, align's verdict": f"{t.gained_refit.mean():.1%}",
                         "gained, sign test": f"{(t.p_cross <= 0.05).mean():.1%}"})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--replicates", type=int, default=200, help="refits per run (align's REPLICATES)")
    parser.add_argument("--seed", type=int, default=0, help="the first run's seed; run r uses seed + r")
    parser.add_argument("--people", action="store_true", help="the false-call rate by how many people judge")
    args = parser.parse_args()
    table = (by_people if args.people else rates)(args.runs, args.replicates, args.seed)
    print(table.to_markdown(index=False, floatfmt=".3f"))
