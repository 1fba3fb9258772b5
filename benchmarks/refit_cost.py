"""What a refit of an active study costs in `pluralign collect` (issue 36), and how much of it is embedding: CPU
seconds of ``collect.refit.refit`` on a SQLite study with a few hundred first-turn choices, then again after more
choices came in, with the embedder as the refit thread used to hold it (every text embedded again at each refit),
with the embedder's SQLite cache warm (each text hashed and read back), and as ``Refitter`` holds it now
(``KeptVectors``: only the new texts are embedded). The split into embedding and the fit itself is measured by
wrapping the embedder's calls.

    PYTHONPATH=src .venv/bin/python benchmarks/refit_cost.py [--choices 300] [--more 50] [--model mixture]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from pluralign.collect.refit import KeptVectors, refit  # noqa: E402
from pluralign.collect.store import Store  # noqa: E402
from pluralign.collect.study import load_study  # noqa: E402
from pluralign.embed import Embedder, SentenceEmbedder  # noqa: E402
from tests.collect.conftest import write_study  # noqa: E402

PROMPTS, K, QUOTA = 120, 4, 5
WORDS = ("the evidence suggests that people often weigh risks and benefits differently depending on their values "
         "family community freedom safety tradition fairness cost health time experts recommend caution while others "
         "argue for trying it yourself first and checking sources carefully before deciding").split()


def text(rng: np.random.Generator, words: int) -> str:
    return " ".join(rng.choice(WORDS, words)).capitalize() + "."


class Timed:
    """An embedder whose calls' CPU seconds are added up in ``seconds``."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder, self.fingerprint, self.seconds = embedder, embedder.fingerprint, 0.0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        start = time.process_time()
        try:
            return self.embedder.embed(texts)
        finally:
            self.seconds += time.process_time() - start

    def count_truncated(self, texts: Sequence[str]) -> int:
        start = time.process_time()
        try:
            return self.embedder.count_truncated(texts)
        finally:
            self.seconds += time.process_time() - start


def study_store(folder: Path, model: str) -> Store:
    """An active study of ``PROMPTS`` prompts whose first-turn sets hold ``K`` answers of 20-120 words each."""
    rng = np.random.default_rng(0)
    prompts = pd.DataFrame({"id": [f"p{i}" for i in range(PROMPTS)], "language": "en",
                            "text": [f"Question {i}: {text(rng, 12)}" for i in range(PROMPTS)]})
    prompts.to_json(folder / "prompts.jsonl", orient="records", lines=True)
    store = Store(load_study(write_study(folder, str(folder / "study.db"), study={"languages": ["en"]},
                                         prompts={"source": str(folder / "prompts.jsonl"), "limit": PROMPTS},
                                         candidates={"k": K}, turns={"max": 1},
                                         overlap={"policy": "active", "model": model, "types": 2, "min_people": 1,
                                                  "shared": 1, "quota": QUOTA, "warmup": QUOTA})))
    store.migrate()
    store.add_prompts(prompts)
    for pending in store.pending(PROMPTS):
        store.fill(pending["id"], [{"text": text(rng, int(rng.integers(20, 120))), "source": "bench"}
                                   for _ in range(K)])
    return store


def answer(store: Store, choices: int) -> None:
    """New people answer until ``choices`` more are recorded: half take the shortest answer, half the longest."""
    people = store.invite(-(-choices // QUOTA), "en")
    for n, person in enumerate(store.person(t).id for t in people):
        for _ in range(QUOTA):
            if choices == 0:
                return
            task = store.task(person)
            lengths = [len(task.candidates[i]["text"]) for i in task.order]
            position = int(np.argmin(lengths) if n % 2 else np.argmax(lengths))
            store.choose(person, nonce=uuid.uuid4().hex, set_id=task.set_id, position=position, rationale=None,
                         next_message=None, seconds=5.0)
            choices -= 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--choices", type=int, default=300)
    parser.add_argument("--more", type=int, default=50)
    parser.add_argument("--model", default="mixture", choices=("mixture", "ideal-point"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        store = study_store(folder, args.model)
        embedders = {"every text again (before)": lambda: SentenceEmbedder(cache=None),
                     "SQLite cache (cold at the first)": lambda: SentenceEmbedder(cache=folder / "vectors.sqlite"),
                     "kept vectors (now)": lambda: KeptVectors(SentenceEmbedder(cache=None))}
        held = {name: Timed(make()) for name, make in embedders.items()}
        for embedder in held.values():  # the model's first call pays for setting itself up: not a refit's cost
            embedder.embed(["warm-up"])
        rows, total_choices = [], 0
        for step, choices in (("first refit", args.choices), ("next refit", args.more)):
            answer(store, choices)
            total_choices += choices
            for name, embedder in held.items():
                embedder.seconds = 0.0
                start = time.process_time()
                refit(store, embedder)
                total = time.process_time() - start
                rows.append({"refit": step, "choices": total_choices, "embedder": name, "cpu_s": round(total, 2), "embedding_cpu_s": round(embedder.seconds, 2)})
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
