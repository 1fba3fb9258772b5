"""What active assignment adds to `pluralign collect`'s request path: milliseconds per new conversation assigned by
``Store.task`` in a study of 500 prompts (one language, k = 4), under the fixed design (``policy = "random"``) and
under an active rule whose newest fit holds 2,000 ideal-point hypotheses over K = 3 rewards (resampled to 64 per
assignment, as ``acquire`` does), each person having answered up to 9 first turns before. The fit's rewards are
drawn at random: an assignment's cost depends on the fit's shapes, not on how well it fits. Each person is assigned
and answers one conversation after another, through ``Store.task`` and ``Store.choose`` (the app's calls, without
HTTP); only the ``task`` calls that assign a new conversation are timed, wall-clock and CPU. With ``--pool N``
every first-turn set holds N answers of which 4 are shown (``[candidates] pool``): the active rule then scores every
(prompt, 4 of N) task, C(N, 4) per prompt, and the first assignment after the fit lists them (``ActiveFit.tasks``).

    PYTHONPATH=src .venv/bin/python benchmarks/active_collect_cost.py [--people 40] [--quota 10] [--pool 4]  # SQLite
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from pluralign.collect.active import ActiveFit  # noqa: E402
from pluralign.collect.fits import save_fit  # noqa: E402
from pluralign.collect.store import Store  # noqa: E402
from pluralign.collect.study import load_study  # noqa: E402
from tests.collect.conftest import write_study  # noqa: E402

PROMPTS, K, HYPOTHESES, CANDIDATES = 500, 3, 2000, 4


def study_store(folder: Path, policy: str, quota: int, pool: int) -> Store:
    """A migrated study of ``PROMPTS`` prompts with every first-turn set filled with ``pool`` answers; an active one
    has a stored fit."""
    store = Store(load_study(write_study(folder, str(folder / "study.db"), study={"languages": ["en"]},
                                         prompts={"source": str(folder / "prompts.jsonl"), "limit": PROMPTS},
                                         candidates={"k": CANDIDATES, "pool": pool},
                                         overlap={"policy": policy, "min_people": 1, "shared": 1, "quota": quota,
                                                  "warmup": 1})))
    store.migrate()
    store.add_prompts(pd.read_json(folder / "prompts.jsonl", lines=True))
    for pending in store.pending(PROMPTS):
        store.fill(pending["id"], [{"text": f"answer {i}", "source": "bench"} for i in range(pool)])
    if policy == "active":
        rng = np.random.default_rng(0)
        fit = ActiveFit(0, "variance", rng.dirichlet(np.ones(K), HYPOTHESES), np.full(HYPOTHESES, -np.log(HYPOTHESES)),
                        {f"p{i}": i for i in range(PROMPTS)}, rng.normal(size=(PROMPTS, pool, K)), CANDIDATES)
        with Session(store.engine) as session, session.begin():
            save_fit(session, fit, 0, "ideal-point")
    return store


def timed_assignments(store: Store, people: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each ``task`` call that assigns a new conversation (warm-up ones left out)."""
    wall, cpu = [], []
    for person in (store.person(t).id for t in store.invite(people, "en")):
        for n in range(store.study.quota):
            start, start_cpu = time.perf_counter(), time.process_time()
            task = store.task(person)
            if n >= store.study.warmup:
                wall.append(1000 * (time.perf_counter() - start))
                cpu.append(1000 * (time.process_time() - start_cpu))
            store.choose(person, nonce=uuid.uuid4().hex, set_id=task.set_id, position=n % CANDIDATES,
                         rationale=None, next_message=None, seconds=5.0)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=40)
    parser.add_argument("--quota", type=int, default=10)
    parser.add_argument("--pool", type=int, default=CANDIDATES, help="answers per first-turn set, 4 to 8")
    args = parser.parse_args()
    for policy in ("random", "active"):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            (folder / "prompts.jsonl").write_text("".join(
                json.dumps({"id": f"p{i}", "text": f"question {i}", "language": "en"}) + "\n" for i in range(PROMPTS)))
            wall, cpu = timed_assignments(study_store(folder, policy, args.quota, args.pool), args.people)
        print(f"{policy}, 4 shown of {args.pool}: {len(wall)} assignments, median {np.median(wall):.1f} ms wall "
              f"(p95 {np.percentile(wall, 95):.1f}), median {np.median(cpu):.1f} ms CPU", flush=True)


if __name__ == "__main__":
    main()
