"""What `pluralign learn` prints about a learn run, built from the run's tables: each model's accuracy on each
held-out split, what rankings gained, type recovery and the learning curve on unseen people."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data.schema import left_out_notes
from ..jobs import Summary, with_interval
from ..runs import read_manifest, read_records
from .replay import GAIN, POLICIES, choices_saved
from .results import POPULATION

HEADERS = {"accuracy": "accuracy", "worst_group_accuracy": "worst group", "log_loss": "log-loss",
           "accuracy_gain": "accuracy − shared reward (paired)"}


def summarise_learn(run_dir: str | Path) -> Summary:
    """The summary of a finished learn run: its tables (accuracy by model and split; what rankings gained), its
    facts (the worst group's rule, what it trained on, type recovery, the learning curve) and its notes on the
    data (rows left out; intervals that resample prompts where the data has no people)."""
    path = Path(run_dir)
    manifest = read_manifest(path)
    config, resampled = manifest["config"], manifest["resampled"]
    notes = left_out_notes(config["data"], manifest["left_out"])
    if resampled != "people":
        notes.append(f"every comparison comes from one annotator (a file without annotator ids counts as one): "
                     f"intervals resample {resampled}, and unseen people cannot be measured")
    metrics = pd.read_parquet(path / "metrics.parquet")
    fitted = config["estimator"]
    title = f"learn: {fitted}" + (f" (k={config['k']})" if fitted in ("mixture", "ideal") else "")
    tables = {title: _accuracy(metrics)}
    gains = metrics[metrics["metric"].str.startswith("rankings_")]
    if len(gains):
        tables[f"{fitted} on rankings − on first choices alone (paired)"] = pd.DataFrame(
            [(split, *(_cell(part, m) for m in ("rankings_accuracy_gain", "rankings_log_loss_gain")))
             for split, part in gains.groupby("split", sort=False)],
            columns=["split", "accuracy gained", "log-loss saved"])
    lines = _facts(path, metrics, config["worst_min_n"], resampled)
    if (path / "active_replay.parquet").exists():
        replay = pd.read_parquet(path / "active_replay.parquet")
        tables[f"unseen people ({replay.n.iloc[0]:.0f}) asked in a random order or actively "
               f"(ε = {config['epsilon']:g})"] = _replay(replay)
        lines.insert(-1, _saved(replay))
    return Summary(path, tables, tuple(lines), tuple(notes))


def _replay(curve: pd.DataFrame) -> pd.DataFrame:
    """The active replay's accuracy per number of choices, random against active."""
    return pd.DataFrame([(str(shots), *(with_interval(part.set_index("policy").rename(columns={"accuracy": "value"})
                                                      .loc[p]) for p in POLICIES))
                         for shots, part in curve.groupby("shots")], columns=["choices", *POLICIES])


def _saved(curve: pd.DataFrame) -> str:
    """How many choices active assignment needed to reach random's accuracy at its last number of choices."""
    saved = choices_saved(curve)
    reached = (f"active reached it after {saved['active_shots']}" if saved["active_shots"] is not None
               else f"active did not reach it within {saved['random_shots']}")
    return (f"accuracy after {saved['random_shots']} random choices: {saved['random_accuracy']:.3f}; {reached} "
            f"(accuracy difference '{GAIN}' paired, on the same held-out choices)")


def _accuracy(metrics: pd.DataFrame) -> pd.DataFrame:
    """Each model's accuracy, worst group's accuracy, log-loss (and paired gain over the shared reward) by split."""
    shown = [m for m in HEADERS if m != "accuracy_gain" or (metrics["metric"] == m).any()]
    pairs = metrics[metrics["metric"] == "accuracy"][["model", "split"]].drop_duplicates().merge(metrics)
    return pd.DataFrame([(model, split, *(_cell(part, m) for m in shown))
                         for (model, split), part in pairs.groupby(["model", "split"], sort=False)],
                        columns=["model", "split", *(HEADERS[m] for m in shown)])


def _facts(path: Path, metrics: pd.DataFrame, worst_min_n: int, resampled: str) -> list[str]:
    """The lines printed after the tables."""
    lines = []
    population = next((m for m in metrics["model"].unique() if m.endswith(POPULATION)), None)
    if population:
        lines.append(f"{population}: the population's choice the model implies, everyone predicted alike; shown "
                     "because an active rule assigned comparisons, which makes the one shared reward the design's "
                     "(docs/methods.md#the-population-reward-under-active-assignment)")
    if (metrics["grouping"] == "group").any():
        lines.append(f"worst group: the least accurate of the groups with at least {worst_min_n} {resampled}")
    fit = next(r for r in read_records(path) if r["kind"] == "fit" and r["role"] == "model")
    if fit.get("later_choices"):
        lines.append(f"trained on {fit['comparisons']} comparisons and {fit['later_choices']} later choices of "
                     "their rankings")
    ari = metrics[metrics["metric"] == "type_recovery_ari"]
    if len(ari):
        lines.append(f"latent types recovered (adjusted Rand index, people seen in training): {ari['value'].iloc[0]:.3f}")
    if (path / "learning_curve.parquet").exists():
        curve = pd.read_parquet(path / "learning_curve.parquet")
        lines.append(f"unseen people ({curve.n.iloc[0]:.0f}): " + ", ".join(
            f"{r.shots}-shot {r.accuracy:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]" for r in curve.itertuples()))
    return [*lines, f"run: {path}"]


def _cell(part: pd.DataFrame, metric: str) -> str:
    """One model and split's value of ``metric`` (over everyone; the worst group's for worst_group_accuracy) with
    its interval, or a dash where no group was large enough for a worst group."""
    rows = part[part.metric == metric]
    rows = rows if metric == "worst_group_accuracy" else rows[rows.group == "all"]
    if rows.empty:
        return "—"
    return with_interval(rows.iloc[0])
