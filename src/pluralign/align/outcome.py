"""Who gained and who lost when align tuned a model: one verdict per reward, each from an exact test on the held-out
prompts, with the chance of any false "lost" across the rewards kept at ``ALPHA`` (Holm), and a warning when the
held-out prompts are too few for a loss to show."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import binom

from ..metrics.multiple import holm
from .core import ALPHA, MAXMIN, WORST

LOSS_TO_SHOW = 0.3  # a reward whose win rate fell to 0.3 (it prefers the base's answer on 70% of prompts) ...
POWER = 0.8  # ... should be called lost at least this often, or the run warns that its held-out prompts are too few


def loss_p_value(margins: pd.Series, tolerance: float) -> float:
    """One-sided p-value that a reward lost more than ``tolerance``: its win rate (ties counting a half) below
    0.5 − tolerance. The sign test on the prompts whose answers the reward tells apart (ties carry no sign): given
    D of the n prompts differ, the win rate is 0.5 − tolerance when a differing prompt loses with chance
    0.5 + tolerance·n/D, and the p-value is the binomial chance of at least the observed losses at that chance
    (exact; 1 when no prompt differs or the tolerance exceeds what D prompts can lose)."""
    wins, losses = int((margins > 0).sum()), int((margins < 0).sum())
    differing = wins + losses
    chance = 0.5 + tolerance * len(margins) / differing if differing else 1.0
    return float(binom.sf(losses - 1, differing, chance)) if chance < 1 else 1.0


def gain_p_value(margins: pd.Series) -> float:
    """One-sided p-value that a reward gained (its win rate above 0.5): the sign test, as ``loss_p_value``."""
    wins, losses = int((margins > 0).sum()), int((margins < 0).sum())
    return float(binom.sf(wins - 1, wins + losses, 0.5)) if wins + losses else 1.0


def loss_power(prompts: int, rewards: int, tolerance: float) -> float:
    """The chance that a reward whose true win rate is ``LOSS_TO_SHOW`` (every answer changed) is called lost on
    ``prompts`` held-out prompts, when ``rewards`` rewards can lose (Holm's first step, α / rewards)."""
    losses = np.arange(prompts + 1)
    chance = 0.5 + tolerance
    if chance >= 1:
        return 0.0
    called = binom.sf(losses - 1, prompts, chance) <= ALPHA / rewards
    return float(binom.pmf(losses, prompts, 1 - LOSS_TO_SHOW)[called].sum())


def prompts_needed(rewards: int, tolerance: float, most: int = 5000) -> int | None:
    """The fewest held-out prompts on which ``loss_power`` reaches ``POWER`` (None: not within ``most``)."""
    return next((n for n in range(1, most) if loss_power(n, rewards, tolerance) >= POWER), None)


def outcomes(margins: pd.DataFrame, target: str, tolerance: float, tests: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each reward's verdict, and the worst reward's (``worst reward``), from ``margins``: one row per held-out prompt,
    one column per reward, the tuned answer's reward minus the base's. Columns: ``reward``, ``target`` (for max-min
    the worst row), ``p`` and ``verdict``, ``lost``.

    The target ``gained`` when the sign test says its win rate is above 0.5 (``gain_p_value`` ≤ ``ALPHA``; for
    max-min, every reward's: an intersection-union test), else ``no clear gain``. Every other reward is ``lost`` when
    its ``loss_p_value``, Holm-adjusted across those rewards, is at most ``ALPHA``, else ``no clear loss``; so when
    tuning changes nothing, any reward is called lost in at most 5% of runs. The worst row, when not the target, lost
    when any reward did (its ``p`` the least adjusted one). Warns when the held-out prompts are too few for a loss to
    show (``prompts_needed``). ``tests`` (indexed by reward: ``gain_p``, ``loss_p``) replaces the sign test's p-values
    of the rewards it has, for a test that also carries a reward's own estimation noise (``refit.py``)."""
    rewards = list(margins.columns)
    family = [r for r in rewards if r != target]
    tests = pd.DataFrame(columns=["gain_p", "loss_p"]) if tests is None else tests
    p = dict(zip(family, holm([tests.loss_p[r] if r in tests.index else loss_p_value(margins[r].dropna(), tolerance)
                               for r in family])))
    gains = {r: tests.gain_p[r] if r in tests.index else gain_p_value(margins[r].dropna()) for r in rewards}
    p[WORST] = max(gains.values()) if target == MAXMIN else min(p.values(), default=1.0)
    if target != MAXMIN:
        p[target] = gains[target]
    table = pd.DataFrame({"reward": [*rewards, WORST], "p": [p[r] for r in [*rewards, WORST]]})
    table["target"] = table["reward"] == (WORST if target == MAXMIN else target)
    table["lost"] = ~table["target"] & (table["p"] <= ALPHA)
    table["verdict"] = np.select([table.target & (table.p <= ALPHA), table.target, table.lost],
                                 ["gained", "no clear gain", "lost"], "no clear loss")
    held_out = len(margins)
    if family and loss_power(held_out, len(family), tolerance) < POWER:
        needed = prompts_needed(len(family), tolerance)
        warnings.warn(f"only {held_out} held-out prompts: a reward whose win rate fell to {LOSS_TO_SHOW} would be "
                      f"called lost in {loss_power(held_out, len(family), tolerance):.0%} of runs"
                      + (f"; {needed} prompts make it {POWER:.0%} (hold out more with --eval-share, or give more "
                         "--prompts)" if needed else f" at tolerance {tolerance}") + ", so 'no clear loss' says little")
    return table


def align_summary(metrics: pd.DataFrame, margins: pd.DataFrame, target: str, tolerance: float,
                  tests: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per reward, and for the worst of them when the judge computed it (``worst reward``, the judge's
    maxmin_win_rate, whose interval bounds the lowest true win rate; ``worst`` names it): the win rate of the tuned
    model over the base (with interval and prompts ``n``) beside its ``outcomes`` (target, p, verdict, lost; ``tests``
    as there), the table the CLI and the report print."""
    rows = metrics[(metrics.metric == "win_rate") & (metrics.grouping == "reward") & (metrics.group != "gap")]
    worst = metrics[metrics.metric == "maxmin_win_rate"].assign(worst=lambda t: t["group"], group=WORST)
    table = pd.concat([rows, worst])[["group", "value", "ci_low", "ci_high", "n", "worst"]].rename(
        columns={"group": "reward"}).reset_index(drop=True)
    return table.merge(outcomes(margins[rows["group"].tolist()], target, tolerance, tests), on="reward", how="left")
