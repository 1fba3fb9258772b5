"""Preference estimators at Community Alignment scale, on a simulated population with precomputed features.

233,000 best-of-4 comparisons from 3,600 annotators over 384-dimensional features (the size of the embedded
MiniLM's vectors): fit time and peak memory of MixtureBradleyTerry (K=4) and IdealPoint (K=4), float32, and how
time grows with the number of comparisons.

    .venv/bin/python benchmarks/preferences_scale.py [--comparisons 233000] [--scaling]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from pluralign.preferences import BradleyTerry, IdealPoint, MixtureBradleyTerry
from pluralign.simulate import simulate_population


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def run(comparisons: int, annotators: int) -> dict[str, float]:
    per = max(1, -(-comparisons // annotators))  # at least the comparisons asked for
    pop = simulate_population(n_annotators=annotators, comparisons_per_annotator=per, n_features=384,
                              proportions=(0.4, 0.3, 0.2, 0.1), random_state=0)
    out = {"comparisons": len(pop.choices)}
    for name, model in (("BradleyTerry", BradleyTerry(dtype="float32")),
                        ("MixtureBradleyTerry", MixtureBradleyTerry(n_types=4, n_init=1, dtype="float32")),
                        ("IdealPoint", IdealPoint(n_prototypes=4, dtype="float32"))):
        start = time.perf_counter()
        model.fit(pop.choices)
        out[name] = time.perf_counter() - start
        out[f"{name} accuracy"] = model.score(pop.choices.subset(np.arange(0, len(pop.choices), 50)))
    out["peak GB"] = peak_gb()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comparisons", type=int, default=233_000)
    parser.add_argument("--annotators", type=int, default=3_600)
    parser.add_argument("--scaling", action="store_true", help="also fit at 1/4 and 1/2 of the comparisons")
    args = parser.parse_args()
    sizes = [args.comparisons // 4, args.comparisons // 2, args.comparisons] if args.scaling else [args.comparisons]
    for n in sizes:
        r = run(n, args.annotators)
        print(f"{r['comparisons']:>8} comparisons: " + ", ".join(
            f"{k} {v:.1f}s" if not k.endswith(("accuracy", "GB")) and k != "comparisons" else f"{k} {v:.3f}"
            for k, v in r.items() if k != "comparisons"), flush=True)


if __name__ == "__main__":
    main()
