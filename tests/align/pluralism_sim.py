"""A simulation of align's pluralism_shift with a known answer, without a language model: a survey's questions asked
of three groups, a base and a tuned model; the tuned model's true shift is ``TRUTH`` per group, a question's
difficulty is shared by both models and every group (what pairing removes), and a question's change is shared by its
groups (so the groups' shifts are correlated, as one model's are)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pluralign.align.pluralism import pluralism_shift

TRUTH = {"a": -0.05, "b": 0.0, "c": 0.0}


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


def shift_coverage(questions: int, replicates: int, seed: int = 11, n_boot: int = 400) -> dict[str, float]:
    """The share of ``replicates`` simulated surveys in which each group's 95% interval, and the overall one, covers
    its true shift."""
    rng = np.random.default_rng(seed)
    truth = {**TRUTH, "all": float(np.mean(list(TRUTH.values())))}
    covered = dict.fromkeys(truth, 0)
    for replicate in range(replicates):
        table = pluralism_shift(simulated_units(questions, rng), "base", "tuned", n_boot=n_boot,
                                seed=replicate).set_index("group")
        for group, value in truth.items():
            covered[group] += int(table.loc[group, "ci_low"] <= value <= table.loc[group, "ci_high"])
    return {group: count / replicates for group, count in covered.items()}
