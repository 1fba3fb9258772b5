"""How often align's pluralism_shift intervals cover the true shift, by the number of survey questions.

The simulation of ``tests/align/test_pluralism.py`` (``tests/align/pluralism_sim.py``: three groups, a true shift of
−0.05 for one and 0 for the others, question effects shared by both models and the groups) with more surveys per
cell and 4 to 50 questions. Run from the repository root:

    PYTHONPATH=src .venv/bin/python -m benchmarks.pluralism_shift_coverage --replicates 1000
"""

from __future__ import annotations

import argparse

import pandas as pd

from tests.align.pluralism_sim import shift_coverage
from tests.metrics.scenarios import mc_error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--questions", type=int, nargs="+", default=[4, 6, 12, 30, 50])
    args = parser.parse_args()
    rows = [{"questions": q, "group": group, "coverage": f"{rate:.1%} ± {mc_error(rate, args.replicates):.1%}"}
            for q in args.questions for group, rate in shift_coverage(q, args.replicates).items()]
    table = pd.DataFrame(rows).pivot(index="group", columns="questions", values="coverage")
    print(f"{args.replicates} simulated surveys per cell (± Monte-Carlo error)\n\n{table.to_markdown()}")


if __name__ == "__main__":
    main()
