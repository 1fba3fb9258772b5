"""The audit job: wires the pure core to models and a run directory, resumably, stage by stage."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from ..data import builtin_statements, builtin_stances
from ..models.base import LanguageModel
from ..models.cache import CachedModel, ResponseCache
from ..models.embedded import cache_dir
from ..models.spec import load, parse_spec
from ..runs import Run, fingerprint_table, in_chunks, progress_bar
from . import core

STAGES = ("stance", "long_form", "opinions")


@dataclass
class AuditConfig:
    """What an audit runs. Everything here is recorded in the run manifest; changing it starts a new run.

    Args:
        models: model specs, audited side by side.
        judge: spec of the model that judges long-form stances (default: each audited model judges itself).
        stages: any of "stance", "long_form", "opinions".
        translated: also audit non-English statements in their English translation.
        chat: wrap prompts in each model's chat template (False for base models).
        max_tokens: length of long-form answers.
        refusal_judge: also ask the judge whether each answer is a refusal (besides the phrase patterns and the
            stance judge's "refusal" option).
        template_from: for openai specs, the tokenizer whose chat template renders prompts for scoring.
    """

    models: list[str]
    judge: str | None = None
    stages: list[str] = field(default_factory=lambda: list(STAGES))
    translated: bool = True
    chat: bool = True
    max_tokens: int = 96
    refusal_judge: bool = False
    template_from: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for spec in [*self.models, *([self.judge] if self.judge else [])]:
            parse_spec(spec)
        unknown = set(self.stages) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown stage(s) {', '.join(sorted(unknown))}; choose from {', '.join(STAGES)}")


def run_audit(
    statements: pd.DataFrame,
    config: AuditConfig,
    out: str | Path,
    *,
    survey: pd.DataFrame | None = None,
    fresh: bool = False,
    progress: bool = True,
    use_cache: bool = True,
    models: dict[str, LanguageModel] | None = None,
) -> Path:
    """Audit every model in ``config`` on ``statements`` (and ``survey``), writing to the run directory ``out``.

    Re-running with the same arguments resumes: finished items are skipped. ``models`` may hold already-loaded
    models by spec (tests and notebooks reuse them); others are loaded from their specs.
    Returns the run directory, with records, results tables and ``report.html``.
    """
    from .results import write_results

    data_fp = fingerprint_table(statements) + (fingerprint_table(survey) if survey is not None else "")
    run = Run(out, "audit", asdict(config), data_fp, fresh=fresh, seed=config.seed)
    done = run.done_keys()
    _save_inputs(run.path, statements, survey)
    cache = ResponseCache(cache_dir() / "responses.sqlite") if use_cache else None
    loaded = dict(models or {})

    def get(spec: str) -> LanguageModel:
        if spec not in loaded:
            loaded[spec] = load(spec, template_from=config.template_from)
        model = loaded[spec]
        return CachedModel(model, cache) if cache else model

    items = core.statement_items(statements, config.translated).to_dict("records")
    labelled = _labelled_stances() if "long_form" in config.stages else []
    english = dict(zip(statements["id"], statements["text_en"].where(statements["text_en"].notna(), statements["text"])))
    with run.recording(), progress_bar(progress) as bar:
        for spec in config.models:
            model = get(spec)
            run.set_model(spec, model.fingerprint)
            judge = get(config.judge) if config.judge else model

            def task(label: str, total: int) -> Callable[[int], None]:
                if bar is None:
                    return lambda n: None
                t = bar.add_task(f"{spec[:18]} {label}", total=total)
                return lambda n: bar.advance(t, n)

            def keys(stage: str, rows: Sequence[dict], *fields: str) -> list[str]:
                return ["|".join([spec, stage, *(str(r[f]) for f in fields)]) for r in rows]

            if "stance" in config.stages:
                def stance(block: list[dict]) -> list[dict]:
                    asked = [core.stance_requests(it, config.chat) for it in block]  # one per framing of its language
                    scores = iter(model.score([r for rs in asked for r in rs]))
                    return [{"model": spec, "stage": "stance", **_item_fields(it),
                             **core.stance_measures(it, [next(scores) for _ in rs])} for it, rs in zip(block, asked)]

                in_chunks(run, done, keys("stance", items, "statement_id", "variant"), items, 32, stance,
                           task("log-prob stance", len(items)))

            if "long_form" in config.stages:
                def long_form(block: list[dict]) -> list[dict]:
                    answers = model.generate([core.long_form_request(it, config.chat, config.max_tokens) for it in block])
                    requests = [core.judge_requests(english[it["statement_id"]], a[0], config.chat, config.refusal_judge)
                                for it, a in zip(block, answers)]
                    flat = judge.score([r for rs in requests for r in rs])
                    per = len(requests[0])
                    records = []
                    for i, (it, a) in enumerate(zip(block, answers)):
                        judged = core.judge_measures(flat[per * i : per * i + per])
                        records.append({"model": spec, "stage": "long_form", **_item_fields(it), "response": a[0],
                                        **core.refusal_decision(a[0], judged), **judged})
                    return records

                in_chunks(run, done, keys("long_form", items, "statement_id", "variant"), items, 16, long_form,
                           task("long-form answers", len(items)))

                def judge_check(block: list[dict]) -> list[dict]:
                    scores = judge.score([core.judge_request(r["statement_en"], r["text"], config.chat) for r in block])
                    return [{"model": spec, "stage": "judge_check", "id": r["id"], "language": r["language"],
                             "label": r["label"], **core.judge_check_measures(r["label"], s)} for r, s in zip(block, scores)]

                in_chunks(run, done, keys("judge_check", labelled, "id"), labelled, 32, judge_check,
                           task("judge on labelled answers", len(labelled)))

            if "opinions" in config.stages and survey is not None and len(survey):
                questions = survey.drop_duplicates("question_id")[["question_id", "question", "options", "ordinal"]].to_dict("records")

                def opinions(block: list[dict]) -> list[dict]:
                    scores = model.score([core.survey_request(q["question"], list(q["options"]), config.chat) for q in block])
                    return [{"model": spec, "stage": "opinions", "question_id": q["question_id"],
                             "model_distribution": core.softmax(s).tolist()} for q, s in zip(block, scores)]

                in_chunks(run, done, keys("opinions", questions, "question_id"), questions, 32, opinions,
                           task("survey answers", len(questions)))
    write_results(run.path)
    return run.path


def _save_inputs(path: Path, statements: pd.DataFrame, survey: pd.DataFrame | None) -> None:
    """Keep the audited tables beside the records, so results and reports can be rebuilt from the run alone."""
    for name, table in (("statements", statements), ("survey", survey)):
        target = path / f"{name}.parquet"
        if table is not None and not target.exists():
            table.drop(columns=[c for c in table.columns if c.startswith("_")]).to_parquet(target, index=False)


def _labelled_stances() -> list[dict]:
    """pluralign's answers of known stance, each with its statement in English, to measure the stance judge."""
    english = builtin_statements().set_index("id")["text"]
    return builtin_stances().assign(statement_en=lambda t: t["statement_id"].map(english)).to_dict("records")


def _item_fields(item: dict) -> dict:
    return {k: item[k] for k in ("statement_id", "variant", "text_language", "prompt_language")}
