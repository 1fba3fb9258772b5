"""The values job: its config (``ValuesRunConfig``: how maps are made and of which situations), the resumable run that
maps every situation of it into a run directory with tables and a report, and its summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cache, partial
from pathlib import Path

from ..data import read_cards, situations_from
from ..jobs import Job, Summary
from ..models.base import LanguageModel
from ..runs import Run, fingerprint_table, in_chunks, progress_tasks, public_columns
from ..valuemaps.config import ValuesConfig
from ..valuemaps.stages import calibrated, map_situations, prepare
from .report import ITEMS
from .results import write_results

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
    calibration = cache(partial(calibrated, config, scorer))  # by the first chunk left: a finished run asks no model
    done = run.done_keys()
    items = public_columns(situations).to_dict("records")
    keys = [f"{config.model}|{s['id']}" for s in items]
    extra = {s["id"]: {k: s.get(k) for k in ("topic", "text_en")} for s in items}

    def compute(block: list[dict]) -> list[dict]:
        settings, found = calibration()
        return [{**r, **extra[r["situation_id"]], **found}
                for r in map_situations(block, model, scorer, embedder, settings)]

    with run.recording(), progress_tasks(progress) as tasks:
        in_chunks(run, done, keys, items, compute, tasks.add("value maps", len(items)), model=model, size=CHUNK)
    write_results(run.path)
    return summarise_values(run.path)


def summarise_values(run_dir: str | Path) -> Summary:
    """A values run's summary: where its report is (the degeneracy checks that fired are printed from its metrics)."""
    path = Path(run_dir)
    return Summary(path, lines=(f"report: {path / 'report.html'}",))


JOB = Job("values", ValuesRunConfig, run_values, summarise_values, write_results, ITEMS)
