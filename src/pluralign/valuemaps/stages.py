"""The values stage that calls the model and the embedder: the model, scorer and embedder a config names, the
relevance threshold calibrated for a scorer, and the value maps of situations (in a run, or one without)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..data import builtin_overton, language_code
from ..embed import Embedder, SentenceEmbedder
from ..errors import InputError
from ..models.base import LanguageModel
from ..runs import Models, Run
from . import core
from .config import ValuesConfig
from .evaluate import calibrate_relevance, relevance_pairs
from .prompts import KINDS
from .scorers import SCORE_COLUMNS, Scorer, load_scorer


def prepare(config: ValuesConfig, *, use_cache: bool = True, models: dict[str, LanguageModel] | None = None,
            run: Run | None = None):
    """The (cached) model, the scorer and the embedder a config names; already-loaded models are reused. A scorer
    that needs no model (or an unknown one) loads first, so a wrong ``--scorer`` fails before a large model loads."""
    embedder = SentenceEmbedder(config.embedder)
    alone = None if config.scorer == "lm" else load_scorer(config.scorer, None, embedder, config.chat)
    model = Models(run, given=models, use_cache=use_cache)(config.model)
    return model, alone or load_scorer(config.scorer, model, embedder, config.chat), embedder


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
