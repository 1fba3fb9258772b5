"""Does judging a tuned policy with the reward that picked its pairs overstate the gain, and does a reward learned on
other people (cross-fit) measure it?

The simulation of ``tests/align/test_independent.py`` (``tests/align/crossfit_sim.py``: a Bradley-Terry reward learned
from some people picks the best of 4 answers on 40 held-out prompts; the pick is judged against a base answer by that
reward, by one learned on as many other people, and by the people's true reward) with more runs, more people per
reward and a true signal of 0 (no answer serves anyone better) or 0.2. Per row: the mean win rate under each judge,
and how often each learned judge calls the target "gained" (sign test at 5%). Run from the repository root:

    .venv/bin/python -m benchmarks.align_crossfit --runs 400
"""

from __future__ import annotations

import argparse

import pandas as pd

from tests.align.crossfit_sim import simulate


def rates(runs: int) -> pd.DataFrame:
    rows = []
    for people in (8, 32):
        for signal in (0.0, 0.2):
            t = simulate(signal, runs=runs, seed=0, people=people)
            rows.append({"people per reward": people, "true signal": signal, "true win rate": t.truth.mean(),
                         "same reward": t.same.mean(), "cross-fit": t.cross.mean(),
                         "gained, same reward": (t.p_same <= 0.05).mean(), "gained, cross-fit": (t.p_cross <= 0.05).mean()})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    print(rates(parser.parse_args().runs).to_markdown(index=False, floatfmt=".3f"))
