"""What starting each of align's refits from the full fit saves (``CrossFit.refits``' ``warm_start``), and whether it
changes a verdict.

*Cost*: a group reward (``GroupBradleyTerry``, two groups) on ``--choices`` pairwise choices of 768 features laid out
as the learn job lays out MiniLM's (``interaction_features`` of random unit vectors), people crossed with shared
prompts; ``--refits`` refits from zero and as many from the full fit, on the same resamples: CPU seconds per refit,
and how far apart the two sets of coefficients and the signs they give 40 held-out answer pairs are.
*Verdicts*: ``--runs`` runs of the crossed null of ``tests/align/crossfit_sim.py`` (no one gains; 8 people who differ
judge, answering 25 shared prompts), whose cross-fitted ``BradleyTerry`` reward is refitted 200 times each way as
align does: how often each calls a gain, and in how many runs the two verdicts differ. Run from the repository root:

    PYTHONPATH=src:. OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.refit_warm_start --choices 3000 --refits 20 --runs 40
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from pluralign.align.core import ALPHA
from pluralign.align.refit import refit_tests
from pluralign.data.choices import Choices
from pluralign.preferences import BradleyTerry, GroupBradleyTerry
from pluralign.preferences.crossfit import CrossFit
from pluralign.preferences.features import interaction_features
from pluralign.preferences.reward import GroupRewards
from tests.align.crossfit_sim import choice_data

CROSSED = dict(learn_prompts=25, person_sd=0.5, prompt_sd=0.5)


def unit(rng: np.random.Generator, n: int, d: int = 384) -> np.ndarray:
    """``n`` random unit vectors, as an embedder's."""
    v = rng.normal(size=(n, d))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def group_choices(choices: int, rng: np.random.Generator, people: int = 100, prompts: int = 300) -> Choices:
    """``choices`` pairwise choices of ``people`` in two groups (30 each by default), each person answering prompts of
    a shared pool (each prompt one pair of answers), chosen by their group's reward (norm 20: a logit difference of
    sd about 1.4) with Bradley–Terry's probability."""
    each = choices // people
    contexts = unit(rng, prompts)
    features = interaction_features(unit(rng, 2 * prompts), np.repeat(contexts, 2, axis=0))
    truth = 20 * unit(rng, 2, features.shape[1])
    annotator = np.repeat(np.arange(people), each)
    group = annotator % 2
    prompt = np.concatenate([rng.choice(prompts, each, replace=False) for _ in range(people)])
    logit = ((features[2 * prompt] - features[2 * prompt + 1]) * truth[group]).sum(axis=1)
    first = rng.random(len(prompt)) < 1 / (1 + np.exp(-logit))
    return Choices(features, np.stack([2 * prompt, 2 * prompt + 1], axis=1), np.where(first, 0, 1), annotator,
                   group=group.astype(str), prompt=prompt)


def timed_refits(crossfit: CrossFit, refits: int, warm_start: bool) -> tuple[np.ndarray, float]:
    """``crossfit``'s refits (seed 0) and the CPU seconds they took."""
    start = time.process_time()
    coef = crossfit.refits(refits, seed=0, warm_start=warm_start)
    return coef, time.process_time() - start


def cost(choices: int, refits: int, seed: int) -> dict:
    """Cold against warm refits of a group reward on ``choices`` choices."""
    rng = np.random.default_rng(seed)
    data = group_choices(choices, rng)
    start = time.process_time()
    fitted = GroupBradleyTerry().fit(data)
    full = time.process_time() - start
    crossfit = CrossFit(GroupRewards(fitted, embedder=None), data, len(np.unique(data.annotator)))
    cold, cold_s = timed_refits(crossfit, refits, False)
    warm, warm_s = timed_refits(crossfit, refits, True)
    held = data.features[rng.integers(len(data.features), size=40)] - data.features[rng.integers(len(data.features),
                                                                                                  size=40)]
    signs = [np.sign(np.einsum("nd,bgd->bng", held, c)) for c in (cold, warm)]
    return {"choices": len(data), "features": data.features.shape[1], "full fit CPU s": round(full, 2),
            "refits": refits, "cold CPU s a refit": round(cold_s / refits, 3),
            "warm CPU s a refit": round(warm_s / refits, 3), "speed-up": round(cold_s / warm_s, 2),
            "largest coefficient difference": float(np.abs(cold - warm).max()),
            "largest coefficient": float(np.abs(cold).max()),
            "margin signs that differ": int((signs[0] != signs[1]).sum()), "margin signs": signs[0].size}


def verdicts(runs: int, seed: int, replicates: int = 200) -> dict:
    """The crossed null's cross-fitted verdict with cold and warm refits, over ``runs`` seeded runs."""
    called, differ, seconds = np.zeros(2, dtype=int), 0, np.zeros(2)
    for r in range(runs):
        rng = np.random.default_rng(seed + r)
        data = choice_data(np.zeros(6), 8, 25, rng, **CROSSED)
        crossfit = CrossFit(GroupRewards(BradleyTerry().fit(data), embedder=None), data, 8)
        difference = rng.normal(size=(40, 6)) - rng.normal(size=(40, 6))  # 40 held-out answer pairs
        observed, gains = np.sign(difference @ crossfit.rewards.coef.T), []
        for i, warm_start in enumerate((False, True)):
            start = time.process_time()
            coef = crossfit.refits(replicates, seed + r, warm_start=warm_start)
            seconds[i] += time.process_time() - start
            signs = np.sign(np.einsum("nd,bgd->bng", difference, coef))
            gains.append(refit_tests(observed, signs, ["everyone"], 0.0, seed + r)[1].gain_p.iloc[0])
        called += np.array(gains) <= ALPHA
        differ += gains[0] != gains[1]
    return {"runs": runs, "refits a run": replicates, "gained, cold": f"{called[0] / runs:.1%}",
            "gained, warm": f"{called[1] / runs:.1%}", "runs whose gain_p differ": differ,
            "cold CPU s a run": round(seconds[0] / runs, 2), "warm CPU s a run": round(seconds[1] / runs, 2)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--choices", type=int, default=3000)
    parser.add_argument("--refits", type=int, default=20, help="refits each way in the cost part")
    parser.add_argument("--runs", type=int, default=40, help="simulated runs in the verdict part (0: skip it)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(pd.DataFrame([cost(args.choices, args.refits, args.seed)]).T.to_markdown(headers=["", "value"]))
    if args.runs:
        print()
        print(pd.DataFrame([verdicts(args.runs, args.seed)]).T.to_markdown(headers=["", "value"]))
