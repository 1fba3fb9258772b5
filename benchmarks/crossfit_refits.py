"""What ``CrossFit.refits`` costs (align's independent evaluation: 200 refits of a learned reward per training seed),
and how far its refits, all fitted at once, lie from fitting each resample on its own.

Two cases: ``group``, the tests' (``tests/align/test_independent.py``): the 80 choices of the 5 people a group reward's
learn run of 24 held out, MiniLM features; ``bt``, one shared reward on 8 simulated people × 10 of 20 shared prompts
(768 features, as the embedder's), so the prompts are resampled too. Prints the CPU seconds of each ``refits`` call
(``--runs`` of them) and, with ``--compare``, per seed the largest difference from the separate fits of the same
resamples and each way's largest gradient (inf-norm) of its own resample's objective at the end, which says which of
the two stopped nearer the minimum. Run from the repository root, against any checkout's ``src``:

    PYTHONPATH=src:. OMP_NUM_THREADS=1 taskset -c 1 .venv/bin/python -m benchmarks.crossfit_refits --runs 3
    PYTHONPATH=src:. OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.crossfit_refits --runs 0 --compare 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

from pluralign.align.eval_rewards import held_out_rewards
from pluralign.estimators.crossfit import CrossFit, crossed_resample
from pluralign.learn import BradleyTerry
from pluralign.learn.reward import GroupRewards
from tests.align.conftest import learned_sides
from tests.align.crossfit_sim import choice_data


def cases(folder: Path) -> dict[str, CrossFit]:
    """The two cross-fits the module's docstring describes."""
    group = held_out_rewards(learned_sides(folder, "p", 24))
    choices = choice_data(np.zeros(768), 8, 10, np.random.default_rng(0), learn_prompts=20)
    bt = CrossFit(GroupRewards(BradleyTerry().fit(choices), group.rewards.embedder), choices, BradleyTerry, 8)
    return {"group": group, "bt": bt}


def gradient(model, choices, times: np.ndarray) -> float:
    """The inf-norm of the gradient of ``model``'s objective on the resample that takes each row ``times`` times, at
    its fitted coefficients."""
    import torch

    from pluralign.estimators._fit import tensors

    data = tensors(choices, torch.float64)
    weight = torch.as_tensor(times, dtype=torch.float64)
    if isinstance(model, BradleyTerry):
        params = [torch.tensor(model.coef_, requires_grad=True)]
        loss = model._loss(data, weight, *params)
    else:
        params = [torch.tensor(model.coef_, requires_grad=True), torch.tensor(model.group_coef_, requires_grad=True)]
        loss = model._loss(data, model._groups(choices)[1], weight, *params)
    loss.backward()
    return max(float(p.grad.abs().max()) for p in params)


def counted(fit_call: Callable[[], object]) -> tuple[object, int]:
    """What ``fit_call`` returns, and how many times its L-BFGS fits evaluated their objective (``_fit.lbfgs``'s last
    evaluation, of the value it returns, included)."""
    from pluralign.estimators import _fit

    original, count = _fit.lbfgs, [0]

    def lbfgs(params, loss, *args):
        def loss_counted():
            count[0] += 1
            return loss()
        return original(params, loss_counted, *args)

    _fit.lbfgs = lbfgs
    try:
        return fit_call(), count[0]
    finally:
        _fit.lbfgs = original


def compare(fit: CrossFit, seed: int, replicates: int) -> dict:
    """The batched refits against separate fits of the same resamples (drawn as ``refits`` draws them)."""
    rng = np.random.default_rng([seed, 1])
    rows = [crossed_resample(fit.choices, rng) for _ in range(replicates)]
    times = np.stack([np.bincount(r, minlength=len(fit.choices)) for r in rows])
    start = time.process_time()
    separate, separate_evaluations = counted(lambda: [fit.estimator().fit(fit.choices.subset(r)) for r in rows])
    separate_s = time.process_time() - start
    start = time.process_time()
    batched, batched_evaluations = counted(lambda: fit.estimator().fit_resamples(fit.choices, times))
    batched_s = time.process_time() - start
    differences = [max(np.abs(getattr(a, name) - getattr(b, name)).max() for name in ("coef_", "group_coef_")
                       if hasattr(a, name)) for a, b in zip(separate, batched)]
    return {"seed": seed, "largest_difference": float(max(differences)),
            "largest_coefficient": float(max(np.abs(m.coef_).max() for m in separate)),
            "gradient_separate": max(gradient(m, fit.choices, t) for m, t in zip(separate, times)),
            "gradient_batched": max(gradient(m, fit.choices, t) for m, t in zip(batched, times)),
            "evaluations_separate": separate_evaluations, "evaluations_batched": batched_evaluations,
            "separate_cpu_s": round(separate_s, 2), "batched_cpu_s": round(batched_s, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed refits calls per case")
    parser.add_argument("--replicates", type=int, default=200, help="align's REPLICATES")
    parser.add_argument("--compare", type=int, nargs="*", default=[], help="seeds to compare separate fits at")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name, fit in cases(Path(folder)).items():
            seconds = []
            for run in range(args.runs):
                start = time.process_time()
                fit.refits(args.replicates, seed=run)
                seconds.append(round(time.process_time() - start, 2))
            if seconds:
                print(json.dumps({"case": name, "refits_cpu_s": seconds, "median": float(np.median(seconds))}))
            for seed in args.compare:
                print(json.dumps({"case": name, **compare(fit, seed, args.replicates)}))


if __name__ == "__main__":
    main()
