"""Simulations of align's pluralism_shift with a known answer, without a language model.

- Survey measures: a survey's questions asked of three groups, a base and a tuned model; the tuned model's true shift
  is ``TRUTH`` per group, a question's difficulty is shared by both models and every group (what pairing removes), and
  a question's change is shared by its groups (so the groups' shifts are correlated, as one model's are).
- Overton coverage: each prompt's value map has 2 to 6 entries, and the prompt its own chance (0.1 to 0.9, shared by
  both models) that an answer takes an entry into account; the tuned model's chance is ``OVERTON_TRUTH`` lower, so
  its expected share of the map is exactly that much lower. Shares of a few entries are coarse (0, 1/3, 2/3, 1),
  and a difference of two can reach ±1: the case where an interval on few prompts runs out of [−1, 1].
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from pluralign.align.pluralism import pluralism_shift

TRUTH = {"a": -0.05, "b": 0.0, "c": 0.0}
OVERTON_TRUTH = -0.1


def simulated_units(questions: int, rng: np.random.Generator) -> pd.DataFrame:
    """One simulated survey's ``survey_units``: steered_alignment of both models per question and group."""
    difficulty, change = rng.normal(0.6, 0.15, questions), rng.normal(0, 0.06, questions)
    rows = []
    for i in range(questions):
        for group, shift in TRUTH.items():
            base = difficulty[i] + rng.normal(0, 0.04)
            rows += [{"model": "base", "measure": "steered_alignment", "unit": f"q{i}", "group": group, "value": base},
                     {"model": "tuned", "measure": "steered_alignment", "unit": f"q{i}", "group": group,
                      "value": base + shift + change[i] + rng.normal(0, 0.04)}]
    return pd.DataFrame(rows)


def simulated_overton(prompts: int, rng: np.random.Generator) -> pd.DataFrame:
    """One simulated align run's ``overton_units``: overton_coverage of both models' answers per prompt."""
    entries = rng.integers(2, 7, prompts)
    chance = rng.uniform(0.1, 0.9, prompts)
    shares = {model: rng.binomial(entries, chance + shift) / entries
              for model, shift in (("base", 0.0), ("tuned", OVERTON_TRUTH))}
    return pd.DataFrame([{"model": model, "measure": "overton_coverage", "unit": f"p{i}", "group": np.nan,
                          "value": share[i]} for model, share in shares.items() for i in range(prompts)])


def interval_coverage(simulate: Callable[[int, np.random.Generator], pd.DataFrame], truth: dict[str, float],
                      units: int, replicates: int, seed: int = 11, n_boot: int = 400) -> pd.DataFrame:
    """Per group of ``truth`` ("all": the overall row): the share of ``replicates`` simulated runs of ``units``
    questions or prompts whose 95% interval covers the true shift (``coverage``), and the intervals' median width."""
    rng = np.random.default_rng(seed)
    covered, widths = dict.fromkeys(truth, 0), {group: [] for group in truth}
    for replicate in range(replicates):
        table = pluralism_shift(simulate(units, rng), "base", "tuned", n_boot=n_boot, seed=replicate).set_index("group")
        for group, value in truth.items():
            covered[group] += int(table.loc[group, "ci_low"] <= value <= table.loc[group, "ci_high"])
            widths[group].append(table.loc[group, "ci_high"] - table.loc[group, "ci_low"])
    return pd.DataFrame({"group": list(truth), "coverage": [covered[g] / replicates for g in truth],
                         "width": [float(np.median(widths[g])) for g in truth]})


def shift_coverage(questions: int, replicates: int, seed: int = 11, n_boot: int = 400) -> dict[str, float]:
    """The share of ``replicates`` simulated surveys in which each group's 95% interval, and the overall one, covers
    its true shift."""
    truth = {**TRUTH, "all": float(np.mean(list(TRUTH.values())))}
    table = interval_coverage(simulated_units, truth, questions, replicates, seed, n_boot)
    return dict(zip(table["group"], table["coverage"]))


def overton_coverage(prompts: int, replicates: int, seed: int = 11, n_boot: int = 400) -> pd.DataFrame:
    """``interval_coverage`` of overton_coverage_shift on simulated prompts (its one group, "all")."""
    return interval_coverage(simulated_overton, {"all": OVERTON_TRUTH}, prompts, replicates, seed, n_boot)
