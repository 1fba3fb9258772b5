"""Overton coverage of one situation, without a run: ``pluralign values-overton``'s whole work. Its value map is made
and read with ``valuemaps`` (``overton_rows``, ``overton_measures``); the answers are a file's or the model's own,
sampled with ``candidates``' samplers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..candidates.samplers import IndependentSampler, NegativelyCorrelatedSampler
from ..data import builtin_overton, language_code
from ..data.schema import Column
from ..data.tables import load_table
from ..errors import InputError
from ..models.base import LanguageModel
from ..valuemaps.config import ValuesConfig
from ..valuemaps.overton import labelled_accuracy, overton_measures, overton_rows
from ..valuemaps.stages import calibrated, prepare


@dataclass(frozen=True)
class OvertonCoverage:
    """What ``overton_coverage`` found for one situation: the answers scored (answer_set, answer_id, answer), one
    row per (answer, map entry) (``ENTRY_COLUMNS``; none when the map kept nothing), coverage and balance per answer
    set (``overton_measures``), the relevance calibration the map used, and the coverage scorer on the labelled
    pairs of the situation's language (``labelled_accuracy``; English where that language has none)."""

    answers: pd.DataFrame
    rows: pd.DataFrame
    measures: pd.DataFrame
    calibration: dict
    scorer_check: pd.DataFrame


def answers_from(path: str | Path) -> pd.DataFrame:
    """An answers file: ``answer`` (required) and ``answer_set`` (default "given"), each answer given an id."""
    table = load_table(path, (Column("answer", "str", doc="an answer to the situation"),
                              Column("answer_set", "str", False, "answers scored together as one set")))
    table["answer_set"] = table["answer_set"].fillna("given") if "answer_set" in table else "given"
    return table.assign(answer_id=[f"a{i + 1}" for i in range(len(table))])[["answer_set", "answer_id", "answer"]]


def own_answers(model: LanguageModel, situation: str, chat: bool, seed: int) -> pd.DataFrame:
    """The model's greedy answer (set "single") and its negatively-correlated set of four."""
    prompt = [{"id": "situation", "text": situation}]
    single = IndependentSampler(model, k=1, temperature=0.0, chat=chat, seed=seed).sample(prompt)[0]
    diverse = NegativelyCorrelatedSampler(model, k=4, chat=chat, seed=seed).sample(prompt)[0]
    return pd.DataFrame([{"answer_set": r["sampler"] if r is diverse else "single", "answer_id": f"{i + 1}",
                          "answer": c["text"]} for r in (single, diverse) for i, c in enumerate(r["candidates"])])


def overton_coverage(situation: str, answers: str | Path | None = None, *, model: str = "embedded",
                     language: str = "en", samples: int = 8, chat: bool = True, use_cache: bool = True,
                     seed: int = 0) -> OvertonCoverage:
    """Overton coverage of one situation, without a run: its value map (relevance threshold calibrated for
    ``model``), then every answer (the ``answers`` file's, or the model's own: ``own_answers``) scored against
    every kept entry. A bad language or answers file fails before any model loads."""
    code, situation = language_code(language), situation.strip()
    if code is None:
        raise InputError(f"unknown language {language!r} (use ISO 639-1, e.g. en, de, tr)")
    if not situation:
        raise InputError("the situation is empty; give a sentence describing an action or a question")
    given = answers_from(answers) if answers is not None else None
    config = ValuesConfig(model=model, samples=samples, chat=chat, seed=seed, calibrate=True)
    lm, scorer, embedder = prepare(config, use_cache=use_cache)
    config, calibration = calibrated(config, scorer)
    given = given if given is not None else own_answers(lm, situation, chat, seed)
    rows = overton_rows(lm, [{"id": "situation", "text": situation, "language": code}],
                        given.assign(situation_id="situation"), scorer=scorer, embedder=embedder, config=config)
    labelled = builtin_overton()
    labelled = labelled[labelled["language"] == (code if code in set(labelled["language"]) else "en")]
    return OvertonCoverage(given, rows, overton_measures(rows), calibration, labelled_accuracy(lm, labelled, chat))
