"""The collect app's CPU per request on each path a panel hits, in process: a figure a busy machine moves little.

    PYTHONPATH=src .venv/bin/python benchmarks/collect_request_cpu.py --people 40 --choices 5

The app (``create_app``) over a fresh PostgreSQL database, its 28 first-turn sets filled with fixed texts (no model),
is called directly as an ASGI app, one request at a time: no network, no client, no concurrency (the database is dropped
at the end). Each person consents, answers the survey and reads and answers ``--choices`` tasks, through the JSON API
then (other people) with each choice's reply carrying the next task (``?task=1``: one request a choice), and then
(others again) through the HTML pages. The process's CPU time (all its threads) is taken around each
request; the first fifth of each path is left out as warm-up. What it leaves out: uvicorn's HTTP parsing and
PostgreSQL's own CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from collect_load import PASSWORD, PROMPTS, drop_database, make_database  # noqa: E402

from pluralign.collect.app import create_app  # noqa: E402
from pluralign.collect.store import Store  # noqa: E402
from pluralign.collect.study import load_study  # noqa: E402
from pluralign.data import prompts_from  # noqa: E402
from tests.collect.conftest import fill_all, write_study  # noqa: E402

FORM = b"application/x-www-form-urlencoded"


class Caller:
    """Calls an ASGI app directly and keeps the CPU time of each request by path name."""

    def __init__(self, app) -> None:
        self.app, self.cpu = app, defaultdict(list)

    async def __call__(self, name: str, method: str, path: str, body: bytes = b"",
                       kind: bytes = b"application/json") -> bytes:
        path, _, query = path.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
                 "headers": [(b"host", b"127.0.0.1:8800"), (b"content-type", kind),
                             (b"content-length", str(len(body)).encode())],
                 "client": ("127.0.0.1", 5555), "server": ("127.0.0.1", 8800), "state": {}}
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        reply = {"body": b""}

        async def receive() -> dict:
            if messages:
                return messages.pop()
            await asyncio.sleep(3600)  # the client stays connected

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                reply["status"] = message["status"]
            else:
                reply["body"] += message.get("body", b"")

        start = time.process_time()
        await self.app(scope, receive, send)
        self.cpu[name].append(time.process_time() - start)
        if reply["status"] >= 400:
            raise RuntimeError(f"{name}: {reply['status']} {reply['body'][:200]!r}")
        return reply["body"]


async def through_api(call: Caller, tokens: list[str], choices: int) -> None:
    for token in tokens:
        api = f"/api/a/{token}"
        await call("api consent", "POST", f"{api}/consent")
        await call("api survey", "POST", f"{api}/survey", json.dumps({"political": "Left"}).encode())
        for _ in range(choices):
            task = json.loads(await call("api task", "GET", f"{api}/task"))
            await call("api choice", "POST", f"{api}/choice", choice_of(task))


async def through_api_one_trip(call: Caller, tokens: list[str], choices: int) -> None:
    """As ``through_api``, each choice sent with ``?task=1``: its reply carries the next task (one request a choice)."""
    for token in tokens:
        api = f"/api/a/{token}"
        await call("1trip consent", "POST", f"{api}/consent")
        await call("1trip survey", "POST", f"{api}/survey", json.dumps({"political": "Left"}).encode())
        task = json.loads(await call("1trip task", "GET", f"{api}/task"))
        for _ in range(choices):
            task = json.loads(await call("1trip choice", "POST", f"{api}/choice?task=1", choice_of(task)))["task"]


def choice_of(task: dict) -> bytes:
    """A JSON API choice of the second answer of ``task`` (as the API gave it), with a fresh nonce."""
    return json.dumps({"nonce": uuid.uuid4().hex, "set_id": task["set_id"], "position": 1,
                       "shown_at": task["shown_at"], "form": task["form"]}).encode()


async def through_pages(call: Caller, tokens: list[str], choices: int) -> None:
    def fields(page: bytes) -> dict[str, str]:
        return dict(re.findall(r'name="(form|nonce|set_id|shown_at)" value="([^"]+)"', page.decode()))
    for token in tokens:
        form = fields(await call("page consent", "GET", f"/a/{token}"))["form"]
        await call("form consent", "POST", f"/a/{token}/consent", f"form={form}".encode(), FORM)
        form = fields(await call("page survey", "GET", f"/a/{token}"))["form"]
        await call("form survey", "POST", f"/a/{token}/survey", f"form={form}&political=Left".encode(), FORM)
        for _ in range(choices):
            task = fields(await call("page task", "GET", f"/a/{token}"))
            body = "&".join(f"{k}={v}" for k, v in task.items()) + "&position=1"
            await call("form choice", "POST", f"/a/{token}/choice", body.encode(), FORM)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=40, help="people through each of the API and the pages")
    parser.add_argument("--choices", type=int, default=5, help="tasks each person reads and answers")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="collect-cpu-"))
    database = make_database("postgresql", folder)
    try:
        study = load_study(write_study(folder, database, study={"languages": ["en"]},
                                       prompts={"source": str(PROMPTS), "limit": 28},
                                       candidates={"sampler": "independent", "k": 4, "max_tokens": 12},
                                       turns={"max": 1}, overlap={"min_people": 3, "shared": 2, "quota": 28}))
        store = Store(study)
        store.migrate()
        store.add_prompts(prompts_from(study.prompts_source))
        fill_all(store)
        call = Caller(create_app(store, PASSWORD, 10**9))
        asyncio.run(through_api(call, store.invite(args.people, "en"), args.choices))
        asyncio.run(through_api_one_trip(call, store.invite(args.people, "en"), args.choices))
        asyncio.run(through_pages(call, store.invite(args.people, "en"), args.choices))
        store.engine.dispose()
    finally:
        drop_database(database)
        shutil.rmtree(folder)
    mean = {}
    for name, times in call.cpu.items():
        kept = np.array(times[len(times) // 5:]) * 1000
        mean[name] = kept.mean()
        print(f"{name:13s} {len(kept):5d} requests  CPU median {np.median(kept):6.2f} ms, mean {kept.mean():6.2f} ms")
    for way, once, each in (("JSON API", ["api consent", "api survey"], ["api task", "api choice"]),
                            ("JSON API, ?task=1", ["1trip consent", "1trip survey", "1trip task"], ["1trip choice"]),
                            ("pages", ["page consent", "form consent", "page survey", "form survey"],
                             ["page task", "form choice"])):
        per_choice = sum(mean[n] for n in each) + sum(mean[n] for n in once) / args.choices
        print(f"{way}: {per_choice:.2f} ms of CPU per choice (its consent and survey spread over {args.choices})")

if __name__ == "__main__":
    main()
