"""The values job: value maps for a table of situations, resumable, into a run directory with tables and a report;
and the values-eval job, a scorer and its maps against labelled data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from ..data import language_code, read_cards, situations_from, valueprism_from
from ..embed import SentenceEmbedder
from ..errors import InputError
from ..jobs import Job, Summary
from ..metrics import disaggregate, write_metrics
from ..metrics.checks import group_sizes, smallest_group
from ..models.base import LanguageModel
from ..runs import (
    Models, Run, chunk_size, fingerprint_table, in_chunks, progress_tasks, public_columns, read_manifest,
    read_records,
)
from .core import ValuesConfig, map_situations
from .evaluate import evaluate_scorer, gold_coverage, gold_items
from .prompts import VALENCES
from .report import ITEMS, write_values_report
from .scorers import TrainedScorer, load_scorer

CHUNK = 4  # situations per batch: their generation, scoring and embedding each go to the backend as one call


@dataclass
class ValuesRunConfig(ValuesConfig):
    """A values run: how its maps are made (``ValuesConfig``) and the situations they are made for, recorded in its
    manifest together.

    Args:
        situations: the situation source (``builtin`` or a FILE: ``data.situations_from``), its columns renamed by
            ``columns`` (ours -> theirs); language: for files without a language column; limit: the first N rows.
    """

    situations: str = "builtin"
    columns: dict[str, str] = field(default_factory=dict)
    language: str | None = None
    limit: int | None = None


def prepare(config: ValuesConfig, *, use_cache: bool = True, models: dict[str, LanguageModel] | None = None,
            run: Run | None = None):
    """The (cached) model, the scorer and the embedder a config names; already-loaded models are reused."""
    embedder = SentenceEmbedder(config.embedder)
    model = Models(run, given=models, use_cache=use_cache)(config.model)
    return model, load_scorer(config.scorer, model, embedder, config.chat), embedder


def map_situation(text: str, language: str, config: ValuesConfig, *, use_cache: bool = True) -> dict:
    """One situation's value map (``map_situations``' record), without a run: ``pluralign values "SITUATION"``."""
    code = language_code(language)
    if code is None:
        raise InputError(f"unknown language {language!r} (use ISO 639-1, e.g. en, de, tr)")
    model, scorer, embedder = prepare(config, use_cache=use_cache)
    return map_situations([{"id": "situation", "text": text.strip(), "language": code}], model, scorer, embedder,
                          config)[0]


def run_values(config: ValuesRunConfig, out: str | Path, *, fresh: bool = False, progress: bool = True,
               use_cache: bool = True, models: dict[str, LanguageModel] | None = None) -> Summary:
    """Map the values, rights and duties of every situation of ``config`` into the run directory ``out``.

    Re-running with the same arguments resumes: finished situations are skipped. Returns the run's summary; the run
    holds ``records.jsonl``, ``candidates.parquet``, ``situations.parquet``, ``metrics.parquet`` and ``report.html``.
    """
    situations = situations_from(config.situations, columns=config.columns or None, language=config.language,
                                 limit=config.limit)
    run = Run(out, "values", asdict(config), fingerprint_table(situations), fresh=fresh, seed=config.seed)
    run.describe_data(data_cards=read_cards(situations))
    model, scorer, embedder = prepare(config, use_cache=use_cache, models=models, run=run)
    done = run.done_keys()
    items = public_columns(situations).to_dict("records")
    keys = [f"{config.model}|{s['id']}" for s in items]
    extra = {s["id"]: {k: s.get(k) for k in ("topic", "text_en")} for s in items}

    def compute(block: list[dict]) -> list[dict]:
        return [{**r, **extra[r["situation_id"]]} for r in map_situations(block, model, scorer, embedder, config)]

    with run.recording(), progress_tasks(progress) as tasks:
        in_chunks(run, done, keys, items, chunk_size(model, CHUNK), compute, tasks.add("value maps", len(items)))
    write_values_results(run.path)
    return summarise_values(run.path)


def summarise_values(run_dir: str | Path) -> Summary:
    """A values run's summary: where its report is (the degeneracy checks that fired are printed from its metrics)."""
    path = Path(run_dir)
    return Summary(path, lines=(f"report: {path / 'report.html'}",))


def values_tables(records: list[dict]) -> dict[str, pd.DataFrame]:
    """``situations``: one row per situation with its overall valence, entropy and tensions; ``candidates``: one
    row per candidate, kept or not, with its scores and why it was dropped."""
    situations = pd.DataFrame([{k: v for k, v in r.items() if k not in ("candidates", "overall", "key")}
                               | {f"overall_{v}": r["overall"][v] for v in VALENCES} | {"n_tensions": len(r["tensions"])}
                               for r in records])
    candidates = pd.DataFrame([{"situation_id": r["situation_id"], "language": r["language"], **c}
                               for r in records for c in r["candidates"]])
    return {"situations": situations, "candidates": candidates}


def values_metrics(tables: dict[str, pd.DataFrame], seed: int = 0) -> pd.DataFrame:
    """How contested situations are and how many considerations survive, overall and by language and topic; and
    the smallest of those groups (the ``small_groups`` check)."""
    situations = tables["situations"].assign(kept_share=lambda d: d["n_kept"] / d["n_candidates"].where(d["n_candidates"] > 0))
    metrics = {"valence_entropy": "entropy", "kept_candidates": "n_kept", "kept_share": "kept_share",
               "tensions": "n_tensions", **{f"overall_{v}": f"overall_{v}" for v in VALENCES}}
    groupings = ["language", "topic"]
    checks = pd.DataFrame(smallest_group(group_sizes(situations, groupings, "situation_id")))
    return pd.concat([disaggregate(situations, metrics, groupings, seed=seed), checks], ignore_index=True)


def write_values_results(run_dir: str | Path) -> Path:
    """Rebuild the tables, metrics and report of a values run from its records; returns the report's path."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    tables = values_tables(read_records(run_dir))
    for name, table in tables.items():
        table.to_parquet(run_dir / f"{name}.parquet", index=False)
    metrics = values_metrics(tables, manifest.get("seed", 0)) if len(tables["situations"]) else pd.DataFrame()
    write_metrics(run_dir, metrics)
    return write_values_report(run_dir, manifest, tables, metrics)


@dataclass
class ValuesEvaluation:
    """What ``evaluate_values`` found: the scorer's name, its ``evaluate_scorer`` table, and the ``gold_coverage``
    table of the generated maps (None when no coverage was asked for)."""

    scorer: str
    accuracy: pd.DataFrame
    coverage: pd.DataFrame | None = None


def evaluate_values(labelled: pd.DataFrame, config: ValuesConfig, *, limit: int | None = None,
                    coverage: int = 0) -> ValuesEvaluation:
    """The job of ``pluralign values-eval``: score ``labelled`` rows (ValuePrism-shaped; ``limit``: the first N of
    each task) with the scorer ``config`` names, and, for ``coverage`` gold situations, generate value maps with its
    model and measure them against the gold items."""
    model, scorer, embedder = prepare(config)
    if limit:
        labelled = pd.concat([labelled.dropna(subset=["relevant"]).head(limit),
                              labelled.dropna(subset=["valence"]).head(limit),
                              labelled[labelled["relevant"].isna() & labelled["valence"].isna()]])
    accuracy = evaluate_scorer(scorer, labelled, seed=config.seed)
    if not coverage:
        return ValuesEvaluation(scorer.name, accuracy)
    gold = gold_items(labelled)
    chosen = gold["situation"].drop_duplicates().head(coverage).tolist()
    maps = map_situations([{"id": str(i), "text": s, "language": "en"} for i, s in enumerate(chosen)], model, scorer,
                          embedder, config)
    made = pd.DataFrame([{"situation": m["situation"], "text": c["text"]}
                         for m in maps for c in m["candidates"] if c["kept"]], columns=["situation", "text"])
    return ValuesEvaluation(scorer.name, accuracy, gold_coverage(made, gold[gold["situation"].isin(chosen)], embedder))


def accuracy_table(result: pd.DataFrame) -> pd.DataFrame:
    """A scorer's ``evaluate_scorer`` table as the commands print it: accuracy with its interval, macro-F1 and the
    majority baseline per task."""
    return pd.DataFrame([(r.task, f"{r.accuracy:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]", f"{r.macro_f1:.3f}",
                          f"{r.majority_baseline:.3f}", str(r.n)) for r in result.itertuples(index=False)],
                        columns=["task", "accuracy [95% CI]", "macro-F1", "majority baseline", "n"])


def train_scorer(data: Sequence[Path], out: Path, *, test: Sequence[Path] = (), embedder: str = "embedded",
                 force: bool = False, seed: int = 0) -> Summary:
    """The job of ``pluralign values-train``: fit a ``TrainedScorer`` on the train split of ValuePrism-shaped
    ``data`` and save it to ``out`` (refused where that exists, unless ``force``); with ``test``, its accuracy there.
    The summary's path is the saved scorer's."""
    if out.exists() and not force:
        raise InputError(f"{out} exists; choose another --out or pass --force to overwrite it")
    rows = valueprism_from(data, "train")
    tests = valueprism_from(test, "test") if test else None  # read before the fit, so that a bad file fails at once
    scorer = TrainedScorer.fit(rows.dropna(subset=["relevant"]), rows.dropna(subset=["valence"]),
                               SentenceEmbedder(embedder), seed=seed)
    path = scorer.save(out)
    line = (f"scorer: {path} (fitted on {rows['relevant'].notna().sum()} relevance and "
            f"{rows['valence'].notna().sum()} valence labels)")
    tables = {} if tests is None else {f"scorer {scorer.name}": accuracy_table(evaluate_scorer(scorer, tests, seed=seed))}
    return Summary(path, tables, (line,))


JOB = Job("values", ValuesRunConfig, run_values, summarise_values, write_values_results, ITEMS)
