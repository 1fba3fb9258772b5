"""What `pluralign judge` and `pluralign align` print about their runs, built from the runs' tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..jobs import Summary, with_interval
from ..metrics.checks import FEW_PEOPLE
from ..runs import read_manifest
from .core import strength_metric, tension_reading
from .independent import INDEPENDENT, TRAINING


def summarise_judge(run_dir: str | Path) -> Summary:
    """A judge run's summary: each reward's win rate of A over B and its second measure (p(prefer A), or the pole
    margin for the value poles) with intervals, then the worst-off reward's and the population's win rates."""
    path = Path(run_dir)
    config = read_manifest(path)["config"]
    metrics = pd.read_parquet(path / "metrics.parquet")
    second = strength_metric(metrics)
    rows = [(name, *(with_interval(part[part.metric == m].iloc[0]) for m in ("win_rate", second)), str(int(part.n.iloc[0])))
            for name, part in metrics[metrics.grouping == "reward"].groupby("group", sort=False)
            if set(part.metric) >= {"win_rate", second}]
    table = pd.DataFrame(rows, columns=["reward", "win rate of A",
                                        "p(prefer A)" if second == "p_prefer" else "pole margin of A", "prompts"])
    lines = [f"{r.metric}{f' ({r.group})' if r.metric.startswith('maxmin') else ''}: {with_interval(r)}"
             for r in metrics[metrics.metric.isin(["maxmin_win_rate", "utilitarian_win_rate"])].itertuples()]
    return Summary(path, {f"judge: {config['model']} (A) against {config['against']} (B)": table},
                   (*lines, f"run: {path}"))


def summarise_align(run_dir: str | Path) -> Summary:
    """An align run's summary: each reward's win rate of the tuned model over the base with its verdict (each
    evaluation's, training reward's and independent, side by side; with --seeds, the spread between trainings), the
    target's tension with every other reward, the stance shift on the audit's statements, the three kinds of pluralism
    before and after (``pluralism_table``), and where the model is."""
    path = Path(run_dir)
    config = read_manifest(path)["config"]
    summary = pd.read_parquet(path / "summary.parquet")
    title = f"align toward {config['target']}: tuned against {config['model']} on held-out prompts"
    tables, judged, spread, few = {}, [], [], []
    for evaluation, part in summary.groupby("evaluation", sort=False):  # training reward first, then independent
        rows = []
        for r in part.itertuples():
            name = f"{r.reward} ({r.worst})" if isinstance(r.worst, str) else r.reward
            rate = with_interval(r) if pd.notna(r.ci_low) else f"{r.value:.3f} [no interval]"
            rows.append((f"{name} (target)" if r.target else name, rate, f"{r.p:.3f}", r.verdict))
            if getattr(r, "people", FEW_PEOPLE) < FEW_PEOPLE:
                few.append(f"{evaluation}, {r.reward}: learned from {r.people:.0f} people, fewer than {FEW_PEOPLE}, so "
                              "no interval or verdict (few_judging_people)")
            if config.get("seeds", 1) > 1:
                spread.append(f"{evaluation}, {name}: sd {r.seed_sd:.3f}, range [{r.seed_low:.3f}, {r.seed_high:.3f}]")
        tables[f"{title}, {evaluation}"] = pd.DataFrame(rows, columns=["reward", "win rate of tuned", "p", "verdict"])
        judged.append(f"{evaluation}: judged by {part.judged_by.iloc[0]}")
    if not (summary.evaluation == INDEPENDENT).any():
        judged.append(f"No row is judged independently of the {TRAINING} that picked the training pairs, so a gain "
                      "partly measures how well that reward was optimised: add --eval-reward or --eval-placer (a model "
                      "with other weights) for an independent judge.")
    judged.extend(few)
    if spread:
        judged.append(f"win rates between seeds ({config['seeds']} trainings; the interval above is the first's, over "
                      "prompts): " + "; ".join(spread))
    tensions = pd.read_parquet(path / "tensions.parquet")
    refused = sorted(set(tensions.get("refused", pd.Series(dtype=str)).fillna("")) - {""})
    lines = [*judged, *(f"reward_tension of {r.focus} with {r.group} (Spearman ρ of margins over the {r.n} prompts "
                        f"whose answers differ): {with_interval(r)} ({tension_reading(r.value, r.p)}, Holm-adjusted p "
                        f"{r.p:.3f})" for r in tensions.dropna(subset=["value"]).itertuples()), *refused]
    if (path / "stance.parquet").exists():
        stance = pd.read_parquet(path / "stance.parquet")
        overall = stance.query("grouping == 'overall'").iloc[0]
        lines.append(f"stance_shift (tuned − base p(agree) on the audit's statements): {with_interval(overall)} "
                     f"({overall.verdict}{': ' + overall.degenerate if overall.degenerate else ''}; "
                     f"{stance.p.notna().sum()} groups read, Holm-corrected: see the report)")
    if (path / "pluralism_shift.parquet").exists():
        shifts = pd.read_parquet(path / "pluralism_shift.parquet")
        tables["pluralism_shift: tuned − base on the same questions and prompts (95% intervals resample them)"] = \
            pluralism_table(shifts)
        lines.extend(pluralism_notes(shifts))
    return Summary(path, tables, (*lines, f"tuned model: hf:{path / 'model'}", f"run: {path}"))


def pluralism_table(shifts: pd.DataFrame) -> pd.DataFrame:
    """The ``pluralism_shift`` rows as the CLI prints them at 80 columns: each measure overall and per human group
    (gaps and the kind of pluralism left to the report), a row on which a check fired marked ``*`` beside its n
    (``pluralism_notes`` names the checks)."""
    rows = shifts[shifts["group"] != "gap"]
    return pd.DataFrame([(r.measure, r.group, f"{r.value:+.2f} [{r.ci_low:+.2f}, {r.ci_high:+.2f}]",
                          f"{int(r.n)}{' *' if r.degenerate else ''}") for r in rows.itertuples()],
                        columns=["measure", "group", "tuned − base", "n"])


def pluralism_notes(shifts: pd.DataFrame) -> list[str]:
    """One line per measure whose rows are marked ``*`` in ``pluralism_table``: the checks that fired for either
    model, which make those shifts carry no information."""
    marked = shifts[(shifts["group"] != "gap") & (shifts["degenerate"].fillna("") != "")]
    return [f"* {measure}: no information, {', '.join(sorted(set(rows['degenerate'])))} fired"
            for measure, rows in marked.groupby("measure", sort=False)]