"""People and models on the same value map: annotators placed by what they chose, models by their default answers
to the same prompts, both through the value judge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..data.sources import comparisons_from, warn_left_out
from ..models.base import LanguageModel
from ..runs import Models
from .judge import ValueJudge, chosen_positions
from .measures import annotator_positions, humans_versus_models
from .report import write_people_map
from .samplers import IndependentSampler


def people_and_models(comparisons: pd.DataFrame, models: dict[str, LanguageModel], judge: ValueJudge, *,
                      chat: bool = True, max_tokens: int = 128, seed: int = 0) -> dict[str, pd.DataFrame]:
    """From a comparison table (``pluralign learn``'s: annotator_id, context, candidates, chosen, language):

    ``people``: each annotator's mean judged position with an interval; ``defaults``: each model's greedy answer
    to every distinct context, judged; ``summary``: per model, the share of people in its quadrant and the ratio of
    people's to the model's variance on each axis.
    """
    people = annotator_positions(chosen_positions(comparisons.reset_index(drop=True), judge), seed=seed)
    contexts = comparisons.drop_duplicates(subset=["conversation_id", "turn"]) if "turn" in comparisons else comparisons
    prompts = [{"id": str(i), "text": c[-1]["content"], "context": list(c[:-1]), "language": lang or "en"}
               for i, (c, lang) in enumerate(zip(contexts["context"], contexts.get("language", [None] * len(contexts))))]
    defaults, summary = [], []
    for spec, model in models.items():
        answers = [s["candidates"][0]["text"] for s in IndependentSampler(model, 1, 0.0, max_tokens, chat, seed).sample(prompts)]
        placed = pd.concat([pd.DataFrame({"model": spec, "prompt": [p["text"] for p in prompts], "text": answers}),
                            judge.positions(answers)], axis=1)
        defaults.append(placed)
        summary.append({"model": spec, **{k: v for k, v in humans_versus_models(people, placed).items() if k != "model_quadrant"}})
    return {"people": people, "defaults": pd.concat(defaults, ignore_index=True), "summary": pd.DataFrame(summary)}


@dataclass
class HumansVsModels:
    """What ``run_humans_vs_models`` found: ``people_and_models``'s three tables, and ``map``, the path of the written
    ``map.html`` (None when nothing was written)."""

    people: pd.DataFrame
    defaults: pd.DataFrame
    summary: pd.DataFrame
    map: Path | None = None


def run_humans_vs_models(data: str, models: Sequence[str], *, annotators: str | None = None,
                         judge: str | None = None, chat: bool = True, max_tokens: int = 128, seed: int = 0,
                         out: Path | None = None) -> HumansVsModels:
    """The job of ``pluralign humans-vs-models``: load the choices of a comparison source (``ca:FILE``,
    ``prism:FILE|DIR``, ``comparisons:FILE`` or ``trl:FILE``), the models and the judge (default: the first model),
    and place them with ``people_and_models``. With ``out``, also writes each table as ``<name>.parquet`` and the
    scatter as ``map.html`` there.
    """
    comparisons, _ = comparisons_from(data, annotators)
    warn_left_out(comparisons, data)
    opened = Models(use_cache=False)
    loaded = {spec: opened(spec) for spec in dict.fromkeys(models)}
    result = people_and_models(comparisons, loaded, ValueJudge(opened(judge or next(iter(loaded))), chat), chat=chat,
                               max_tokens=max_tokens, seed=seed)
    if out is None:
        return HumansVsModels(**result)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in result.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    return HumansVsModels(**result, map=write_people_map(out, result["people"], result["defaults"], result["summary"]))
