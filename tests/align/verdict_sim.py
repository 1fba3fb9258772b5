"""Seeded simulations of align's verdicts on runs whose truth is known, shared by the verdict tests
(``test_outcome.py``, ``test_tensions.py``, ``test_stance.py``) and ``benchmarks/verdict_error_rates.py``.

Each goes through align's own functions: ``outcomes`` (who gained, who lost), ``reward_tensions`` with
``tension_reading`` (is there a relation between two rewards' margins) and ``shift_verdicts`` (which groups' stances
moved)."""

from __future__ import annotations

import warnings
from typing import Iterator

import numpy as np
import pandas as pd

from pluralign.align.core import SHIFT_GROUPINGS, reward_tensions, shift_verdicts, tension_reading
from pluralign.align.outcome import outcomes

REWARDS = ["target", "a", "b", "c"]
LANGUAGES = ["en", "de", "fr", "it", "tr", "es", "pt"]
TOPICS = ["immigration", "welfare", "religion", "surrogacy", "disability", "lgbtqi"]


def quiet_outcomes(margins: np.ndarray, target: str = "target", tolerance: float = 0.05) -> pd.DataFrame:
    """The verdicts of one simulated run, ``margins`` (prompts × ``REWARDS``), without the warning about few
    prompts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return outcomes(pd.DataFrame(margins, columns=REWARDS), target, tolerance)


def verdict_margins(rng: np.random.Generator, prompts: int, loss: float = 0.0, unchanged: float = 0.0) -> np.ndarray:
    """Margins (prompts × ``REWARDS``) of a run whose tuning changed nothing the rewards care about (every margin
    symmetric about 0), except reward a's, which loses a share 0.5 + ``loss`` of the prompts whose answer changed; a
    share ``unchanged`` of the prompts keeps its answer (every margin 0)."""
    margins = np.abs(rng.normal(size=(prompts, 4))) * rng.choice([-1, 1], size=(prompts, 4))
    margins[:, 1] = np.abs(margins[:, 1]) * np.where(rng.random(prompts) < 0.5 + loss, -1, 1)
    margins[rng.random(prompts) < unchanged] = 0
    return margins


def simulated_verdicts(runs: int, prompts: int, tolerance: float, seed: int, loss: float = 0.0,
                       unchanged: float = 0.0, target: str = "target") -> pd.DataFrame:
    """One row per simulated run (``verdict_margins``), one column per reward and ``worst reward``: its verdict."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(runs):
        table = quiet_outcomes(verdict_margins(rng, prompts, loss, unchanged), target, tolerance)
        rows.append(dict(zip(table["reward"], table["verdict"])))
    return pd.DataFrame(rows)


def tension_margins(rng: np.random.Generator, prompts: int, unchanged: float) -> pd.DataFrame:
    """Margins of three rewards with no relation between them: independent normals (sd 1), the target ``t`` and
    ``a`` gaining on average, ``b`` losing; the last share ``unchanged`` of the prompts keeps its answer (every
    margin 0)."""
    margins = pd.DataFrame(rng.normal(loc=[1, 1, -1], size=(prompts, 3)), columns=["t", "a", "b"])
    margins.iloc[prompts - round(prompts * unchanged):] = 0
    return margins


def tension_tables(runs: int, prompts: int, unchanged: float, seed: int, target: str | None = "t",
                   n_boot: int = 200) -> Iterator[pd.DataFrame]:
    """``reward_tensions`` of each simulated run (``tension_margins``): the pairs with ``t``, or every pair (as for
    max-min) when ``target`` is None."""
    rng = np.random.default_rng(seed)
    for run in range(runs):
        with warnings.catch_warnings():  # too few differing prompts to read: the table says so too
            warnings.simplefilter("ignore")
            table = reward_tensions(tension_margins(rng, prompts, unchanged), target, n_boot=n_boot, seed=run)
        yield table


def reads_a_relation(table: pd.DataFrame) -> bool:
    """Whether any pair of a ``reward_tensions`` table is read as a trade-off or as gaining together."""
    return any(tension_reading(r.value, r.p) != "no clear relation" for r in table.itertuples())


def statements(per_language: int) -> pd.DataFrame:
    """Statements as the built-in suite spreads them: each language's across the topics and both positions."""
    rows = [{"statement_id": f"{lang}-{i}", "language": lang, "topic": TOPICS[i % len(TOPICS)],
             "position": ["progressive", "conservative"][i % 2]} for lang in LANGUAGES for i in range(per_language)]
    return pd.DataFrame(rows)


def stance_items(table: pd.DataFrame) -> pd.DataFrame:
    """An original item per statement and an English translation per non-English one, grouped by language_variant."""
    translated = table[table["language"] != "en"].assign(variant="translated")
    items = pd.concat([table.assign(variant="original"), translated], ignore_index=True)
    items["prompt_language"] = np.where(items["variant"] == "original", items["language"], "en")
    return items.assign(language_variant=items["language"] + " " + items["variant"])


def shift_verdict_runs(per_language: int, runs: int, seed: int, skewed: bool = False, noise: float = 0.05,
                       moved: float = 0.0) -> Iterator[pd.DataFrame]:
    """``shift_verdicts`` of simulated runs on ``per_language`` statements of each language: every item's shift is its
    statement's effect (sd 0.05, normal, or with ``skewed`` a centred exponential) plus its own noise (normal, sd
    ``noise``), both centred on 0, plus ``moved`` (0: tuning moved no stance). Each run's bootstrap draws its own
    resamples (seeded by the run's number)."""
    rng = np.random.default_rng(seed)
    items = stance_items(statements(per_language))
    statement = items["statement_id"].astype("category").cat.codes.to_numpy()
    for run in range(runs):
        count = statement.max() + 1
        effect = rng.exponential(0.05, count) - 0.05 if skewed else rng.normal(0, 0.05, count)
        shifts = items.assign(shift=effect[statement] + rng.normal(0, noise, len(items)) + moved,
                              statement_id=statement)
        yield shift_verdicts(shifts, SHIFT_GROUPINGS, set(), seed=run)
