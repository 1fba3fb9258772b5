"""Load on `pluralign collect serve`: simulated annotators submitting at once, then a SIGKILL mid-load.

    .venv/bin/python benchmarks/collect_load.py --quick
    .venv/bin/python benchmarks/collect_load.py --database sqlite --people 200 --seconds 60
    .venv/bin/python benchmarks/collect_load.py --database postgresql --fixed-sets --people 1000 --think 8 \
        --seconds 120 --ramp 20 --client-cpu 0 --server-cpu 1

The real server (`python -m pluralign collect serve`, the embedded model behind its worker) runs on loopback; its
first-turn candidate sets are generated before the clock starts. The study is in one language, with the 28 English
prompts of collect_load_prompts.csv (a person is given prompts in their invite's language); ``--fixed-sets`` fills
them with fixed texts instead, to measure the request path alone. ``--client-cpu`` and
``--server-cpu`` pin this load generator and the server (with its processes: ``--workers``) to one core each
(``taskset``). Each simulated person (one keep-alive connection of ``lean_http``: httpx cost this generator 28 ms of
CPU per submit) arrives within ``--ramp`` seconds, consents, answers the survey and reads a task, then spends --think
seconds on each task (on average; 0: none) and submits a choice through the JSON API with ``?task=1``, whose reply
carries the next task (``--two-requests``: read with GET after each submit), and re-sends one in ten acknowledged
choices with the same nonce (a retry after a lost reply). Then: how many choices were acknowledged, whether each is
in the database exactly once, the submit latency (p50, p95; p95 of the second half), and the CPU per choice of the
server, PostgreSQL and this generator (over the run, and the server's and generator's over its second half). A second
round is killed with SIGKILL halfway through and restarted: every choice acknowledged before the kill must be there
(exit 1 otherwise). The PostgreSQL database and the temporary folder it made are removed at the end, also when it
fails or is interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import psutil
import psycopg
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from pluralign.collect.store import Store  # noqa: E402
from pluralign.collect.study import load_study  # noqa: E402
from tests.collect.conftest import POSTGRES, fill_all, write_study  # noqa: E402
from tests.conftest import start_server, stop_server  # noqa: E402

from lean_http import Connection  # noqa: E402

PASSWORD = "load-admin-password"
PROMPTS = Path(__file__).with_name("collect_load_prompts.csv")  # 28 English prompts: the quota of one person


def make_database(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return str(folder / "load.db")
    name = f"pluralign_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(database: str) -> None:
    """Drop a PostgreSQL database ``make_database`` made (a SQLite file goes with its folder)."""
    if "://" in database:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database.rsplit('/', 1)[1]} WITH (FORCE)")


def serve(study: Path, cpu: int | None, workers: int) -> tuple[subprocess.Popen, str]:
    pin = [] if cpu is None else ["taskset", "-c", str(cpu)]
    return start_server(lambda port: [*pin, sys.executable, "-m", "pluralign", "collect", "serve", str(study),
                                      "--port", str(port), "--password", PASSWORD, "--rate", "1000000",
                                      # named only when more than one, so it measures servers from before the option
                                      *(["--workers", str(workers)] if workers > 1 else [])], "/openapi.json")


async def person(connection: Connection, token: str, until: float, args: argparse.Namespace, latencies: list[float],
                 sent: list[float], acknowledged: set[str], retried: list[str], rng: random.Random) -> None:
    """One simulated person: arrives within ``--ramp`` seconds, consents, answers the survey, reads a task, then
    thinks and submits until ``until``; a submit's reply carries the next task (``?task=1``; with ``--two-requests``
    the task is read again after each submit, as before that existed). One in ten acknowledged submits is sent again
    with the same nonce (a retry after a lost reply): it must come back a duplicate."""
    await asyncio.sleep(rng.uniform(0, args.ramp))
    api = f"/api/a/{token}"
    await connection.request("POST", f"{api}/consent")
    await connection.request("POST", f"{api}/survey", {"political": rng.choice(["Left", "Right"])})
    task = (await connection.request("GET", f"{api}/task")).json()
    submit = f"{api}/choice" + ("" if args.two_requests else "?task=1")
    while time.monotonic() < until and task["state"] != "done":
        if task["state"] != "task":
            await asyncio.sleep(0.2)
            task = (await connection.request("GET", f"{api}/task")).json()
            continue
        await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)  # reading the answers
        nonce = uuid.uuid4().hex
        body = {"nonce": nonce, "set_id": task["set_id"], "position": rng.randrange(len(task["candidates"])),
                "shown_at": task["shown_at"], "form": task["form"]}
        start = time.perf_counter()
        reply = await connection.request("POST", submit, body)
        latencies.append(time.perf_counter() - start)
        sent.append(time.monotonic())  # answered now
        task = None
        if reply.status_code == 200:  # recorded now, or by an earlier try of this same submit
            acknowledged.add(nonce)
            task = reply.json().get("task")  # None from a server before ?task=1, or with --two-requests
            if rng.random() < 0.1:
                again = await connection.request("POST", submit, body)
                retried.append(again.json().get("duplicate") and nonce)
        if task is None:
            task = (await connection.request("GET", f"{api}/task")).json()


async def load(url: str, tokens: list[str], args: argparse.Namespace, server: subprocess.Popen | None = None,
               kill: subprocess.Popen | None = None) -> dict:
    """Every person in ``tokens`` at once for ``--seconds`` (``kill``: the server killed with SIGKILL halfway);
    what they saw, this generator's own CPU seconds, and (``halfway``) the ``server``'s CPU seconds at half time."""
    latencies: list[float] = []
    sent: list[float] = []  # when each submit was answered (time.monotonic)
    acknowledged: set[str] = set()
    retried: list[str] = []
    errors: list[str] = []
    host, port = url.removeprefix("http://").split(":")
    cpu = time.process_time()
    until = time.monotonic() + args.seconds
    runs = [person(Connection(host, int(port), errors), t, until, args, latencies, sent, acknowledged, retried,
                   random.Random(i)) for i, t in enumerate(tokens)]
    halfway: dict = {}

    async def at_half_time() -> None:
        """Halfway: the server's CPU and the choices so far (the second half's cost per choice, after everyone has
        arrived), or the server killed with SIGKILL."""
        await asyncio.sleep(args.seconds / 2)
        if kill is not None:
            os.killpg(kill.pid, signal.SIGKILL)
        elif server is not None:
            halfway.update(cpu=cpu_seconds(server.pid), acknowledged=len(acknowledged), cpu_self=time.process_time())
    runs.append(at_half_time())
    outcomes = await asyncio.gather(*runs, return_exceptions=True)
    failed = [o for o in outcomes if isinstance(o, Exception)]
    if failed and kill is None:  # a person who could not go on (a connection dropped three times in a row)
        raise failed[0]
    return {"latencies": latencies, "sent": sent, "acknowledged": acknowledged, "retried": retried, "errors": errors,
            "cpu": time.process_time() - cpu, "halfway": halfway, "cpu_end": time.process_time()}


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a process and the processes it started (uvicorn's workers) have used: a cost per
    choice that other work on the machine barely moves, unlike the latencies."""
    server = psutil.Process(pid)
    return sum(sum(p.cpu_times()[:2]) for p in [server, *server.children(recursive=True)])


def postgres_seconds() -> float:
    """User and system CPU seconds of the machine's PostgreSQL processes (its backends serve every database on it, so
    other work on it counts here too)."""
    total = 0.0
    for p in psutil.process_iter(["name"]):
        if p.info["name"] in ("postgres", "postmaster"):
            try:
                total += sum(p.cpu_times()[:2])
            except psutil.Error:
                pass  # a backend that ended in between
    return total


def stored(database: str) -> list[str]:
    url = database if "://" in database else f"sqlite:///{database}"
    engine = create_engine(url)
    with engine.connect() as connection:
        nonces = [row[0] for row in connection.execute(text("select nonce from choices"))]
    engine.dispose()
    return nonces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean seconds a simulated person spends on a task before submitting (0: as fast as possible)")
    parser.add_argument("--client-cpu", type=int, help="the core this load generator runs on (default: any)")
    parser.add_argument("--server-cpu", type=int, help="the core the server runs on (default: any)")
    parser.add_argument("--workers", type=int, default=1, help="the server's processes answering requests")
    parser.add_argument("--fixed-sets", action="store_true",
                        help="fill the first-turn sets with fixed texts before the server starts, so its worker has "
                             "nothing to generate (the request path alone, without minutes of generation first)")
    parser.add_argument("--ramp", type=float, default=0.0,
                        help="seconds over which the people arrive, uniformly (0: all at once)")
    parser.add_argument("--two-requests", action="store_true",
                        help="read each next task with GET .../task after the submit, as before ?task=1")
    parser.add_argument("--quick", action="store_true",
                        help="a check that takes about a minute: 60 people, 1 s think, 15 s a round, fixed sets")
    args = parser.parse_args()
    if args.quick:
        args.people, args.think, args.seconds, args.fixed_sets = 60, 1.0, 15.0, True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a stopped run still removes what it made (finally)
    if args.client_cpu is not None:
        os.sched_setaffinity(0, {args.client_cpu})
    folder = Path(tempfile.mkdtemp(prefix="collect-load-"))
    database = make_database(args.database, folder)
    try:
        study = write_study(folder, database, study={"languages": ["en"]},
                            prompts={"source": str(PROMPTS), "limit": 28},
                            candidates={"sampler": "independent", "k": 4, "max_tokens": 12},
                            turns={"max": 1}, overlap={"min_people": 3, "shared": 2, "quota": 28})
        made = subprocess.run([sys.executable, "-m", "pluralign", "collect", "invite", str(study), "-n",
                               str(args.people)], capture_output=True, text=True, check=True)
        tokens = [line.rsplit("/", 1)[1] for line in made.stdout.split()]
        if args.fixed_sets:
            fill_all(Store(load_study(study)))
        server, url = serve(study, args.server_cpu, args.workers)
        try:
            measure(args, study, database, tokens, server, url)
        finally:
            stop_server(server)
    finally:
        drop_database(database)
        shutil.rmtree(folder)


def measure(args: argparse.Namespace, study: Path, database: str, tokens: list[str], server: subprocess.Popen,
            url: str) -> None:
    auth = ("admin", PASSWORD)
    while any(s["status"] == "pending" for s in httpx.get(f"{url}/api/admin/progress", auth=auth).json()["sets"]):
        time.sleep(1)  # every first-turn set written before the clock starts
    offered = f"{args.people / args.think:.0f} choices/s offered" if args.think else "no think time"
    print(f"{args.database}: {args.people} people, {args.seconds:.0f} s, think {args.think:g} s ({offered}), "
          f"load generator on cpu {args.client_cpu}, server ({args.workers} worker processes) on cpu "
          f"{args.server_cpu}, {url}")

    cpu, database_cpu = cpu_seconds(server.pid), postgres_seconds()
    started = time.monotonic()
    steady = asyncio.run(load(url, tokens, args, server))
    end = cpu_seconds(server.pid)
    cpu, database_cpu = end - cpu, postgres_seconds() - database_cpu
    in_db = stored(database)
    n = max(1, len(steady["acknowledged"]))
    lat = np.array(steady["latencies"] or [np.nan]) * 1000  # nan: no submit was answered in time
    late = np.array([t for at, t in zip(steady["sent"], steady["latencies"]) if at - started > args.seconds / 2]
                    or [np.nan]) * 1000
    print(f"steady: {len(steady['acknowledged'])} choices acknowledged ({len(steady['acknowledged']) / args.seconds:.0f}/s), "
          f"{len(in_db)} in the database, {len(steady['acknowledged'] - set(in_db))} lost, "
          f"{len(in_db) - len(set(in_db))} duplicated; {sum(map(bool, steady['retried']))} of {len(steady['retried'])} "
          f"retries answered as duplicates; submit latency p50 {np.percentile(lat, 50):.0f} ms, "
          f"p95 {np.percentile(lat, 95):.0f} ms, max {lat.max():.0f} ms (second half: p95 {np.percentile(late, 95):.0f} "
          f"ms); {len(steady['errors'])} dropped connections (sent again)")
    postgres = f"PostgreSQL (all its processes) {1000 * database_cpu / n:.1f} ms, " if "://" in database else ""
    print(f"CPU per acknowledged choice (its person's consent, survey and task reads included): server "
          f"{1000 * cpu / n:.1f} ms, {postgres}this load "
          f"generator {1000 * steady['cpu'] / n:.1f} ms ({1000 * steady['cpu'] / max(1, len(lat)):.2f} ms per "
          f"submit sent, retries included)")
    half = steady["halfway"]
    if half and len(steady["acknowledged"]) > half["acknowledged"]:
        later = len(steady["acknowledged"]) - half["acknowledged"]
        print(f"second half alone (everyone arrived): {later} choices acknowledged, server CPU "
              f"{1000 * (end - half['cpu']) / later:.1f} ms, load generator "
              f"{1000 * (steady['cpu_end'] - half['cpu_self']) / later:.2f} ms per acknowledged choice")

    more = subprocess.run([sys.executable, "-m", "pluralign", "collect", "invite", str(study), "-n", str(args.people)],
                          capture_output=True, text=True, check=True)
    fresh = [line.rsplit("/", 1)[1] for line in more.stdout.split()]
    killed = asyncio.run(load(url, fresh, args, kill=server))
    stop_server(server)
    restarted, url = serve(study, args.server_cpu, args.workers)
    stop_server(restarted)
    after = stored(database)
    lost = killed["acknowledged"] - set(after)
    print(f"killed mid-load (SIGKILL) and restarted: {len(killed['acknowledged'])} choices acknowledged before the kill, "
          f"{len(lost)} lost, {len(after) - len(set(after))} duplicated, {len(after)} in the database")
    if lost or len(after) != len(set(after)) or steady["acknowledged"] - set(in_db):
        sys.exit(1)


if __name__ == "__main__":
    main()
