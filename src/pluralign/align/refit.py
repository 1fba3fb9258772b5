"""An independent reward's verdict that carries the reward's own noise. A reward learned from a few people is an
estimate: fitted on other people of the same population it would prefer the tuned answers on some prompts and the
base's on others. A sign test over the held-out prompts holds its error for the reward as fitted, not over the people
it was learned from (in ``tests/align/crossfit_sim.py`` it called a gain where no one gains in 16.5–17.5% of runs at
its 5%). Here each bootstrap replicate resamples the reward's people crossed with its prompts, fits the reward again
(``CrossFit.refits``) and resamples the held-out prompts, so the interval and the verdict hold both. A reward learned
from fewer than ``FEW_PEOPLE`` people gets neither: a resample of so few barely varies (one person is drawn whole every
time), so it would miss the very noise it is there for."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..estimators.crossfit import CrossFit
from ..metrics.checks import FEW_PEOPLE, check_row

REPLICATES = 200  # refits per evaluation: a p-value's resolution is 1/201, below Holm's α/3 for three rewards


def judging_people(crossfit: CrossFit, names: Sequence[str]) -> list[int]:
    """How many people's choices each reward ``names`` of ``crossfit`` was learned from: its group's people for a group
    reward (the deviation a group's reward adds is learned from them alone), everyone's for one shared reward."""
    choices = crossfit.choices
    groups = None if choices.group is None else choices.group.astype(str)
    return [len(np.unique(choices.annotator if groups is None or name not in groups else
                          choices.annotator[groups == name])) for name in names]


def refit_signs(crossfit: CrossFit, names: Sequence[str], contexts: Sequence, model: Sequence[str],
                against: Sequence[str], seed: int, replicates: int = REPLICATES) -> np.ndarray:
    """(replicates, prompts, len(names)): the sign of each prompt's tuned answer's reward minus the base's, under
    each reward ``names`` of ``crossfit`` fitted again on a resample of its people and prompts, drawn by ``seed`` (1
    the tuned answer wins, −1 it loses, 0 a tie: identical answers tie under every refit)."""
    rewards = crossfit.rewards
    difference = rewards.features(contexts, model) - rewards.features(contexts, against)
    coef = crossfit.refits(replicates, seed)[:, [rewards.names.index(n) for n in names]]
    return np.sign(np.einsum("nd,bld->bnl", difference, coef)).astype(int)


def refit_tests(signs: np.ndarray, replicates: np.ndarray, names: Sequence[str], tolerance: float, seed: int,
                people: Sequence[int] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From each prompt's sign under each reward as fitted (``signs``, (prompts, L)) and under each refit
    (``replicates``, ``refit_signs``): the metrics rows (``win_rate`` per reward, ``maxmin_win_rate`` of the worst,
    shaped as ``judge_metrics``') and, indexed by reward, the p-values ``outcomes`` takes (``gain_p``, ``loss_p``).

    Replicate b draws the held-out prompts with replacement (by ``seed``) and reads the win rates (a tie a half) under
    refit b. The interval is the 2.5th to 97.5th percentile of a reward's replicate win rates (of their least, for the
    worst); ``gain_p`` is the share of replicates whose win rate is at most 0.5, ``loss_p`` the share at least
    0.5 − ``tolerance``, each (1 + count) / (1 + replicates), the percentile bootstrap's one-sided test. A reward
    learned from fewer than ``FEW_PEOPLE`` of ``people`` (per reward; None: enough) gets no interval (NaN) and
    p-values of 1 (no verdict can be drawn), and the worst's interval none either."""
    count, prompts, _ = replicates.shape
    draws = np.random.default_rng(seed).multinomial(prompts, np.full(prompts, 1 / prompts), size=count)
    rates = np.einsum("bn,bnl->bl", draws, replicates / 2 + 0.5) / prompts
    observed = (np.asarray(signs) / 2 + 0.5).mean(axis=0)
    few = np.asarray(people if people is not None else [FEW_PEOPLE] * len(names)) < FEW_PEOPLE
    low, high = (np.where(few, np.nan, np.percentile(rates, q, axis=0)) for q in (2.5, 97.5))
    worst = int(np.argmin(observed))
    rows = [{"metric": "win_rate", "grouping": "reward", "group": name, "value": observed[j], "ci_low": low[j],
             "ci_high": high[j], "n": prompts} for j, name in enumerate(names)]
    least = rates.min(axis=1)
    rows.append({"metric": "maxmin_win_rate", "grouping": "reward", "group": names[worst], "value": observed[worst],
                 "ci_low": np.nan if few.any() else np.percentile(least, 2.5),
                 "ci_high": np.nan if few.any() else np.percentile(least, 97.5), "n": prompts})
    tests = pd.DataFrame({"gain_p": np.where(few, 1.0, (1 + (rates <= 0.5).sum(axis=0)) / (1 + count)),
                          "loss_p": np.where(few, 1.0, (1 + (rates >= 0.5 - tolerance).sum(axis=0)) / (1 + count))},
                         index=list(names))
    return pd.DataFrame(rows), tests


def people_checks(names: Sequence[str], people: Sequence[int]) -> list[dict]:
    """One ``few_judging_people`` check row per learned independent reward: how many people it was learned from
    (it fires below ``FEW_PEOPLE``, where ``refit_tests`` draws no interval or verdict)."""
    return [check_row("few_judging_people", n, n, name) for name, n in zip(names, people)]
