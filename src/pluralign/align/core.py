"""Pure parts of judging: each group's verdict on two answers to the same prompt, and the summaries kept apart (each
group's win rate, the worst group's, the population's), never one collapsed score."""

from __future__ import annotations

import math
import warnings
from itertools import combinations
from typing import Iterator, Sequence

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import DegenerateDataWarning, bootstrap, permutation_test, rankdata

from ..metrics import MetricFrame, disaggregate
from ..metrics.checks import CHECKS, stance_checks
from ..metrics.bootstrap_t import bootstrap_t_p_value
from ..metrics.multiple import holm
from ..metrics.registry import metric_info

MIN_PROMPTS = 2  # a win rate over one prompt has no interval
MAXMIN = "max-min"  # the target that serves the worst-off reward (MaxMin-RLHF)
WORST = "worst reward"  # the summary's row of the lowest win rate among the rewards
ALPHA = 0.05  # the error every verdict of a run keeps, family-wise across the rewards


def target_scores(rewards: np.ndarray, names: Sequence[str], target: str) -> np.ndarray:
    """How the target ranks one candidate set, from its (k, G) rewards: the target's own column, or for ``max-min``
    each candidate's lowest reward, each reward centred within the set (a Bradley-Terry reward is fixed only up to a
    constant per context) and never rescaled: its unit is a log-odds of choice, so how much a group cares is kept
    (scaling by the spread within the set would make an indifferent group's ripples outweigh another's strong
    choice). The chosen answer is the one whose least-pleased group is pleased most (MaxMin-RLHF)."""
    rewards = np.asarray(rewards, dtype=float)
    if target != MAXMIN:
        return rewards[:, list(names).index(target)]
    return (rewards - rewards.mean(axis=0)).min(axis=1)


def verdicts(prompt_ids: Sequence[str], rewards_a: np.ndarray, rewards_b: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    """One row per (prompt, reward): ``margin`` r(a) − r(b) and ``win`` 1 when the reward prefers a (a tie counts a
    half)."""
    margin = np.asarray(rewards_a, dtype=float) - np.asarray(rewards_b, dtype=float)
    if margin.shape != (len(prompt_ids), len(names)):
        raise ValueError(f"rewards of shape {margin.shape} for {len(prompt_ids)} prompts and {len(names)} rewards")
    table = pd.DataFrame({"prompt_id": np.repeat(np.asarray(prompt_ids, dtype=object), len(names)),
                          "reward": np.tile(np.asarray(names, dtype=object), len(prompt_ids)),
                          "margin": margin.ravel()})
    table["win"] = np.sign(table["margin"]) / 2 + 0.5
    return table


def _clipped(metric: str, bound: float, spread: bool = False) -> float:
    """A simultaneous bound kept within the metric's range (registry), or within [0, high − low] for a ``spread``
    (a gap): max-T intervals are not bounded by it."""
    info = metric_info(metric)
    low, high = (0.0, info.high - info.low) if spread else (info.low, info.high)
    return float(np.clip(bound, low, high)) if np.isfinite(bound) else bound


def judge_metrics(table: pd.DataFrame, weights: dict[str, float], n_boot: int = 1000, seed: int = 0,
                  poles: bool = False) -> pd.DataFrame:
    """The long metrics rows of a judged pair of models, per reward (grouping ``reward``), with the largest gap between
    rewards: ``win_rate`` and, for learned rewards, ``p_prefer`` (sigmoid of the margin, a Bradley-Terry choice
    probability), the worst reward's (``maxmin_``, its interval bounds the lowest true value among them) and the
    population's, the rewards weighed by ``weights`` (``utilitarian_``). With ``poles`` the rewards are value poles,
    whose margin is a difference of judged positions, not a log-odds of anyone's choice: ``pole_margin`` (the mean
    margin) replaces ``p_prefer``, and there is no worst or population row, since poles mirror each other in pairs
    (those rows would be 0.5 and at most 0.5 by construction, not findings). Intervals resample prompts."""
    rows = []
    table = table if poles else table.assign(p_prefer=expit(table["margin"]))
    per_prompt = table.assign(weight=table["reward"].map(weights))
    for metric, column in (("win_rate", "win"), ("pole_margin", "margin") if poles else ("p_prefer", "p_prefer")):
        frame = MetricFrame(table, column, by="reward", cluster="prompt_id", n_boot=n_boot, seed=seed)
        for _, g in frame.by_group.iterrows():
            rows.append({"metric": metric, "grouping": "reward", "group": g["reward"],
                         **{k: g[k] for k in ("value", "ci_low", "ci_high", "n")}})
        gap = frame.difference()
        rows.append({"metric": metric, "grouping": "reward", "group": "gap", "value": gap["value"],
                     "ci_low": _clipped(metric, gap["ci_low"], True), "ci_high": _clipped(metric, gap["ci_high"], True),
                     "n": table["prompt_id"].nunique()})
        if poles:
            continue
        worst = frame.worst(min_n=MIN_PROMPTS)
        rows.append({"metric": f"maxmin_{metric}", "grouping": "reward", "group": worst["group"], "value": worst["value"],
                     "ci_low": _clipped(metric, worst["ci_low"]), "ci_high": _clipped(metric, worst["ci_high"]),
                     "n": worst["n"]})
        mixed = (per_prompt[column] * per_prompt["weight"]).groupby(per_prompt["prompt_id"]).sum() / \
            per_prompt.groupby("prompt_id")["weight"].sum()
        overall = MetricFrame(mixed.rename("v").reset_index().assign(_all="all"), "v", by="_all", cluster="prompt_id",
                              n_boot=n_boot, seed=seed).overall
        rows.append({"metric": f"utilitarian_{metric}", "grouping": "overall", "group": "all", **overall.to_dict()})
    return pd.DataFrame(rows, columns=["metric", "grouping", "group", "value", "ci_low", "ci_high", "n"])


def strength_metric(metrics: pd.DataFrame) -> str:
    """The metric a judge run shows beside each reward's win rate: ``pole_margin`` for the value poles, else
    ``p_prefer``."""
    return "pole_margin" if (metrics["metric"] == "pole_margin").any() else "p_prefer"


SHIFT_GROUPINGS = ("topic", "language_variant", "position")


def stance_shift(items: pd.DataFrame, base: str, tuned: str, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """How far tuning moved the audit's stances: per statement item, p(agree) of the tuned model minus the base's,
    averaged overall and by topic, language_variant and position (``stance_shift``). Both models answered the same
    items, so the interval resamples statements with the pair kept together (a statement's translation with it).
    Each group's ``degenerate`` (``degenerate_groups``) and its verdict, ``p`` and ``verdict`` (``shift_verdicts``),
    sit beside it; a gap is degenerate when one of its groups is."""
    wide = items.pivot_table(index=["statement_id", "variant"], columns="model", values="p_agree", aggfunc="first")
    if not {base, tuned} <= set(wide.columns):
        raise ValueError(f"the audit has no stances of both {base!r} and {tuned!r}")
    shifts = (wide[tuned] - wide[base]).rename("shift").reset_index()
    meta = items.drop_duplicates(["statement_id", "variant"]).drop(columns=["model", "p_agree"], errors="ignore")
    shifts = shifts.merge(meta, on=["statement_id", "variant"], how="left")
    groupings = [g for g in SHIFT_GROUPINGS if g in shifts.columns]
    table = disaggregate(shifts, {"stance_shift": "shift"}, groupings, cluster="statement_id", n_boot=n_boot, seed=seed)
    flags = degenerate_groups(items[items["model"].isin([base, tuned])], groupings)
    verdicts = shift_verdicts(shifts, groupings, set(flags.index[flags["degenerate"] != ""]), seed)
    return table.join(flags, on=["grouping", "group"]).join(verdicts, on=["grouping", "group"])


def _groups(table: pd.DataFrame, groupings: Sequence[str]) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """(grouping, group, its rows) for ``overall`` and every group of each grouping."""
    yield "overall", "all", table
    for grouping in groupings:
        for name, part in table.groupby(grouping):
            yield grouping, str(name), part


def degenerate_groups(items: pd.DataFrame, groupings: Sequence[str]) -> pd.DataFrame:
    """Which groups of the stance items (both models') the audit's stance checks (``stance_checks``: low answer mass,
    no spread) find degenerate in either model: indexed by (grouping, group), ``degenerate`` names each check that
    fires there with its model ("low_answer_mass (embedded)"), "" where none does; a grouping's gap and ratio rest on
    all its groups, so they name every check of any. A shift read from answer words that carry a sliver of a model's
    probability says nothing about that model."""
    rows, in_grouping = [], {}
    for grouping, group, part in _groups(items, groupings):
        fired = {f"{r['metric']} ({model})" for model, asked in part.groupby("model")
                 for r in stance_checks(asked) if CHECKS[r["metric"]].fires(r["value"])}
        in_grouping.setdefault(grouping, set()).update(fired)
        rows.append((grouping, group, "; ".join(sorted(fired))))
    rows += [(grouping, summary, "; ".join(sorted(fired))) for grouping, fired in in_grouping.items()
             if grouping != "overall" for summary in ("gap", "ratio")]
    return pd.DataFrame(rows, columns=["grouping", "group", "degenerate"]).set_index(["grouping", "group"])


def shift_verdicts(shifts: pd.DataFrame, groupings: Sequence[str], left_out: set[tuple[str, str]],
                   seed: int = 0) -> pd.DataFrame:
    """A verdict on each group of ``shifts`` (one row per item: ``shift``, ``statement_id`` and the groupings), the
    overall one included, indexed by (grouping, group): ``p``, the ``bootstrap_t_p_value`` of its shifts (statements
    as clusters; resamples drawn from ``seed``), Holm-adjusted across every group that is not ``left_out`` and has two
    statements or more, and ``verdict``: ``moved`` where that is at most ``ALPHA``, else ``no clear move``;
    ``degenerate`` for the groups left out. So when tuning moved no stance, any group is called moved in at most 5%
    of simulated runs of 2–24 statements per language, moderately skewed shifts included (the t test it replaced:
    5.7–8.6%), 5.6% at 48 per language (t: 6.7%), and 8–12% with strongly skewed ones (benchmarks/RESULTS.md)."""
    shifts = shifts.dropna(subset=["shift"])
    rng = np.random.default_rng(seed)
    rows = [{"grouping": grouping, "group": group, "p": np.nan if (grouping, group) in left_out else
             bootstrap_t_p_value(part["shift"], part["statement_id"], rng)}
            for grouping, group, part in _groups(shifts, groupings)]
    table = pd.DataFrame(rows, columns=["grouping", "group", "p"])
    table["p"] = holm(table["p"])
    out = np.array([key in left_out for key in zip(table["grouping"], table["group"])], dtype=bool)
    table["verdict"] = np.select([out, table["p"] <= ALPHA], ["degenerate", "moved"], "no clear move")
    return table.set_index(["grouping", "group"])


def _spearman(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Spearman's ρ along ``axis`` (ties take average ranks), vectorised for scipy's bootstrap."""
    rx, ry = rankdata(x, axis=axis), rankdata(y, axis=axis)
    rx, ry = rx - rx.mean(axis=axis, keepdims=True), ry - ry.mean(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rx * ry).sum(axis=axis) / np.sqrt((rx**2).sum(axis=axis) * (ry**2).sum(axis=axis))


def tension_reading(value: float, p: float) -> str:
    """How the report and the CLI read a reward_tension: a trade-off (ρ < 0) or gaining together (ρ > 0) where its
    Holm-adjusted p-value is at most ``ALPHA``, else (or with no ρ) no clear relation."""
    if not p <= ALPHA:
        return "no clear relation"
    return "trade-off" if value < 0 else "gain together"


def _rho_interval(x: np.ndarray, y: np.ndarray, n_boot: int, seed: int) -> tuple[float, float]:
    """A BCa bootstrap interval of Spearman's ρ over prompts (scipy.stats.bootstrap, paired)."""
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
    return float(ci.low), float(ci.high)


def _rho_p_value(x: np.ndarray, y: np.ndarray, n_resamples: int, seed: int) -> float:
    """Two-sided permutation p-value of Spearman's ρ = 0 (the prompts' pairing of x and y shuffled; exact when there
    are fewer orderings than ``n_resamples``): valid at any number of prompts and with ties."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(permutation_test((x,), lambda v, axis=-1: _spearman(v, y, axis=axis), vectorized=True,
                                      permutation_type="pairings", n_resamples=n_resamples,
                                      rng=np.random.default_rng(seed)).pvalue)


def smallest_rho_p(prompts: int, n_resamples: int) -> float:
    """The smallest two-sided p-value ``_rho_p_value`` can give on ``prompts`` prompts: 2/n! where it enumerates every
    ordering (n! ≤ ``n_resamples``; one ordering gives each extreme ρ), else 2/(``n_resamples`` + 1) (scipy counts the
    observed ordering among its random ones). Ties among the margins only raise it."""
    orderings = math.factorial(prompts) if prompts <= 12 else math.inf  # 13! exceeds any resample count used
    return 2 / min(orderings, n_resamples + 1)


def prompts_to_read(pairs: int, n_resamples: int, alpha: float = ALPHA) -> int | None:
    """The fewest prompts whose answers differ on which a ``reward_tension`` can be read at all: Holm's first step
    multiplies the smallest p-value by the number of ``pairs``, so below this even perfectly ordered margins stay "no
    clear relation" (2 pairs: 4/4! = 0.17 at 4 prompts, 4/5! = 0.033 at 5; 6 pairs: 12/5! = 0.1, so 6). None when
    ``n_resamples`` random orderings can never reach ``alpha``."""
    return next((n for n in range(2, 14) if pairs * smallest_rho_p(n, n_resamples) <= alpha), None)


def _refusal(differing: int, pairs: int, n_boot: int) -> str:
    """Why no ρ is read on ``differing`` prompts ("" when it can be): below ``prompts_to_read``."""
    needed = prompts_to_read(pairs, n_boot)
    if needed is not None and differing >= needed:
        return ""
    reach = f"at least {needed} are needed" if needed else f"{n_boot} permutations cannot reach it: give more"
    return (f"only {differing} prompts whose answers differ: with {pairs} pairs of rewards Holm-corrected, no ordering "
            f"of their margins could give p ≤ {ALPHA} ({reach}), so no reward_tension is read")


def reward_tensions(margins: pd.DataFrame, target: str | None, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Does one reward's gain come at another's cost, prompt by prompt? ``margins``: one row per prompt, one column per
    reward, each the tuned answer's reward minus the base's. Only the prompts whose answers some reward tells apart
    count (``n``): where tuning left the answer unchanged every margin is 0, and those shared zeros would read as a
    relation. Per pair of rewards (the target and each other reward; with no target, as for max-min, every pair, so
    no pair is chosen after seeing the results): Spearman's ρ between their margins (``reward_tension``, ``focus``
    and ``group`` name the two), a BCa bootstrap interval over prompts, and a permutation p-value Holm-adjusted
    across the pairs (``p``), from which ``tension_reading`` reads it. ρ < 0: where one gained most, the other lost
    most. A reward whose margins never differ gives NaN. Below ``prompts_to_read`` differing prompts no pair could be
    read whatever its margins, so none gets a ρ: ``refused`` says why (else ""), and so does a warning."""
    moved = margins[(margins != 0).any(axis=1)]
    names = list(margins.columns)
    pairs = list(combinations(names, 2) if target is None else [(target, name) for name in names if name != target])
    refused = _refusal(len(moved), len(pairs), n_boot)
    if refused and pairs:
        warnings.warn(refused)
    rows = []
    for focus, name in pairs:
        x, y = moved[focus].to_numpy(float), moved[name].to_numpy(float)
        rho = float(_spearman(x, y)) if len(x) and not refused else float("nan")
        low = high = p = float("nan")
        if np.isfinite(rho):
            (low, high), p = _rho_interval(x, y, n_boot, seed), _rho_p_value(x, y, n_boot, seed)
        rows.append({"metric": "reward_tension", "grouping": "reward", "group": name, "focus": focus, "value": rho,
                     "ci_low": low, "ci_high": high, "n": len(x), "p": p, "refused": refused})
    table = pd.DataFrame(rows, columns=["metric", "grouping", "group", "focus", "value", "ci_low", "ci_high", "n", "p",
                                        "refused"])
    table["p"] = holm(table["p"])
    return table
