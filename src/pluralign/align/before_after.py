"""After training, the base and the tuned model measured side by side, on the same items, in the align run:

- ``audit/``: the audit's stance stage on the align run's statements (``stance_shift``);
- ``pluralism/``: the audit's opinion stage on its survey, each question asked unsteered and steered toward
  each human group (steerable and distributional pluralism; a steered prompt shares its question with the unsteered
  one, so the backends compute it once);
- ``overton`` records: Overton coverage of both models' answers to the first few held-out prompts (the answers the judge already has), each prompt's value map made once by the base model, which also
  judges coverage, so the two models' answers are read against one window by one scorer.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..jobs import Job, job
from ..models.base import LanguageModel
from ..runs import Run, RunError, in_chunks, progress_tasks
from ..valuemaps.config import ValuesConfig
from ..valuemaps.overton import ENTRY_COLUMNS, overton_rows
from ..valuemaps.stages import calibrated, prepare

OVERTON_SAMPLES = 2  # sampled lists per value map besides the greedy one: the map is a shared window, not a product
ROLES = {"against": "base", "model": "tuned"}  # the judge run's roles: its model is the tuned one, against the base


def _audit_job() -> Job:
    """The registered audit job: align composes the audit through the job registry (its ``config`` and ``run``), as
    ``pluralign resume`` does, instead of importing the audit capability."""
    found = job("audit")
    if found is None:
        raise RunError("align measures both models with the audit job, which is not installed: reinstall pluralign")
    return found


def audit_both(folder: Path, base: str, tuned: str, *, statements: str | None, statement_limit: int | None,
               survey: str | None, questions: int | None, seed: int, models: dict[str, LanguageModel],
               progress: bool, use_cache: bool) -> None:
    """The stance audit of ``statements`` (``folder/audit``) and the pluralism audit of the first ``questions`` of
    ``survey`` (``folder/pluralism``) of both models, each a resumable audit run; either is skipped when its source is
    None."""
    if not (statements or survey):
        return
    audit, common = _audit_job(), dict(progress=progress, use_cache=use_cache, models=models)
    if statements:
        audit.run(audit.config(models=[base, tuned], statements=statements, limit=statement_limit, survey="none",
                               stages=["stance"], seed=seed), folder / "audit", **common)
    if survey:
        # the statements are read but not asked (the opinion stage asks the survey alone): one keeps the run small
        audit.run(audit.config(models=[base, tuned], statements="builtin", limit=1, survey=survey,
                               survey_limit=questions, stages=["opinions"], steer=True, seed=seed),
                  folder / "pluralism", **common)


def overton_both(run: Run, done: set[str], answers: pd.DataFrame, base: str, tuned: str, *, prompts: int, seed: int,
                 models: dict[str, LanguageModel], progress: bool, use_cache: bool) -> None:
    """One ``overton`` record per prompt of the first ``prompts`` held-out ones: every (answer, map entry) row of both
    models' answers (``answers``: the judge run's, role ``model`` the tuned one's, ``against`` the base's, whose value
    map the ``base`` model makes), its ``answer_set`` the answering model's spec."""
    chosen = answers.drop_duplicates("prompt_id").head(prompts)
    items = [{"id": str(p.prompt_id), "text": p.prompt, "language": p.language or "en"} for p in chosen.itertuples()]
    keys = [f"overton|{it['id']}" for it in items]
    if not items or set(keys) <= done:
        return
    values = ValuesConfig(model=base, samples=OVERTON_SAMPLES, seed=seed, calibrate=True)
    model, scorer, embedder = prepare(values, use_cache=use_cache, models=models)
    values, calibration = calibrated(values, scorer)
    specs = {"against": base, "model": tuned}
    given = pd.DataFrame({"situation_id": answers["prompt_id"].astype(str), "answer_set": answers["role"].map(specs),
                          "answer_id": answers["role"].map(ROLES), "answer": answers["text"]})

    def measured(block: list[dict]) -> list[dict]:
        ids = [it["id"] for it in block]
        rows = overton_rows(model, block, given[given["situation_id"].isin(ids)], scorer=scorer, embedder=embedder,
                            config=values)
        return [{"kind": "overton", "prompt_id": i, **calibration,
                 "entries": rows[rows["situation_id"] == i].to_dict("records")} for i in ids]

    with progress_tasks(progress) as tasks:
        in_chunks(run, done, keys, items, measured, tasks.add("Overton coverage", len(items)), model=model, size=2)


def overton_entries(records: dict[str, dict]) -> pd.DataFrame:
    """Every (answer, map entry) row of the run's ``overton`` records, as ``overton_rows`` returned them."""
    rows = [row for key, r in records.items() if key.startswith("overton|") for row in r["entries"]]
    return pd.DataFrame(rows, columns=ENTRY_COLUMNS)
