"""The spread between training runs (``--seeds N``): the same pairs trained N times with different seeds (LoRA's
initialisation, the order of the pairs), each tuned model judged on the same held-out prompts. A prompt interval says
how much a win rate would move on other prompts for this one tuned model; the spread between seeds says how much it
moves when the training is run again, which that interval does not hold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .core import WORST
from .targets import POLE

SEEDS = "seeds"  # the folder of the runs' other seeds: seeds/<seed>/ holds that seed's checkpoints, model and judge


def seed_folders(path: Path, seed: int, seeds: int) -> list[tuple[int, Path, str]]:
    """(seed, folder, the suffix of its records' keys) of each training: the first in the run's own folder (its
    records keyed as before seeds existed), each other one in ``seeds/<seed>`` (keyed ``trained|<seed>``, ...)."""
    return [(seed, path, ""), *((seed + i, path / SEEDS / str(seed + i), f"|{seed + i}") for i in range(1, seeds))]


def win_rates(margins: pd.DataFrame) -> pd.Series:
    """Each reward's win rate from its margins (one row per prompt: a win 1, a tie a half), and the worst learned
    reward's (``worst reward``; poles mirror each other, so they have none)."""
    rates = (np.sign(margins) / 2 + 0.5).mean()
    learned = [name for name in margins.columns if not str(name).startswith(POLE)]
    return pd.concat([rates, pd.Series({WORST: rates[learned].min()})]) if learned else rates


def seed_spread(per_seed: dict[int, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From each seed's margins: the long table of win rates (seed, reward, win_rate) and, per reward, the spread
    between seeds: ``seeds`` (how many), ``seed_sd`` (the between-seed standard deviation, ddof 1; NaN with one seed)
    and ``seed_low``, ``seed_high`` (the lowest and highest win rate of a seed)."""
    long = pd.concat([win_rates(m).rename("win_rate").rename_axis("reward").reset_index().assign(seed=s)
                      for s, m in per_seed.items()], ignore_index=True)[["seed", "reward", "win_rate"]]
    spread = long.groupby("reward", sort=False)["win_rate"].agg(seeds="count", seed_sd=lambda v: v.std(ddof=1),
                                                                 seed_low="min", seed_high="max").reset_index()
    return long, spread
