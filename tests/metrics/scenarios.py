"""Seeded simulations of policy rules over groups whose true means are known, shared by the error-rate tests and
``benchmarks/gap_error_rates.py``.

Each group has ``N`` items whose values are Beta-distributed with the group's mean and a spread of ``SD`` (like
p(agree) varying across statements). The items go through the real ``disaggregate`` and policy ``check``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pluralign.metrics import MetricFrame, disaggregate
from pluralign.metrics.policy import Policy, Rule, check

N, SD = 30, 0.2
# gap ≤ 0.1, the four-fifths rule on the ratio, and every group at most 0.5
POLICY = Policy([Rule("p_agree", "gap", "group", at_most=0.1, name="gap"),
                 Rule("p_agree", "ratio", "group", at_least=0.8, name="ratio"),
                 Rule("p_agree", "each", "group", at_most=0.5, name="each")])


def scenario(name: str, groups: int) -> np.ndarray:
    """True group means: ``equal`` (all 0.5: no gap, ratio 1, each group on the each-line), ``on the line`` (one
    group at 0.4: gap exactly 0.1, ratio exactly 0.8, every group at or under 0.5: each rule at its boundary), and
    real differences (``one 0.3 higher``: gap 0.3, one group 0.3 over the each-line; ``ratio 0.5``: one group at
    0.4, the others at 0.8)."""
    first, rest = {"equal": (0.5, 0.5), "on the line": (0.4, 0.5), "one 0.3 higher": (0.8, 0.5),
                   "ratio 0.5": (0.4, 0.8)}[name]
    return np.r_[first, np.full(groups - 1, rest)]


def items(means: np.ndarray, rng: np.random.Generator, n: int = N, sd: float = SD) -> pd.DataFrame:
    """``n`` Beta-distributed values per group with the given means and standard deviation ``sd``."""
    k = means * (1 - means) / sd**2 - 1  # Beta(μk, (1 − μ)k) has mean μ and variance μ(1 − μ)/(k + 1)
    values = rng.beta(np.repeat(means * k, n), np.repeat((1 - means) * k, n))
    return pd.DataFrame({"group": np.repeat([f"g{i}" for i in range(len(means))], n), "p_agree": values})


def fail_rates(means: np.ndarray, replicates: int, seed: int = 0, n_boot: int = 1000) -> pd.Series:
    """Share of simulated runs in which each rule of ``POLICY`` is judged ``fail``."""
    rng = np.random.default_rng(seed)
    tables = [disaggregate(items(means, rng), {"p_agree": "p_agree"}, ["group"], n_boot=n_boot, seed=r).assign(run=r)
              for r in range(replicates)]
    verdicts = check(POLICY, pd.concat(tables, ignore_index=True).assign(model="m", setting=""))
    return verdicts["verdict"].eq("fail").groupby(verdicts["rule"], sort=False).mean()


def mc_error(rate: float, replicates: int) -> float:
    """Monte-Carlo standard error of a simulated rate."""
    return float(np.sqrt(max(rate * (1 - rate), 1e-12) / replicates))


# Crossed people and prompts: whether a held-out comparison is answered correctly, on the logit scale a base of 1
# (about 0.73), a person's effect and a prompt's effect (prompts differ in how hard they are)
BASE, PERSON_SD = 1.0, 0.5


def crossed_items(people: int, prompts: int, rng: np.random.Generator, prompt_sd: float = 0.5) -> pd.DataFrame:
    """Every person answers every prompt once: ``correct`` is 0/1 with logit BASE + person effect + prompt effect,
    each person in one of two groups."""
    person, prompt = rng.normal(0, PERSON_SD, people), rng.normal(0, prompt_sd, prompts)
    logit = BASE + person[:, None] + prompt[None, :]
    correct = (rng.random((people, prompts)) < 1 / (1 + np.exp(-logit))).astype(float)
    return pd.DataFrame({"annotator": np.repeat(np.arange(people), prompts), "prompt": np.tile(np.arange(prompts), people),
                         "group": np.repeat(np.arange(people) % 2, prompts).astype(str), "correct": correct.ravel()})


def population_accuracy(prompt_sd: float = 0.5) -> float:
    """The true accuracy over new people and new prompts: the mean of the logistic over both effects (Gauss-Hermite
    quadrature, exact to far below the simulations' Monte-Carlo error)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    sd = np.hypot(PERSON_SD, prompt_sd)  # the two effects add up to one normal effect
    return float(weights @ (1 / (1 + np.exp(-(BASE + sd * nodes)))) / weights.sum())


def crossed_coverage(prompts: int, cluster, replicates: int, prompt_sd: float = 0.5, people: int = 150,
                     seed: int = 0, n_boot: int = 1000) -> pd.Series:
    """Share of simulated held-out sets, resampling ``cluster``, whose interval holds the truth: ``overall`` for
    ``population_accuracy``, ``worst`` for the worst group's (the two groups share it) and ``gap`` for the gap
    between them (0: its lower end is 0)."""
    rng, truth = np.random.default_rng(seed), population_accuracy(prompt_sd)
    covered = []
    for r in range(replicates):
        frame = MetricFrame(crossed_items(people, prompts, rng, prompt_sd), "correct", by="group", cluster=cluster,
                            n_boot=n_boot, seed=r)
        overall, worst = frame.overall, frame.worst()
        covered.append({"overall": overall["ci_low"] <= truth <= overall["ci_high"],
                        "worst": worst["ci_low"] <= truth <= worst["ci_high"], "gap": frame.difference()["ci_low"] == 0})
    return pd.DataFrame(covered).mean()
