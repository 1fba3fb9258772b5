"""The value maps' pure core: requests from situations, candidates from outputs, which candidates stay, summaries.

Nothing here calls a model or an embedder; ``stages.map_situations`` does, batching every situation of a chunk into
one call per step (generation, scoring, embedding), and hands the results to these functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import entropy

from ..models.base import GenerateRequest
from .dedup import Thresholds, deduplicate
from .parse import parse_vrds
from .prompts import KINDS, VALENCES, explanation_prompt, generation_prompt, prompts_for

CANDIDATE_COLUMNS = ["s", "situation", "language", "kind", "text"]


def generation_requests(situation: str, language: str, *, chat: bool = True, samples: int = 8, temperature: float = 0.9,
                        max_tokens: int = 96, seed: int = 0) -> list[GenerateRequest]:
    """One greedy list and ``samples`` sampled lists of candidates, in the situation's language."""
    p = prompts_for(language)
    prompt = generation_prompt(situation, p, chat)
    stop = () if chat else ("\n\n", f"{p.situation}:")
    out = [GenerateRequest(prompt, max_tokens=max_tokens, temperature=0.0, stop=stop)]
    if samples:
        out.append(GenerateRequest(prompt, max_tokens=max_tokens, temperature=temperature, n=samples, seed=seed,
                                   stop=stop))
    return out


def candidates_from(outputs: list[str]) -> list[tuple[str, str]]:
    """The union of the candidates parsed from every output, first occurrence first."""
    seen, out = set(), []
    for kind, text in (c for o in outputs for c in parse_vrds(o)):
        if (kind, text.casefold()) not in seen:
            seen.add((kind, text.casefold()))
            out.append((kind, text))
    return out


def candidates_per_situation(outputs: list[list[str]], per: list[int]) -> list[list[tuple[str, str]]]:
    """The candidates of each situation, from the outputs of all situations' requests in order (``per``: how many
    requests each situation made)."""
    bounds = np.cumsum([0, *per])
    return [candidates_from([text for o in outputs[a:b] for text in o]) for a, b in zip(bounds[:-1], bounds[1:])]


def candidate_table(situations: list[dict], found: list[list[tuple[str, str]]]) -> pd.DataFrame:
    """One row per candidate: its situation's index ``s``, text and language, its kind and text."""
    return pd.DataFrame([{"s": i, "situation": s["text"], "language": s["language"], "kind": k, "text": t}
                         for i, s in enumerate(situations) for k, t in found[i]], columns=CANDIDATE_COLUMNS)


def _example_items(language: str) -> set[tuple[str, str]]:
    p = prompts_for(language)
    return {(KINDS[k], t.casefold()) for k, t, _ in p.example_items}


def mark_kept(table: pd.DataFrame, vectors: np.ndarray, situations: list[dict], thresholds: Thresholds) -> pd.DataFrame:
    """The scored candidate ``table`` with ``dropped`` (why a candidate goes, or None), ``kept`` and ``valence`` (its
    likeliest); ``vectors`` are the candidates' unit embeddings, row for row."""
    # Small models copy the prompt's worked example; such a copy says nothing about the situation at hand.
    copied = [(k, t.casefold()) in _example_items(lang) for k, t, lang in zip(table["kind"], table["text"], table["language"])]
    table["dropped"] = np.where(copied, "copied from the prompt's example", None)
    for i, part in table[~np.array(copied, dtype=bool)].groupby("s"):
        table.loc[part.index, "dropped"] = deduplicate(part, vectors[part.index.to_numpy()], situations[i]["language"],
                                                       thresholds)
    table["kept"] = table["dropped"].isna()  # missing values may read as NaN here; records turn them into None
    table["valence"] = np.array(VALENCES)[table[list(VALENCES)].to_numpy(float).argmax(axis=1)] if len(table) else []
    return table


def explanation_requests(kept: pd.DataFrame, chat: bool) -> list[GenerateRequest]:
    """One short greedy explanation per kept candidate, in its situation's language."""
    return [GenerateRequest(explanation_prompt(r.situation, r.kind, r.text, prompts_for(r.language), chat),
                            max_tokens=48, temperature=0.0, stop=("\n",))
            for r in kept.itertuples(index=False)]


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


def map_records(situations: list[dict], table: pd.DataFrame, tension: float) -> list[dict]:
    """One record per situation: every candidate of the marked ``table``, kept or not, most relevant first, and the
    summary of the kept ones."""
    records = []
    for i, s in enumerate(situations):
        part = table[table["s"] == i].drop(columns=["s", "situation", "language"])
        kept = part[part["kept"]].sort_values("relevance", ascending=False)
        records.append({"situation_id": s["id"], "situation": s["text"], "language": s["language"],
                        "n_candidates": len(part), "n_kept": len(kept),
                        "candidates": [{k: None if isinstance(v, float) and np.isnan(v) else v for k, v in c.items()}
                                       for c in part.sort_values("relevance", ascending=False).to_dict("records")],
                        **summarise(kept, tension)})
    return records
