"""An align run's tables and report, rebuilt from its records, its judge runs (one per training seed) and its audit
run."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..metrics import read_metrics, write_metrics
from ..metrics.checks import GROUPING, check_results, check_row, only_fired
from ..runs import RunError, read_manifest, read_records
from .before_after import overton_entries
from .core import MAXMIN, reward_tensions, stance_shift
from .independent import INDEPENDENT, SAME_WEIGHTS, TRAINING, independent_summary, record_margins
from .outcome import align_summary
from .pluralism import (
    SURVEY_MEASURES, degenerate_shifts, level_metrics, overton_units, pluralism_shift, survey_units, unit_checks,
)
from .refit import people_checks
from .report import write_align_report
from .seeds import seed_folders, seed_spread
from .targets import pole_metrics


def training_margins(folder: Path, pole: dict | None, target: str) -> pd.DataFrame:
    """One row per held-out prompt, one column per training reward (a pole target's last): its reward of the tuned
    answer minus the base's, from the judge run in ``folder`` and the pole's record."""
    margins = pd.read_parquet(folder / "judge" / "verdicts.parquet").pivot(index="prompt_id", columns="reward",
                                                                         values="margin")
    if pole is not None:
        margins[target] = pd.Series(np.subtract(pole["model"], pole["against"]), index=pole["prompt_id"])
    return margins


def training_judge(config: dict) -> str:
    """Who judged with the rewards that picked the training pairs, in words."""
    poles = f"the value poles placed by {config.get('judge') or config['model']}"
    if not config.get("reward"):
        return poles
    return config["reward"] + ("" if not config["target"].startswith("pole:") else f"; {poles}")


def summaries(run_dir: Path, config: dict, records: dict[str, dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``summary.parquet``: ``align_summary`` by the training rewards and, when the run has one, by the independent
    rewards (``evaluation`` and ``judged_by`` tell them apart), each row with the spread of its win rate between the
    seeds trained (``seed_spread``); and ``seeds.parquet``, each seed's win rates."""
    target, tolerance, seed = config["target"], config["tolerance"], config["seed"]
    metrics = pd.read_parquet(run_dir / "judge" / "metrics.parquet")
    if "pole" in records:
        metrics = pd.concat([metrics, pole_metrics(records["pole"], target, seed)], ignore_index=True)
    parts = [align_summary(metrics, training_margins(run_dir, records.get("pole"), target), target, tolerance).assign(
        evaluation=TRAINING, judged_by=training_judge(config))]
    finished = [(s, folder, suffix) for s, folder, suffix in seed_folders(run_dir, seed, config.get("seeds", 1))
                if f"trained{suffix}" in records and (folder / "judge" / "verdicts.parquet").exists()]
    per_seed = {TRAINING: {s: training_margins(folder, records.get(f"pole{suffix}"), target)
                           for s, folder, suffix in finished}}
    if "independent" in records:
        parts.append(independent_summary(records["independent"], target, tolerance, seed))
        per_seed[INDEPENDENT] = {s: record_margins(records[f"independent{suffix}"]) for s, _, suffix in finished
                                 if f"independent{suffix}" in records}
    spreads = [(seed_spread(margins), evaluation) for evaluation, margins in per_seed.items()]
    long = pd.concat([rates.assign(evaluation=e) for (rates, _), e in spreads], ignore_index=True)
    spread = pd.concat([between.assign(evaluation=e) for (_, between), e in spreads], ignore_index=True)
    summary = pd.concat(parts, ignore_index=True).merge(spread, on=["evaluation", "reward"], how="left")
    shared = records.get("independent", {}).get("same_weights", [])  # poles placed by the training placer's weights
    summary.loc[(summary.evaluation == INDEPENDENT) & summary.reward.isin(shared), "evaluation"] = SAME_WEIGHTS
    return summary, long


def pluralism_results(run_dir: Path, records: dict[str, dict], seed: int, checks: Sequence[dict] = ()
                      ) -> pd.DataFrame | None:
    """``pluralism_shift.parquet`` (``pluralism_shift``, each row's ``degenerate`` checks beside it) and the run's
    ``metrics.parquet``: each model's steerable and distributional measures and the checks from its pluralism audit
    run, its Overton coverage (with the relevance scorer's check: the base model read both models' answers), and
    the shifts, under the tuned model, with the run's own ``checks`` rows (the independent rewards', under the tuned
    model). None when the run measured neither (``metrics.parquet`` then holds the ``checks`` alone, if any)."""
    roles = pd.read_parquet(run_dir / "judge" / "answers.parquet").drop_duplicates("role").set_index("role")["model"]
    base, tuned = roles["against"], roles["model"]
    units, rows = [], [pd.DataFrame(list(checks)).assign(model=tuned)] if checks else []
    folder = run_dir / "pluralism"
    if (folder / "metrics.parquet").exists():
        units.append(survey_units({name: pd.read_parquet(folder / f"{name}.parquet") for name in
                                   ("opinions", "population", "steer") if (folder / f"{name}.parquet").exists()}))
        audit = pd.read_parquet(folder / "metrics.parquet")
        rows.append(audit[audit["metric"].isin(SURVEY_MEASURES) | (audit["grouping"] == GROUPING)])
    entries = overton_entries(records)
    if len(entries):
        units.append(overton_units(entries))
        rows.append(level_metrics(units[-1], seed=seed))
        first = next(r for key, r in records.items() if key.startswith("overton|"))
        if first.get("relevance_auc") is not None:
            check = check_row("relevance_near_chance", first["relevance_auc"], first["relevance_pairs"],
                              f"threshold {first['relevance_threshold']:.2f}")
            rows.append(pd.DataFrame([{**check, "model": model} for model in (base, tuned)]))
    if not units:
        if rows:
            write_metrics(run_dir, pd.concat(rows, ignore_index=True))
        return None
    measured = pd.concat(units, ignore_index=True)
    shifts = pluralism_shift(measured, base, tuned, seed=seed)
    rows.append(unit_checks(measured, base, tuned).assign(model=tuned))
    columns = ["model", "metric", "grouping", "group", "value", "ci_low", "ci_high", "n"]
    written = write_metrics(run_dir, pd.concat([r[columns] for r in [*rows, shifts.assign(model=tuned)]],
                                               ignore_index=True))
    shifts["degenerate"] = degenerate_shifts(shifts, only_fired(check_results(written)))
    shifts.to_parquet(run_dir / "pluralism_shift.parquet", index=False)
    return shifts


def write_results(run_dir: str | Path) -> Path:
    """The align run's tables and report from its records, its judge runs and its audit run: ``curve.parquet`` (DPO's
    loss, reward margin and accuracy per step, of the first seed), ``summary.parquet`` and ``seeds.parquet``
    (``summaries``: each reward's win rate of the tuned model over the base, the target marked, each verdict from a
    sign test with Holm's correction, ``outcome.py``; by the training rewards and by independent ones, with the spread
    between seeds), ``tensions.parquet`` (``reward_tension``: whether the target's gain and each other reward's move
    together across prompts), ``stance.parquet`` (``stance_shift`` overall and by topic, language_variant and
    position, each group's degeneracy and Holm-corrected verdict), ``pluralism_shift.parquet`` and ``metrics.parquet``
    (``pluralism_results``) and ``report.html``, which shows the audit's degeneracy checks of both models first;
    returns the report's path."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    records = {r["key"]: r for r in read_records(run_dir)}
    trained = records.get("trained")
    if trained is None or not (run_dir / "judge" / "metrics.parquet").exists():
        raise RunError(f"{run_dir} has not trained and judged its model yet: run the same align command again to resume")
    curve = pd.DataFrame(trained["curve"])
    curve.to_parquet(run_dir / "curve.parquet", index=False)
    config = manifest["config"]
    summary, long = summaries(run_dir, config, records)
    summary.to_parquet(run_dir / "summary.parquet", index=False)
    long.to_parquet(run_dir / "seeds.parquet", index=False)
    margins = training_margins(run_dir, records.get("pole"), config["target"])
    tensions = reward_tensions(margins.dropna(), None if config["target"] == MAXMIN else config["target"],
                               seed=config["seed"])
    tensions.to_parquet(run_dir / "tensions.parquet", index=False)
    independent = records.get("independent", {})
    own = people_checks(independent.get("refit", []), independent.get("refit_people", []))
    stance, checks = None, pd.DataFrame(own)
    if config.get("audit") and (run_dir / "audit" / "manifest.json").exists():
        base, tuned = read_manifest(run_dir / "audit")["config"]["models"]
        stance = stance_shift(pd.read_parquet(run_dir / "audit" / "results.parquet"), base, tuned, seed=config["seed"])
        stance.to_parquet(run_dir / "stance.parquet", index=False)
        checks = pd.concat([read_metrics(run_dir / "audit"), checks], ignore_index=True)
    pluralism = pluralism_results(run_dir, records, config["seed"], own)
    return write_align_report(run_dir, manifest, summary, curve, trained["pairs"], stance, tensions, checks, pluralism)
