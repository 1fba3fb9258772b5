"""`pluralign collect serve`: the annotator's pages, the admin page and the JSON API over one study's database.

An annotator's invite link carries their token (``/a/TOKEN``); there are no accounts. Every page is rendered on the
server (Jinja, escaped), and a form posts then redirects, so a reload never submits twice; a choice also carries a
nonce that the database keeps unique per person. Forms carry a token signed with the study's secret (CSRF), and a
task's carries the time the server showed it, so the seconds a choice took are measured here, not told by the
client. The admin pages ask for the user ``admin`` and the admin password (HTTP Basic), with wrong guesses limited
per client address; requests per invite token are limited. Every response forbids framing and sniffing and sends no
referrer (tokens are in the path); pages run only their own inline script and style (a nonce in the CSP); a request
naming a host not on the allow-list is refused (DNS rebinding).

The routes are FastAPI routers, one per area (``routes/``: a person's pages, consent, the JSON API, the admin pages);
they share the app's state, ``web.Collect`` on ``app.state.collect``, through a dependency.

The consent page names the researcher, the contact and what is kept (from the study file) and offers to decline,
which is final: the person is thanked and asked nothing more. A refused request to a person's page (an unknown link,
an expired form, too many requests, a form that cannot be read) gets a page in the study's look and the person's
language; the JSON API keeps the English text (and FastAPI's JSON for a body that does not validate).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..serving import answer_errors
from .password import PasswordDigest
from .routes import admin, api, consent, person
from .store import Store
from .study import load_study
from .web import POLICY, Collect, Refusal

BODY_LIMIT = 64 * 1024  # bytes of a request's body: a choice with both texts at their limit is under 20 kB
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")  # Host names always served
HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
SERVED = "PLURALIGN_COLLECT_SERVED"  # what each process of `collect serve --workers N` serves: JSON from its parent


def create_app(store: Store, password: str | PasswordDigest, requests_per_minute: int = 120,
               hosts: Sequence[str] = ()) -> FastAPI:
    """The collection app over ``store``; ``password`` (``password.LENGTH`` characters at least, or its digest)
    guards the admin pages; ``hosts`` are the names it answers to besides loopback (the name people reach it by)."""
    digest = PasswordDigest.of(password) if isinstance(password, str) else password
    app = FastAPI(title=f"pluralign collect: {store.study.name}", docs_url=None, redoc_url=None)
    app.state.collect = Collect(store, digest, requests_per_minute)
    answer_errors(app)  # first, so that its 500 passes through the guard below and gets the security headers

    app.add_middleware(Guard)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=[*LOOPBACK, *(f"[{h}]" if ":" in h else h for h in hosts)])
    app.add_exception_handler(HTTPException, plain)
    app.add_exception_handler(RequestValidationError, invalid)
    # the JSON API first: FastAPI tries each included router in turn, walking its routes, and a panel's requests are
    # mostly the API's (no path of one area is another's)
    for area in (api, person, consent, admin):
        app.include_router(area.router)
    app.add_api_route("/favicon.ico", favicon, methods=["GET"])
    return app


def for_workers(store: Store, study_file: Path, password: str, requests_per_minute: int,
                hosts: Sequence[str]) -> str:
    """What ``collect serve --workers N`` hands uvicorn: the import string of ``served_app``, which each of its
    processes calls, with the study, the password's digest (never the password: ``password.py``), limit and hosts put
    in its environment (``SERVED``) here. The password is checked and the study's secret made here, once, so that N
    processes neither start to fail nor race to make it."""
    digest = PasswordDigest.of(password)
    store.secret()
    os.environ[SERVED] = json.dumps({"study": str(study_file.resolve()), "password": str(digest),
                                     "rate": requests_per_minute, "hosts": list(hosts)})
    return f"{__name__}:{served_app.__name__}"


def served_app() -> FastAPI:
    """The app of one of ``collect serve --workers N``'s processes (uvicorn's factory), as ``for_workers`` described
    it; the database is the parent's to migrate."""
    served = json.loads(os.environ[SERVED])
    return create_app(Store(load_study(Path(served["study"]))), PasswordDigest.parse(served["password"]),
                      served["rate"], served["hosts"])


class Guard:
    """Refuses a body over ``BODY_LIMIT`` and sends the security headers with every response. Plain ASGI: as
    Starlette's ``@app.middleware("http")`` it ran every request through a task group and memory streams, a third of
    the server's CPU per request in an in-process profile of a panel's requests (``benchmarks/collect_load.py``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(HEADERS)
                headers.setdefault("Content-Security-Policy", POLICY)
            await send(message)

        if int(Headers(scope=scope).get("content-length") or 0) > BODY_LIMIT:
            refusal = PlainTextResponse(f"a request's body holds {BODY_LIMIT} bytes at most", status_code=413)
            return await refusal(scope, receive, secured)
        await self.app(scope, receive, secured)


async def plain(request: Request, exc: HTTPException) -> Response:
    """A person's pages get a page (``Collect.refused``); the JSON API and the admin pages the English text."""
    if isinstance(exc, Refusal) and request.url.path.startswith("/a/"):
        return await run_in_threadpool(request.app.state.collect.refused, request, exc.status_code, exc.reason,
                                       exc.headers)
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)


async def invalid(request: Request, exc: RequestValidationError) -> Response:
    """A form a person's page could not have sent gets a page; the JSON API keeps FastAPI's JSON."""
    if request.url.path.startswith("/a/"):
        return await run_in_threadpool(request.app.state.collect.refused, request, 422, "invalid")
    return await request_validation_exception_handler(request, exc)


async def favicon() -> Response:
    return Response(status_code=204)
