"""Preference estimators at Community Alignment scale, on a simulated population with precomputed features.

234,000 best-of-4 comparisons from 3,600 annotators over 384-dimensional features (the size of the embedded
MiniLM's vectors), a tenth of each person's comparisons held out: fit time, peak memory, and fit quality (training
log-loss, held-out accuracy and log-loss) of BradleyTerry, MixtureBradleyTerry (K=4) and IdealPoint (K=4), float32,
and how many times each fit multiplied the feature matrix by its weights (its objective's evaluations; the mixture's
E-steps not counted): unlike seconds, that count does not depend on how busy the machine is.
Peak memory is the process's, simulation and every earlier fit included: give ``--only`` one estimator for its own.
To time the code of another checkout (before and after a change, in one sitting), run this file with its ``src``
first on ``PYTHONPATH``.

    .venv/bin/python benchmarks/preferences_scale.py [--comparisons 234000] [--scaling] [--only IdealPoint] [--runs 3]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from pluralign.learn import BradleyTerry, IdealPoint, MixtureBradleyTerry
from pluralign.estimators._fit import _Project
from pluralign.simulate import simulate_population

ESTIMATORS = {
    "BradleyTerry": lambda: BradleyTerry(dtype="float32"),
    "MixtureBradleyTerry": lambda: MixtureBradleyTerry(n_types=4, n_init=1, dtype="float32"),
    "IdealPoint": lambda: IdealPoint(n_prototypes=4, dtype="float32"),
}


def count_products() -> list[int]:
    """Count every product of the features with an estimator's weights (one per evaluation of its objective) from
    now on, in the one-element list returned."""
    count, forward = [0], _Project.forward

    def counted(ctx, features, weights):
        count[0] += 1
        return forward(ctx, features, weights)

    _Project.forward = staticmethod(counted)
    return count


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def run(comparisons: int, annotators: int, names: list[str], runs: int = 1, products: list[int] | None = None
        ) -> list[str]:
    """Fit each named estimator ``runs`` times on one simulated population; print and return a line for each, with
    the median fit time (and the range, over several runs) and, with the counter of ``count_products``, the last
    fit's evaluations."""
    per = max(1, -(-comparisons // annotators))  # at least the comparisons asked for
    pop = simulate_population(n_annotators=annotators, comparisons_per_annotator=per, n_features=384,
                              proportions=(0.4, 0.3, 0.2, 0.1), random_state=0)
    held_out = np.arange(len(pop.choices)) % 10 == 0  # each person's every tenth comparison
    train, test = pop.choices.subset(~held_out), pop.choices.subset(held_out)
    lines = [f"{len(pop.choices):,} comparisons ({len(train):,} to fit, {len(test):,} held out)"]
    print(lines[0], flush=True)
    products = products or [0]
    for name in names:
        seconds = []
        for _ in range(runs):
            model, start, products[0] = ESTIMATORS[name](), time.perf_counter(), 0
            model.fit(train)
            seconds.append(time.perf_counter() - start)
        spread = f" ({min(seconds):.1f}-{max(seconds):.1f} s over {runs} runs)" if runs > 1 else ""
        lines.append(f"  {name}: {np.median(seconds):.1f} s{spread}, {products[0]} evaluations, "
                     f"training log-loss {model.log_loss(train):.4f}, "
                     f"held-out accuracy {model.score(test):.4f}, held-out log-loss {model.log_loss(test):.4f}, "
                     f"peak {peak_gb():.2f} GB")
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comparisons", type=int, default=234_000)
    parser.add_argument("--annotators", type=int, default=3_600)
    parser.add_argument("--scaling", action="store_true", help="also fit at 1/4 and 1/2 of the comparisons")
    parser.add_argument("--only", action="append", choices=list(ESTIMATORS), help="fit only these (repeatable)")
    parser.add_argument("--runs", type=int, default=1, help="fits of each estimator; the median time is shown")
    args = parser.parse_args()
    sizes = [args.comparisons // 4, args.comparisons // 2, args.comparisons] if args.scaling else [args.comparisons]
    products = count_products()
    for n in sizes:
        run(n, args.annotators, args.only or list(ESTIMATORS), args.runs, products)


if __name__ == "__main__":
    main()
