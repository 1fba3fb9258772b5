"""Pure parts of judging: each group's verdict on two answers to the same prompt, and the summaries kept apart (each
group's win rate, the worst group's, the population's), never one collapsed score."""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import DegenerateDataWarning, bootstrap, rankdata

from ..metrics import MetricFrame, disaggregate

MIN_PROMPTS = 2  # a win rate over one prompt has no interval
MAXMIN = "max-min"  # the target that serves the worst-off reward (MaxMin-RLHF)
WORST = "worst reward"  # the summary's row of the lowest win rate among the rewards


def target_scores(rewards: np.ndarray, names: Sequence[str], target: str) -> np.ndarray:
    """How the target ranks one candidate set, from its (k, G) rewards: the target's own column, or for ``max-min``
    each candidate's worst standardised reward (each reward's scores centred and scaled within the set, since a
    Bradley-Terry reward has no common zero or unit across groups), so the chosen answer is the one whose
    least-pleased group is pleased most."""
    rewards = np.asarray(rewards, dtype=float)
    if target != MAXMIN:
        return rewards[:, list(names).index(target)]
    spread = rewards.std(axis=0)
    z = np.divide(rewards - rewards.mean(axis=0), spread, out=np.zeros_like(rewards), where=spread > 0)
    return z.min(axis=1)


def verdicts(prompt_ids: Sequence[str], rewards_a: np.ndarray, rewards_b: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    """One row per (prompt, reward): ``margin`` r(a) − r(b), ``p_prefer`` sigmoid(margin), the Bradley-Terry
    probability that the group prefers a, and ``win`` 1 when it does (a reward's tie counts a half)."""
    margin = np.asarray(rewards_a, dtype=float) - np.asarray(rewards_b, dtype=float)
    if margin.shape != (len(prompt_ids), len(names)):
        raise ValueError(f"rewards of shape {margin.shape} for {len(prompt_ids)} prompts and {len(names)} rewards")
    table = pd.DataFrame({"prompt_id": np.repeat(np.asarray(prompt_ids, dtype=object), len(names)),
                          "reward": np.tile(np.asarray(names, dtype=object), len(prompt_ids)),
                          "margin": margin.ravel()})
    table["p_prefer"] = expit(table["margin"])
    table["win"] = np.sign(table["margin"]) / 2 + 0.5
    return table


def _unit(bound: float) -> float:
    return float(np.clip(bound, 0.0, 1.0)) if np.isfinite(bound) else bound


def judge_metrics(table: pd.DataFrame, weights: dict[str, float], n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """The long metrics rows of a judged pair of models: ``win_rate`` and ``p_prefer`` per reward (grouping
    ``reward``), with the largest gap between rewards; the worst reward's (``maxmin_``, its interval bounds the lowest
    true value among them) and the population's, the rewards weighed by ``weights`` (``utilitarian_``). Intervals
    resample prompts."""
    rows = []
    per_prompt = table.assign(weight=table["reward"].map(weights))
    for metric, column in (("win_rate", "win"), ("p_prefer", "p_prefer")):
        frame = MetricFrame(table, column, by="reward", cluster="prompt_id", n_boot=n_boot, seed=seed)
        for _, g in frame.by_group.iterrows():
            rows.append({"metric": metric, "grouping": "reward", "group": g["reward"],
                         **{k: g[k] for k in ("value", "ci_low", "ci_high", "n")}})
        # simultaneous intervals are not bounded by the metric's range; a share's gap and minimum lie in [0, 1]
        gap, worst = frame.difference(), frame.worst(min_n=MIN_PROMPTS)
        rows.append({"metric": metric, "grouping": "reward", "group": "gap", "value": gap["value"],
                     "ci_low": _unit(gap["ci_low"]), "ci_high": _unit(gap["ci_high"]), "n": table["prompt_id"].nunique()})
        rows.append({"metric": f"maxmin_{metric}", "grouping": "reward", "group": worst["group"], "value": worst["value"],
                     "ci_low": _unit(worst["ci_low"]), "ci_high": _unit(worst["ci_high"]), "n": worst["n"]})
        mixed = (per_prompt[column] * per_prompt["weight"]).groupby(per_prompt["prompt_id"]).sum() / \
            per_prompt.groupby("prompt_id")["weight"].sum()
        overall = MetricFrame(mixed.rename("v").reset_index().assign(_all="all"), "v", by="_all", cluster="prompt_id",
                              n_boot=n_boot, seed=seed).overall
        rows.append({"metric": f"utilitarian_{metric}", "grouping": "overall", "group": "all", **overall.to_dict()})
    return pd.DataFrame(rows, columns=["metric", "grouping", "group", "value", "ci_low", "ci_high", "n"])


def stance_shift(items: pd.DataFrame, base: str, tuned: str, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """How far tuning moved the audit's stances: per statement item, p(agree) of the tuned model minus the base's,
    averaged overall and by topic, language and position (``stance_shift``). Both models answered the same items,
    so the interval resamples statements with the pair kept together (a statement's translation with it)."""
    wide = items.pivot_table(index=["statement_id", "variant"], columns="model", values="p_agree", aggfunc="first")
    if not {base, tuned} <= set(wide.columns):
        raise ValueError(f"the audit has no stances of both {base!r} and {tuned!r}")
    shifts = (wide[tuned] - wide[base]).rename("shift").reset_index()
    meta = items.drop_duplicates(["statement_id", "variant"]).drop(columns=["model", "p_agree"], errors="ignore")
    shifts = shifts.merge(meta, on=["statement_id", "variant"], how="left")
    groupings = [g for g in ("topic", "language", "position") if g in shifts.columns]
    return disaggregate(shifts, {"stance_shift": "shift"}, groupings, cluster="statement_id", n_boot=n_boot, seed=seed)


def _spearman(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Spearman's ρ along ``axis`` (ties take average ranks), vectorised for scipy's bootstrap."""
    rx, ry = rankdata(x, axis=axis), rankdata(y, axis=axis)
    rx, ry = rx - rx.mean(axis=axis, keepdims=True), ry - ry.mean(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rx * ry).sum(axis=axis) / np.sqrt((rx**2).sum(axis=axis) * (ry**2).sum(axis=axis))


def tension_reading(ci_low: float, ci_high: float) -> str:
    """How the report and the CLI read a reward_tension interval: wholly below 0 a trade-off, wholly above 0 the two
    gain together, else (or with no interval) no clear relation."""
    return "trade-off" if ci_high < 0 else "gain together" if ci_low > 0 else "no clear relation"


def reward_tensions(margins: pd.DataFrame, target: str, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Does the target's gain come at another reward's cost, prompt by prompt? ``margins``: one row per prompt, one
    column per reward, each the tuned answer's reward minus the base's. Per other reward: Spearman's ρ between its
    margins and the target's over the prompts (``reward_tension``), with a BCa bootstrap interval over prompts
    (scipy.stats.bootstrap). ρ < 0: where the target gained most, this reward lost most. A reward whose margins
    never differ (or fewer than 3 prompts) gives NaN."""
    rows = []
    for name in [c for c in margins.columns if c != target]:
        x, y = margins[target].to_numpy(float), margins[name].to_numpy(float)
        rho = float(_spearman(x, y))
        low = high = float("nan")
        if len(x) >= 3 and np.isfinite(rho):
            def interval(method: str):
                return bootstrap((x, y), _spearman, paired=True, vectorized=True, n_resamples=n_boot, method=method,
                                 rng=np.random.default_rng(seed)).confidence_interval

            with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
                warnings.simplefilter("error", DegenerateDataWarning)
                try:
                    ci = interval("BCa")
                except DegenerateDataWarning:  # every resample gives one ρ (margins exactly opposed, say), or few
                    # prompts leave resamples without a ρ: BCa is undefined, the percentile interval is that ρ (NaN
                    # when the resamples give none)
                    warnings.simplefilter("ignore", DegenerateDataWarning)
                    ci = interval("percentile")
            low, high = float(ci.low), float(ci.high)
        rows.append({"metric": "reward_tension", "grouping": "reward", "group": name, "value": rho, "ci_low": low,
                     "ci_high": high, "n": len(x)})
    return pd.DataFrame(rows, columns=["metric", "grouping", "group", "value", "ci_low", "ci_high", "n"])
