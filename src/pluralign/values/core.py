"""The value-map pipeline: generate candidates, score them, keep the relevant distinct ones, summarise.

``map_situations`` takes several situations at once so that generation, scoring and embedding each run as one
batched call over all of them; a job calls it chunk by chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import entropy

from ..embed import Embedder
from ..errors import InputError
from ..models.base import GenerateRequest, LanguageModel
from ..models.spec import parse_spec
from .dedup import Thresholds, deduplicate
from .parse import parse_vrds
from .prompts import KINDS, VALENCES, explanation_prompt, generation_prompt, prompts_for
from .scorers import SCORE_COLUMNS, Scorer


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

    def __post_init__(self) -> None:
        parse_spec(self.model)
        if isinstance(self.thresholds, dict):
            self.thresholds = Thresholds(**self.thresholds)
        if self.samples < 0 or self.max_tokens < 1 or self.temperature < 0:
            raise InputError("samples must be >= 0, max_tokens >= 1 and temperature >= 0")


def generation_requests(situation: str, language: str, config: ValuesConfig) -> list[GenerateRequest]:
    """One greedy list and ``samples`` sampled lists of candidates, in the situation's language."""
    p = prompts_for(language)
    prompt = generation_prompt(situation, p, config.chat)
    stop = () if config.chat else ("\n\n", f"{p.situation}:")
    out = [GenerateRequest(prompt, max_tokens=config.max_tokens, temperature=0.0, stop=stop)]
    if config.samples:
        out.append(GenerateRequest(prompt, max_tokens=config.max_tokens, temperature=config.temperature,
                                   n=config.samples, seed=config.seed, stop=stop))
    return out


def candidates_from(outputs: list[str]) -> list[tuple[str, str]]:
    """The union of the candidates parsed from every output, first occurrence first."""
    seen, out = set(), []
    for kind, text in (c for o in outputs for c in parse_vrds(o)):
        if (kind, text.casefold()) not in seen:
            seen.add((kind, text.casefold()))
            out.append((kind, text))
    return out


def _example_items(language: str) -> set[tuple[str, str]]:
    p = prompts_for(language)
    return {(KINDS[k], t.casefold()) for k, t, _ in p.example_items}


def summarise(kept: pd.DataFrame, tension: float) -> dict:
    """Overall valence (the relevance-weighted mix of each candidate's (S, O, E) probabilities), its entropy in bits
    (0: every consideration leans the same way; log2 3 = 1.58: evenly split), and the pairs in tension: both at
    least ``tension`` relevant, one leaning to support and the other to oppose."""
    if not len(kept):
        return {"overall": dict.fromkeys(VALENCES, float("nan")), "entropy": float("nan"), "tensions": []}
    weights = kept["relevance"].to_numpy()
    mix = (weights[:, None] * kept[list(VALENCES)].to_numpy()).sum(axis=0)
    mix = mix / mix.sum() if mix.sum() > 0 else np.full(3, 1 / 3)
    lean = kept[list(VALENCES)].to_numpy().argmax(axis=1)
    strong = kept["relevance"].to_numpy() >= tension
    texts = [f"{k}: {t}" for k, t in zip(kept["kind"], kept["text"])]
    pro = [texts[i] for i in range(len(kept)) if strong[i] and lean[i] == 0]
    con = [texts[i] for i in range(len(kept)) if strong[i] and lean[i] == 1]
    return {"overall": dict(zip(VALENCES, map(float, mix))), "entropy": float(entropy(mix, base=2)),
            "tensions": [[a, b] for a in pro for b in con]}


def map_situations(situations: list[dict], model: LanguageModel | None, scorer: Scorer, embedder: Embedder,
                   config: ValuesConfig) -> list[dict]:
    """Value maps of ``situations`` (dicts with id, text, language): one record each, every candidate kept or not.

    With ``model`` None, the situations must carry ``candidates`` (lists of (kind, text)) to score instead.
    """
    if model is not None:
        requests = [generation_requests(s["text"], s["language"], config) for s in situations]
        outputs = model.generate([r for rs in requests for r in rs])
        per = [len(rs) for rs in requests]
        bounds = np.cumsum([0, *per])
        found = [candidates_from([text for o in outputs[a:b] for text in o]) for a, b in zip(bounds[:-1], bounds[1:])]
    else:
        found = [list(map(tuple, s["candidates"])) for s in situations]
    table = pd.DataFrame([{"s": i, "situation": s["text"], "language": s["language"], "kind": k, "text": t}
                          for i, s in enumerate(situations) for k, t in found[i]],
                         columns=["s", "situation", "language", "kind", "text"])
    table[SCORE_COLUMNS] = scorer.score(table) if len(table) else np.empty((0, len(SCORE_COLUMNS)))
    vectors = embedder.embed(table["text"].tolist()) if len(table) else np.zeros((0, 1), np.float32)
    # Small models copy the prompt's worked example; such a copy says nothing about the situation at hand.
    copied = [(k, t.casefold()) in _example_items(lang) for k, t, lang in zip(table["kind"], table["text"], table["language"])]
    table["dropped"] = np.where(copied, "copied from the prompt's example", None)
    for i, part in table[~np.array(copied, dtype=bool)].groupby("s"):
        table.loc[part.index, "dropped"] = deduplicate(part, vectors[part.index.to_numpy()], situations[i]["language"],
                                                       config.thresholds)
    table["kept"] = table["dropped"].isna()  # missing values may read as NaN here; records turn them into None
    table["valence"] = np.array(VALENCES)[table[list(VALENCES)].to_numpy(float).argmax(axis=1)] if len(table) else []
    if config.explain and model is not None:
        table["explanation"] = None
        kept = table[table["kept"]]
        prompts = [GenerateRequest(explanation_prompt(r.situation, r.kind, r.text, prompts_for(r.language), config.chat),
                                   max_tokens=48, temperature=0.0, stop=("\n",))
                   for r in kept.itertuples(index=False)]
        if prompts:
            table.loc[kept.index, "explanation"] = [o[0].strip() for o in model.generate(prompts)]
    records = []
    for i, s in enumerate(situations):
        part = table[table["s"] == i].drop(columns=["s", "situation", "language"])
        kept = part[part["kept"]].sort_values("relevance", ascending=False)
        records.append({"situation_id": s["id"], "situation": s["text"], "language": s["language"],
                        "n_candidates": len(part), "n_kept": len(kept),
                        "candidates": [{k: None if isinstance(v, float) and np.isnan(v) else v for k, v in c.items()}
                                       for c in part.sort_values("relevance", ascending=False).to_dict("records")],
                        **summarise(kept, config.thresholds.tension)})
    return records
