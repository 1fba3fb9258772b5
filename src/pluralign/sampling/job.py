"""The ``sample`` job (sets for a table of prompts, exported as annotation tasks) and the set generation it shares
with ``compare-samplers`` (``compare.py``). Sets are generated and placed chunk by chunk into the run's records, so
both resume after a crash."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd

from ..candidates.placement import ValuePlacer
from ..candidates.samplers import IndependentSampler, make_sampler
from ..data import builtin_value_poles, prompts_from, read_cards
from ..data.axes import AXES
from ..data.tables import csv_text
from ..jobs import Job, Summary
from ..models.base import LanguageModel
from ..runs import Models, Run, fingerprint_table, in_chunks, progress_tasks, public_columns, read_records
from .config import SamplingConfig
from .export import to_annotation_tasks
from .report import ITEMS
from .summary import summarise_sample

CHUNK = 8  # prompts per batch


def generate_sets(prompts: pd.DataFrame, config: SamplingConfig, out: str | Path, job: str, *, fresh: bool = False,
                  progress: bool = True, use_cache: bool = True, models: dict[str, LanguageModel] | None = None,
                  defaults: bool = False) -> Run:
    """Candidate sets of every sampler for every prompt, each candidate placed on the value axes, into a run;
    with ``defaults``, also each model's greedy answer (its default), judged the same way."""
    run = Run(out, job, asdict(config), fingerprint_table(prompts), fresh=fresh, seed=config.seed)
    run.describe_data(data_cards=read_cards(prompts))
    items = public_columns(prompts).to_dict("records")
    target = run.path / "prompts.parquet"
    if not target.exists():
        pd.DataFrame(items).to_parquet(target, index=False)
    opened = Models(run, given=models, use_cache=use_cache, template_from=config.template_from)
    specs = [config.model, *config.models, *([config.judge] if config.judge else [])]
    loaded = {spec: opened(spec) for spec in dict.fromkeys(specs)}
    placer = ValuePlacer(loaded[config.judge or config.model], config.chat)
    done = run.done_keys()

    def placed(records: list[dict]) -> list[dict]:
        texts = [c["text"] for r in records for c in r["candidates"]]
        it = iter(placer.positions(texts).to_dict("records"))
        for r in records:
            for c in r["candidates"]:
                c.update(next(it))
        return records

    with run.recording(), progress_tasks(progress) as tasks:
        for name in config.samplers:
            sampler = make_sampler(name, {s: loaded[s] for s in [config.model, *config.models]}, config.sampler_settings())
            in_chunks(run, done, [f"set|{name}|{p['id']}" for p in items], items,
                      lambda block: [{"stage": "set", **r} for r in placed(sampler.sample(block))],
                      tasks.add(f"{name} sets", len(items)), model=loaded[config.model], size=CHUNK)
        if defaults:
            poles = builtin_value_poles().to_dict("records")
            in_chunks(run, done, [f"judge-check|{r['id']}" for r in poles], poles,
                      lambda block: [{"stage": "judge-check", **r, **p} for r, p in
                                     zip(block, placer.positions([r["text"] for r in block]).to_dict("records"))],
                      lambda n: None, model=placer.model, size=32)
            for spec in [config.model, *config.models]:
                default = IndependentSampler(loaded[spec], 1, 0.0, config.max_tokens, config.chat, config.seed)
                in_chunks(run, done, [f"default|{spec}|{p['id']}" for p in items], items,
                          lambda block: [{"stage": "default", **r, "sampler": spec} for r in placed(default.sample(block))],
                          tasks.add(f"{spec[:20]} default answers", len(items)), model=default.model, size=CHUNK)
    return run


def candidate_table(records: list[dict], stage: str = "set") -> pd.DataFrame:
    """One row per candidate: sampler, prompt_id, set_id, index, text, source, position on each axis, fallback,
    and the instruction that asked for diverse responses (``nc_prompt``, None for other samplers)."""
    rows = [{"sampler": r["sampler"], "prompt_id": r["prompt_id"], "set_id": f"{r['sampler']}|{r['prompt_id']}",
             "index": i, "fallback": r["fallback"], "attempts": r["attempts"], "nc_prompt": r.get("nc_prompt"), **c}
            for r in records if r["stage"] == stage for i, c in enumerate(r["candidates"])]
    return pd.DataFrame(rows, columns=["sampler", "prompt_id", "set_id", "index", "fallback", "attempts", "nc_prompt",
                                       "text", "source", *AXES])


def run_sample(config: SamplingConfig, out: str | Path, *, fresh: bool = False, progress: bool = True,
               use_cache: bool = True, models: dict[str, LanguageModel] | None = None) -> Summary:
    """Candidate sets for the prompts of ``config`` into the run ``out``: ``candidates.parquet`` and ``tasks.csv``,
    the sets as annotation tasks in Community Alignment's shape (no choices yet), ready for people to choose from."""
    prompts = prompts_from(config.prompts, columns=config.columns or None, limit=config.limit)
    run = generate_sets(prompts, config, out, "sample", fresh=fresh, progress=progress, use_cache=use_cache,
                        models=models)
    write_results(run.path)
    return summarise_sample(run.path)


def write_results(run_dir: str | Path) -> Path:
    """A sample run's ``candidates.parquet`` and ``tasks.csv`` from its records and prompts; returns the tasks' path."""
    run_dir = Path(run_dir)
    candidates = candidate_table(read_records(run_dir))
    candidates.to_parquet(run_dir / "candidates.parquet", index=False)
    prompts = pd.read_parquet(run_dir / "prompts.parquet")
    (run_dir / "tasks.csv").write_text(csv_text(to_annotation_tasks(candidates, prompts)), encoding="utf-8")
    return run_dir / "tasks.csv"


JOB = Job("sample", SamplingConfig, run_sample, summarise_sample, write_results, ITEMS)
