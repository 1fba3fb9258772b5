"""The judge report: each group's win rate of one model's answers over another's, the worst group's and the
population's side by side, and the answers they were judged on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..jobs import ItemView, Section, Tables, item_fields, rows_of
from ..report.figures import interval_bars, pyplot, to_svg
from ..report.html import check_context, write_page
from .core import strength_metric, tension_reading

SHOWN = 12  # prompts whose two answers the report prints


def pair_table(answers: pd.DataFrame, verdicts: pd.DataFrame) -> pd.DataFrame:
    """One row per judged prompt: its two answers and how many rewards prefer A's (the viewer's list of items)."""
    texts = answers.pivot(index="prompt_id", columns="role", values="text")
    first = answers.drop_duplicates("prompt_id").set_index("prompt_id")[["language", "prompt"]]
    wins = verdicts.groupby("prompt_id")["win"].agg(prefer_a=lambda w: int((w == 1).sum()), rewards="size")
    table = first.join(texts.rename(columns={"model": "answer_a", "against": "answer_b"})).join(wins, how="inner")
    return table.reset_index()[["prompt_id", "language", "prompt", "answer_a", "answer_b", "prefer_a", "rewards"]]


def _detail(tables: Tables, item: str) -> tuple[dict, list[Section]]:
    """A prompt: its two answers, and each reward's verdict on them."""
    head = item_fields(tables, "pairs.parquet", "prompt_id", item)
    rows = rows_of(tables, "verdicts.parquet", "prompt_id", item)
    return head, [Section("Each reward's verdict (margin: reward of A's answer minus B's)",
                          rows if rows is not None else pd.DataFrame())]


ITEMS = ItemView("pairs.parquet", "prompt_id", ("prompt_id", "language", "prompt", "prefer_a", "rewards"),
                 ("language",), _detail)


def write_judge_report(run_dir: Path, manifest: dict, metrics: pd.DataFrame, verdicts: pd.DataFrame,
                       answers: pd.DataFrame) -> Path:
    """Render ``report.html`` for a judge run and return its path."""
    second = strength_metric(metrics)
    per_reward = metrics[(metrics.grouping == "reward") & metrics.metric.isin(["win_rate", second])]
    rewards = per_reward[(per_reward.group != "gap") & (per_reward.metric != "pole_margin")]  # a margin is not a share
    figure = interval_bars(rewards, "group", "metric", "", "win rate of A over B", (0, 1))
    rows = [{"reward": name, **{m: part[part.metric == m].iloc[0].to_dict() for m in ("win_rate", second)}}
            for name, part in per_reward.groupby("group", sort=False)]
    summaries = metrics[metrics.metric.str.startswith(("maxmin_", "utilitarian_"))].to_dict("records")
    pairs = pair_table(answers, verdicts)
    wins = verdicts.pivot(index="prompt_id", columns="reward", values="win")
    shown = [{**p, "wins": wins.loc[p["prompt_id"]].to_dict()} for p in pairs.head(SHOWN).to_dict("records")]
    return write_page(run_dir / "report.html", "judge.html", manifest=manifest, figure=figure, rows=rows, second=second,
                      summaries=summaries, shown=shown, rewards=list(wins.columns), n_prompts=len(pairs))


def write_align_report(run_dir: Path, manifest: dict, summary: pd.DataFrame, curve: pd.DataFrame, pairs: int,
                       stance: pd.DataFrame | None = None, tensions: pd.DataFrame | None = None,
                       checks: pd.DataFrame | None = None, pluralism: pd.DataFrame | None = None) -> Path:
    """Render ``report.html`` for an align run: the degeneracy checks of its audit (``checks``, the audit run's
    metrics: both models'), each reward's win rate of the tuned model over the base (the target's and everyone
    else's), where the audit's stances moved (``stance``, when the run audited both models: each group's verdict, how
    many were read and the degenerate ones left out) and DPO's training curve, and whether the target's gain and each
    other reward's move together across prompts (``tensions``), and each kind of pluralism's change (``pluralism``:
    ``pluralism_shift`` rows, each measure apart); the judge and audit runs' own reports hold the answers."""
    fig, ax = pyplot().subplots(figsize=(4.8, 2.8))
    ax.plot(curve["step"], curve["loss"], marker="o", label=f"{manifest['config'].get('method', 'dpo').upper()} loss")
    if curve["margin"].notna().any():
        ax.plot(curve["step"], curve["margin"], marker="s", label="reward margin")
    ax.set_xlabel("step")
    ax.legend(frameon=False, fontsize=8)
    bars = interval_bars(summary.assign(metric=summary["evaluation"], group=summary["reward"]), "group", "metric", "",
                         "win rate of tuned over base", (0, 1))
    shown = stance[(stance.group != "ratio") & stance.value.notna()] if stance is not None else pd.DataFrame()
    read = {"tested": int(shown["p"].notna().sum()), "left_out": int((shown["verdict"] == "degenerate").sum())} \
        if len(shown) else {}
    return write_page(run_dir / "report.html", "align.html", manifest=manifest, summary=summary.to_dict("records"),
                      curve=to_svg(fig), bars=bars, pairs=pairs, shifts=shown.to_dict("records"), read=read,
                      **check_context(pd.DataFrame() if checks is None else checks),
                      pluralism=[] if pluralism is None else pluralism.to_dict("records"),
                      tensions=[] if tensions is None else [{**r, "reading": r.get("refused") or
                                                             tension_reading(r["value"], r["p"])}
                                                            for r in tensions.to_dict("records")])
