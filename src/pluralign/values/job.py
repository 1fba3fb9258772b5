"""The values job: its config, the stage that calls the model and the embedder to map situations, the resumable run
into a run directory with tables and a report; and the values-eval job, a scorer and its maps against labelled data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..data import builtin_overton, language_code, read_cards, situations_from, valueprism_from
from ..embed import Embedder, SentenceEmbedder
from ..errors import InputError
from ..jobs import Job, Summary
from ..models.base import LanguageModel
from ..models.spec import parse_spec
from ..runs import Models, Run, chunk_size, fingerprint_table, in_chunks, progress_tasks, public_columns
from . import core
from .dedup import Thresholds
from .evaluate import calibrate_relevance, evaluate_scorer, gold_coverage, gold_items, relevance_pairs
from .prompts import KINDS
from .report import ITEMS
from .results import write_results
from .scorers import SCORE_COLUMNS, Scorer, TrainedScorer, load_scorer

CHUNK = 4  # situations per batch: their generation, scoring and embedding each go to the backend as one call


@dataclass
class ValuesConfig:
    """How value maps are made. Recorded in a run's manifest; changing it starts a new run.

    Args:
        model: spec of the model that generates candidates (and scores them with the ``lm`` scorer).
        scorer: ``lm`` or ``trained:PATH`` (see ``pluralign values-train``).
        samples: sampled lists per situation, besides one greedy list; more samples, more candidates.
        temperature: sampling temperature of those lists.
        max_tokens: length of each generated list.
        explain: also generate a one-sentence explanation of each kept candidate.
        chat: use the model's chat template (False for base models).
        thresholds: relevance, ROUGE-L and cosine thresholds per kind (see ``Thresholds``).
        embedder: sentence embedder for near-duplicate removal and trained scorers.
        calibrate: set the relevance threshold (every kind's) for this model and scorer on pluralign's labelled
            situations instead of ``thresholds.relevance`` (``evaluate.calibrate_relevance``); each map then records
            the threshold and the scorer's ROC area, which the ``relevance_near_chance`` check reads.
    """

    model: str = "embedded"
    scorer: str = "lm"
    samples: int = 8
    temperature: float = 0.9
    max_tokens: int = 96
    explain: bool = False
    chat: bool = True
    thresholds: Thresholds = field(default_factory=Thresholds)
    embedder: str = "embedded"
    seed: int = 0
    calibrate: bool = False

    def __post_init__(self) -> None:
        parse_spec(self.model)
        if isinstance(self.thresholds, dict):
            self.thresholds = Thresholds(**self.thresholds)
        if self.samples < 0 or self.max_tokens < 1 or self.temperature < 0:
            raise InputError("samples must be >= 0, max_tokens >= 1 and temperature >= 0")


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


def calibrated(config: ValuesConfig, scorer: Scorer) -> tuple[ValuesConfig, dict]:
    """``config`` with the relevance threshold calibrated for ``scorer`` when it asks for it, and what each map
    records of the calibration (nothing when it does not)."""
    if not config.calibrate:
        return config, {}
    found = calibrate_relevance(scorer, relevance_pairs(builtin_overton()))
    thresholds = replace(config.thresholds, relevance=dict.fromkeys(KINDS, found["threshold"]))
    return replace(config, thresholds=thresholds), {"relevance_threshold": found["threshold"],
                                                    "relevance_auc": found["auc"], "relevance_pairs": found["n"]}


def map_situations(situations: list[dict], model: LanguageModel | None, scorer: Scorer, embedder: Embedder,
                   config: ValuesConfig) -> list[dict]:
    """Value maps of ``situations`` (dicts with id, text, language): one record each, every candidate kept or not.

    Generation, scoring and embedding each run as one batched call over all the situations. With ``model`` None,
    the situations must carry ``candidates`` (lists of (kind, text)) to score instead.
    """
    if model is not None:
        requests = [core.generation_requests(s["text"], s["language"], chat=config.chat, samples=config.samples,
                                             temperature=config.temperature, max_tokens=config.max_tokens,
                                             seed=config.seed) for s in situations]
        outputs = model.generate([r for rs in requests for r in rs])
        found = core.candidates_per_situation(outputs, [len(rs) for rs in requests])
    else:
        found = [list(map(tuple, s["candidates"])) for s in situations]
    table = core.candidate_table(situations, found)
    table[SCORE_COLUMNS] = scorer.score(table) if len(table) else np.empty((0, len(SCORE_COLUMNS)))
    vectors = embedder.embed(table["text"].tolist()) if len(table) else np.zeros((0, 1), np.float32)
    table = core.mark_kept(table, vectors, situations, config.thresholds)
    if config.explain and model is not None:
        table["explanation"] = None
        kept = table[table["kept"]]
        if prompts := core.explanation_requests(kept, config.chat):
            table.loc[kept.index, "explanation"] = [o[0].strip() for o in model.generate(prompts)]
    return core.map_records(situations, table, config.thresholds.tension)


def map_situation(text: str, language: str, config: ValuesConfig, *, use_cache: bool = True) -> dict:
    """One situation's value map (``map_situations``' record, with what it records of a calibration), without a run:
    ``pluralign values "SITUATION"``."""
    code = language_code(language)
    if code is None:
        raise InputError(f"unknown language {language!r} (use ISO 639-1, e.g. en, de, tr)")
    model, scorer, embedder = prepare(config, use_cache=use_cache)
    config, calibration = calibrated(config, scorer)
    return {**map_situations([{"id": "situation", "text": text.strip(), "language": code}], model, scorer, embedder,
                             config)[0], **calibration}


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
    config, calibration = calibrated(config, scorer)
    done = run.done_keys()
    items = public_columns(situations).to_dict("records")
    keys = [f"{config.model}|{s['id']}" for s in items]
    extra = {s["id"]: {k: s.get(k) for k in ("topic", "text_en")} for s in items}

    def compute(block: list[dict]) -> list[dict]:
        return [{**r, **extra[r["situation_id"]], **calibration}
                for r in map_situations(block, model, scorer, embedder, config)]

    with run.recording(), progress_tasks(progress) as tasks:
        in_chunks(run, done, keys, items, chunk_size(model, CHUNK), compute, tasks.add("value maps", len(items)))
    write_results(run.path)
    return summarise_values(run.path)


def summarise_values(run_dir: str | Path) -> Summary:
    """A values run's summary: where its report is (the degeneracy checks that fired are printed from its metrics)."""
    path = Path(run_dir)
    return Summary(path, lines=(f"report: {path / 'report.html'}",))


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


JOB = Job("values", ValuesRunConfig, run_values, summarise_values, write_results, ITEMS)
