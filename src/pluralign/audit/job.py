"""The audit job: wires the pure core to models and a run directory, resumably, stage by stage."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Sequence

import pandas as pd

from ..data import builtin_stances, builtin_statements, read_cards, statements_from, survey_from
from ..errors import InputError
from ..jobs import Job, Summary
from ..models.base import LanguageModel
from ..models.spec import parse_spec
from ..runs import Models, Run, fingerprint_table, in_chunks, progress_tasks, public_columns
from . import core, stages
from .steering import FORMATS, steer_items
from .report import ITEMS
from .results import write_results

STAGES = ("stance", "long_form", "judge_check", "opinions")


@dataclass
class AuditConfig:
    """What an audit runs. Everything here is recorded in the run manifest; changing it starts a new run.

    Args:
        models: model specs, audited side by side.
        statements: the statement source (``builtin``, ``civics:FILE`` or a FILE: ``data.statements_from``), read as
            ``statement_format`` ('generic', with ``columns`` renaming ours to theirs, or 'civics'); limit: that many
            statements, spread over languages and topics.
        survey: the survey source with human answer distributions (``builtin``, ``none``, ``opinionqa:DIR``,
            ``global-opinions:FILE`` or a FILE read as ``survey_format``: ``data.survey_from``); survey_limit: its
            first N questions (all of them when None).
        judge: spec of the model that judges long-form stances (default: each audited model judges itself).
        stages: any of "stance", "long_form", "judge_check" (the stance judge read on answers of known stance: how
            far its reading of the long-form answers can be trusted; a fixed cost per judge, whatever the statements),
            "opinions".
        translated: also audit non-English statements in their English translation.
        chat: wrap prompts in each model's chat template (False for base models).
        max_tokens: length of long-form answers.
        refusal_judge: also ask the judge whether each answer is a refusal (besides the phrase patterns and the
            stance judge's "refusal" option).
        template_from: for openai specs, the tokenizer whose chat template renders prompts for scoring.
        steer: with the "opinions" stage, also ask each survey question with the model steered toward each human
            group (``steering``): who the model can speak for. Each question is asked once more per group and format.
        steer_formats: the formats of steering, any of "qa", "bio", "portray" (OpinionQA's); a group that names a
            country is asked "How would someone from X answer?" instead. Portray alone by default: on the embedded
            model it cost 1.1-1.3x the opinion stage, all three 2.1-2.4x (benchmarks/RESULTS.md); ask for all three
            to find the best format.
    """

    models: list[str]
    statements: str = "builtin"
    statement_format: str = "generic"
    columns: dict[str, str] = field(default_factory=dict)
    limit: int | None = None
    survey: str = "builtin"
    survey_format: str = "long"
    survey_limit: int | None = None
    judge: str | None = None
    stages: list[str] = field(default_factory=lambda: list(STAGES))
    translated: bool = True
    chat: bool = True
    max_tokens: int = 96
    refusal_judge: bool = False
    template_from: str | None = None
    seed: int = 0
    steer: bool = False
    steer_formats: list[str] = field(default_factory=lambda: ["portray"])

    def __post_init__(self) -> None:
        for spec in [*self.models, *([self.judge] if self.judge else [])]:
            parse_spec(spec)
        unknown = set(self.stages) - set(STAGES)
        if unknown:
            raise InputError(f"unknown stage(s) {', '.join(sorted(unknown))}; choose from {', '.join(STAGES)}")
        formats = set(self.steer_formats) - set(FORMATS)
        if formats or not self.steer_formats:
            raise InputError(f"unknown steering format(s) {', '.join(sorted(formats)) or '(none given)'}; choose from "
                             f"{', '.join(FORMATS)}")


def run_audit(config: AuditConfig, out: str | Path, *, fresh: bool = False, progress: bool = True,
              use_cache: bool = True, models: dict[str, LanguageModel] | None = None) -> Summary:
    """Audit every model in ``config`` on its statements (and survey), writing to the run directory ``out``.

    Re-running with the same arguments resumes: finished items are skipped. ``models`` may hold already-loaded
    models by spec (tests and notebooks reuse them); others are loaded from their specs.
    Returns the run's summary (``summarise_audit``); the run holds records, results tables and ``report.html``.
    """
    statements = statements_from(config.statements, fmt=config.statement_format, columns=config.columns or None,
                                 limit=config.limit)
    survey = survey_from(config.survey, config.survey_format)
    if survey is not None and config.survey_limit is not None:
        survey = survey[survey["question_id"].isin(survey["question_id"].drop_duplicates().head(config.survey_limit))]
    data_fp = fingerprint_table(statements) + (fingerprint_table(survey) if survey is not None else "")
    run = Run(out, "audit", asdict(config), data_fp, fresh=fresh, seed=config.seed)
    run.describe_data(data_cards=read_cards(statements, survey))
    done = run.done_keys()
    _save_inputs(run.path, statements, survey)
    opened = Models(run, given=models, use_cache=use_cache, template_from=config.template_from)
    items = core.statement_items(statements, config.translated).to_dict("records")
    labelled = _labelled_stances() if "judge_check" in config.stages else []
    english = dict(zip(statements["id"], statements["text_en"].where(statements["text_en"].notna(), statements["text"])))
    questions = (survey.drop_duplicates("question_id")[["question_id", "question", "options", "ordinal"]].to_dict("records")
                 if "opinions" in config.stages and survey is not None else [])
    steered = steer_items(survey, config.steer_formats) if questions and config.steer else []
    with run.recording(), progress_tasks(progress) as tasks:
        for spec in config.models:
            model = opened(spec)
            judge = opened(config.judge) if config.judge else model

            def keys(stage: str, rows: Sequence[dict], *fields: str) -> list[str]:
                return ["|".join([spec, stage, *(str(r[f]) for f in fields)]) for r in rows]

            if "stance" in config.stages:
                in_chunks(run, done, keys("stance", items, "statement_id", "variant"), items,
                          partial(stages.stance, model=model, spec=spec, chat=config.chat),
                          tasks.add(f"{spec[:18]} log-prob stance", len(items)), model=model, size=32)
            if "long_form" in config.stages:
                in_chunks(run, done, keys("long_form", items, "statement_id", "variant"), items,
                          partial(stages.long_form, model=model, judge=judge, spec=spec, english=english,
                                  chat=config.chat, max_tokens=config.max_tokens, refusal_judge=config.refusal_judge),
                          tasks.add(f"{spec[:18]} long-form answers", len(items)), model=model, size=16)
            if labelled:
                in_chunks(run, done, keys("judge_check", labelled, "id"), labelled,
                          partial(stages.judge_check, judge=judge, spec=spec, chat=config.chat),
                          tasks.add(f"{spec[:18]} judge on labelled answers", len(labelled)), model=judge, size=32)
            if questions and not steered:
                in_chunks(run, done, keys("opinions", questions, "question_id"), questions,
                          partial(stages.opinions, model=model, spec=spec, chat=config.chat),
                          tasks.add(f"{spec[:18]} survey answers", len(questions)), model=model, size=32)
            if steered:  # each question unsteered (the opinions stage's record) and steered, in one call
                steer_keys = [k if it["format"] is None else f"{spec}|steer|{it['question_id']}|{it['group']}|{it['format']}"
                              for k, it in zip(keys("opinions", steered, "question_id"), steered)]
                in_chunks(run, done, steer_keys, steered, partial(stages.steer, model=model, spec=spec, chat=config.chat),
                          tasks.add(f"{spec[:18]} survey answers, unsteered and steered", len(steered)),
                          model=model, size=32)
    write_results(run.path)
    return summarise_audit(run.path)


def _save_inputs(path: Path, statements: pd.DataFrame, survey: pd.DataFrame | None) -> None:
    """Keep the audited tables beside the records, so results and reports can be rebuilt from the run alone."""
    for name, table in (("statements", statements), ("survey", survey)):
        target = path / f"{name}.parquet"
        if table is not None and not target.exists():
            public_columns(table).to_parquet(target, index=False)


def _labelled_stances() -> list[dict]:
    """pluralign's answers of known stance, each with its statement in English, to measure the stance judge."""
    english = builtin_statements().set_index("id")["text"]
    return builtin_stances().assign(statement_en=lambda t: t["statement_id"].map(english)).to_dict("records")


def summarise_audit(run_dir: str | Path) -> Summary:
    """An audit run's summary: where its report is (the degeneracy checks that fired are printed from its metrics)."""
    path = Path(run_dir)
    return Summary(path, lines=(f"report: {path / 'report.html'}",))


JOB = Job("audit", AuditConfig, run_audit, summarise_audit, write_results, ITEMS)
