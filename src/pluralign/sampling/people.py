"""The humans-vs-models job: people and models on the same value map, annotators placed by what they chose, models
by their default answers to the same prompts, both through the value placer. Judged choices and default answers are
recorded chunk by chunk, so the job resumes after a crash and its tables rebuild from the records alone."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from ..data.cards import read_cards
from ..data.schema import left_out, left_out_notes
from ..data.sources import comparisons_from, parse_source
from ..errors import InputError
from ..jobs import Job, Summary
from ..models.base import LanguageModel
from ..models.spec import parse_spec
from ..runs import (
    Models, Run, RunError, fingerprint_table, in_chunks, progress_tasks, read_manifest, read_records,
)
from ..candidates.placement import ValuePlacer
from ..candidates.measures import annotator_positions, humans_versus_models
from .report import write_people_map
from ..candidates.samplers import IndependentSampler

CHUNK = 8  # prompts per generation call; placed choices go 4 times as many at once


@dataclass
class HumansVsModelsConfig:
    """What a humans-vs-models run places; recorded in its manifest.

    Args:
        data: the human choices, a comparison source (``ca:FILE``, ``prism:FILE|DIR``, ``comparisons:FILE``,
            ``trl:FILE``); annotators: the annotator table for ``comparisons:`` data.
        models: the specs whose default (greedy) answers are placed; judge: the value placer's spec (default: the
            first; the field keeps the name that runs on disk record).
        chat: through the models' chat templates; max_tokens: the length of the models' answers.
    """

    data: str
    annotators: str | None = None
    models: list[str] = field(default_factory=lambda: ["embedded"])
    judge: str | None = None
    chat: bool = True
    max_tokens: int = 128
    seed: int = 0

    def __post_init__(self) -> None:
        for spec in [*self.models, *([self.judge] if self.judge else [])]:
            parse_spec(spec)
        if not self.models:
            raise InputError("give at least one --model whose default answers are placed")
        parse_source(self.data, "comparisons")


def _prompts(comparisons: pd.DataFrame) -> list[dict]:
    """Each distinct context of the comparisons as a prompt (its last turn) with its earlier turns."""
    contexts = comparisons.drop_duplicates(subset=["conversation_id", "turn"]) if "turn" in comparisons else comparisons
    languages = contexts.get("language", [None] * len(contexts))
    return [{"id": str(i), "text": c[-1]["content"], "context": list(c[:-1]), "language": lang or "en"}
            for i, (c, lang) in enumerate(zip(contexts["context"], languages))]


def run_humans_vs_models(config: HumansVsModelsConfig, out: str | Path, *, fresh: bool = False, progress: bool = True,
                         use_cache: bool = True, models: dict[str, LanguageModel] | None = None) -> Summary:
    """Judge what every annotator chose and every model's default answer to each distinct context, into the run
    ``out``; then ``write_results``. Re-running resumes: placed items are not placed again."""
    comparisons, _ = comparisons_from(config.data, config.annotators)
    run = Run(out, "humans-vs-models", asdict(config), fingerprint_table(comparisons), fresh=fresh, seed=config.seed)
    run.describe_data(data_cards=read_cards(comparisons), left_out=left_out(comparisons))
    opened = Models(run, given=models, use_cache=use_cache)
    loaded = {spec: opened(spec) for spec in dict.fromkeys(config.models)}
    placer = ValuePlacer(opened(config.judge or config.models[0]), config.chat)
    choices = [{"annotator": a.item() if hasattr(a, "item") else a, "text": list(c)[i]}
               for a, c, i in zip(comparisons["annotator_id"], comparisons["candidates"], comparisons["chosen"])]
    prompts = _prompts(comparisons)
    done = run.done_keys()

    def placed(block: list[dict], stage: str) -> list[dict]:
        placed = placer.positions([r["text"] for r in block]).to_dict("records")
        return [{"stage": stage, **r, **p} for r, p in zip(block, placed)]

    with run.recording(), progress_tasks(progress) as tasks:
        in_chunks(run, done, [f"chosen|{i}" for i in range(len(choices))], choices, lambda block: placed(block, "chosen"),
                  tasks.add("people's choices placed", len(choices)), model=placer.model, size=4 * CHUNK)
        for spec, model in loaded.items():
            sampler = IndependentSampler(model, 1, 0.0, config.max_tokens, config.chat, config.seed)

            def answered(block: list[dict], spec=spec, sampler=sampler) -> list[dict]:
                texts = [s["candidates"][0]["text"] for s in sampler.sample(block)]
                return placed([{"model": spec, "prompt": p["text"], "text": t} for p, t in zip(block, texts)],
                              "default")

            in_chunks(run, done, [f"default|{spec}|{p['id']}" for p in prompts], prompts, answered,
                      tasks.add(f"{spec[:20]} default answers", len(prompts)), model=model, size=CHUNK)
    write_results(run.path)
    return summarise_people(run.path)


def write_results(run_dir: str | Path) -> Path:
    """From a humans-vs-models run's records: ``people.parquet`` (each annotator's mean placed position with an
    interval), ``defaults.parquet`` (each model's placed answers), ``summary.parquet`` (per model, the share of people
    in its quadrant and the ratio of people's to the model's variance on each axis) and ``map.html``, its path."""
    run_dir = Path(run_dir)
    records = read_records(run_dir)
    chosen = pd.DataFrame([r for r in records if r["stage"] == "chosen"])
    defaults = pd.DataFrame([r for r in records if r["stage"] == "default"])
    if chosen.empty or defaults.empty:
        raise RunError(f"{run_dir} has not placed people's choices and the models' answers yet: run the same "
                       "humans-vs-models command again to resume")
    people = annotator_positions(chosen.drop(columns=["key", "stage", "text"]), seed=read_manifest(run_dir)["seed"])
    defaults = defaults.drop(columns=["key", "stage"])
    summary = pd.DataFrame([{"model": spec, **{k: v for k, v in humans_versus_models(people, part).items()
                                                if k != "model_quadrant"}}
                            for spec, part in defaults.groupby("model", sort=False)])
    for name, table in (("people", people), ("defaults", defaults), ("summary", summary)):
        table.to_parquet(run_dir / f"{name}.parquet", index=False)
    return write_people_map(run_dir, people, defaults, summary)


def summarise_people(run_dir: str | Path) -> Summary:
    """A humans-vs-models run's summary: per model, the share of people in its quadrant and the variance ratios."""
    path = Path(run_dir)
    summary = pd.read_parquet(path / "summary.parquet")
    n_people = len(pd.read_parquet(path / "people.parquet"))
    table = pd.DataFrame([(r.model, f"{r.quadrant_match:.2f}", f"{r.variance_ratio_traditional_secular:.2f}",
                           f"{r.variance_ratio_survival_self_expression:.2f}") for r in summary.itertuples(index=False)],
                         columns=["model", "people in the model's quadrant", "variance ratio: traditional-secular",
                                  "variance ratio: survival-self-expression"])
    manifest = read_manifest(path)
    notes = tuple(left_out_notes(manifest["config"]["data"], manifest["left_out"]))
    return Summary(path, {f"{n_people} people against the models' default answers": table},
                   (f"tables and map: {path / 'map.html'}",), notes)


JOB = Job("humans-vs-models", HumansVsModelsConfig, run_humans_vs_models, summarise_people, write_results)
