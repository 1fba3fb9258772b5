"""What the collection app's routers share: its state (``Collect``, on ``app.state.collect``), the limits, the signed
form tokens, the person behind an invite token and the pages in the study's look.

Forms carry a token signed with the study's secret (CSRF), and a task's carries the time the server showed it, so the
seconds a choice took are measured here, not told by the client. Requests per invite token, and wrong admin passwords
per client address, are limited, counted in the study's database so that every process serving it shares the limits.
Pages run only their own inline script and style (a nonce in the CSP).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import math
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Awaitable, Callable, Optional, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Row

from ..report.html import environment
from . import queries
from .pages import SurveyError, browser_language, strings_for, survey_answers
from .password import PasswordDigest
from .store import Store, Task, TaskError, token_hash

TEXT_LIMIT = 2000  # characters of a rationale or a next message
SURVEY_LIMIT = 200
ADMIN = "admin"  # the admin pages' user name
GUESSES = 10  # wrong admin passwords one client address may send per minute
POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"  # CSP of every response

_basic = HTTPBasic(auto_error=False)
_env = environment("pluralign.collect")
_threads = ThreadPoolExecutor(max_workers=40, thread_name_prefix="pluralign-collect")  # as many as anyio's default
R = TypeVar("R")


def offloaded(handler: Callable[..., R]) -> Callable[..., Awaitable[R]]:
    """A person's route whose ``handler`` (database, page) runs on the app's threads through one plain executor hop,
    so the event loop serves others while it waits on the database. FastAPI runs a sync handler through anyio's worker
    threads, which cost about a millisecond of CPU more per request here (a cancel scope, events and a second hop to
    serialise a returned dict); the handler's signature is FastAPI's to read as before."""
    @functools.wraps(handler)
    async def run(*args, **kwargs) -> R:
        return await asyncio.get_running_loop().run_in_executor(_threads, functools.partial(handler, *args, **kwargs))
    return run


class RateLimit:
    """At most ``per_minute`` events per key in a sliding minute: the requests of one invite token, or the wrong admin
    passwords from one client address. Counted in the study's database (``queries.COUNT``: one atomic upsert per
    event), so every process serving the study (``collect serve --workers N``, or servers side by side) shares them.
    The sliding minute is estimated from this clock minute's count and the one before's, that one spread evenly over
    its minute and rounded up (just after the turn of a minute the estimate is the exact count)."""

    def __init__(self, name: str, per_minute: int, clock: Callable[[], float] = time.time) -> None:
        self.name, self.per_minute, self.clock, self.forgotten = name, per_minute, clock, -1

    def wait(self, connection: Connection, value: str) -> int:
        """Seconds until ``value`` may have another event (0: now); nothing is counted."""
        now = self.clock()
        return self._wait(connection.execute(queries.COUNTS, {"key": self._key(value)}).first(), now, False)

    def take(self, connection: Connection, value: str) -> int:
        """Count an event of ``value`` (refused ones too: a client that keeps asking stays refused); seconds until it
        may have another (0: this one is allowed). Once a clock minute a process forgets the rows of older ones."""
        now = self.clock()
        minute = int(now // 60)
        if minute != self.forgotten:
            connection.execute(queries.FORGET, {"minute": minute})
            self.forgotten = minute
        row = connection.execute(queries.COUNT[connection.dialect.name], {"key": self._key(value),
                                                                         "minute": minute}).one()
        return self._wait(row, now, True)

    def _key(self, value: str) -> str:
        return hashlib.sha256(f"{self.name}:{value}".encode()).hexdigest()

    def _wait(self, row: Row | None, now: float, counted: bool) -> int:
        """Seconds from ``now`` until another event fits beside those in ``row`` (0: it fits now, or is the last one
        ``counted`` in it and fitted)."""
        if row is None or self._estimate(row, now) + (not counted) <= self.per_minute:
            return 0
        wait = 1  # at most two minutes: by then both counts are older than the estimate reads
        while wait <= 120 and self._estimate(row, now + wait) + 1 > self.per_minute:
            wait += 1
        return wait

    @staticmethod
    def _estimate(row: Row, at: float) -> int:
        """Events in the minute before ``at``, as estimated from the counts in ``row``."""
        minute, into = divmod(at, 60)
        if row.minute >= minute:
            return math.ceil(row.previous * (60 - into) / 60) + row.count
        return math.ceil(row.count * (60 - into) / 60) if row.minute == minute - 1 else 0


class Refusal(HTTPException):
    """A person's request refused: ``detail`` in English for the JSON API, ``reason`` the key of the ``[error]``
    string their page shows instead, in their language."""

    def __init__(self, status_code: int, reason: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code, detail, headers)
        self.reason = reason


class ChoiceIn(BaseModel):
    """A choice through the API: the set, the screen position chosen (0-based, in the order the task gave), and the
    task's ``shown_at`` and ``form`` as it gave them, from which the server measures the seconds the choice took."""

    nonce: str = Field(min_length=8, max_length=64)
    set_id: int
    shown_at: str = Field(max_length=32)
    form: str = Field(max_length=64)
    position: int = Field(ge=0, le=3)
    rationale: Optional[str] = Field(None, max_length=TEXT_LIMIT)
    next_message: Optional[str] = Field(None, max_length=TEXT_LIMIT)
    ranking: Optional[list[Annotated[int, Field(ge=0, le=3)]]] = Field(
        None, max_length=4, description="Every screen position, best first (the chosen one first); asked for by "
                                        "studies with rank = true.")


class Collect:
    """The app's state, made once by ``create_app``: the store and its study, the secret that signs forms, the admin
    password's digest and the two limits."""

    def __init__(self, store: Store, password: PasswordDigest, requests_per_minute: int) -> None:
        self.store, self.study, self.secret, self.password = store, store.study, store.secret(), password
        self.limit, self.guesses = RateLimit("requests", requests_per_minute), RateLimit("guesses", GUESSES)

    def sign(self, *parts) -> str:
        return hmac.new(self.secret, ":".join(map(str, parts)).encode(), hashlib.sha256).hexdigest()

    def check_form(self, given: str, *parts) -> None:
        if not hmac.compare_digest(given.encode(), self.sign(*parts).encode()):
            raise Refusal(403, "expired", "this form has expired or was not made by this server; reload the page")

    def person(self, token: str) -> Row:
        """The person of an invite token, counting the request against the token's limit (one transaction: the read
        and the count). Only an invited person's requests are counted: a made-up token is read, not written, so
        invented links cannot fill the counts' table or queue writes behind the study's choices."""
        with self.store.engine.begin() as connection:
            person = connection.execute(queries.PERSON, {"token_hash": token_hash(token)}).first()
            wait = 0 if person is None else self.limit.take(connection, token)
        if person is None:
            raise Refusal(404, "unknown", "unknown invite link")
        if wait:
            raise Refusal(429, "busy", "too many requests; wait a minute", headers={"Retry-After": str(wait)})
        return person

    def page(self, name: str, language: str, code: int = 200, headers: dict[str, str] | None = None,
             **context) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        html = _env.get_template(name).render(t=strings_for(language), language=language, study=self.study,
                                              csp_nonce=nonce, **context)
        policy = f"{POLICY}; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'"
        return HTMLResponse(html, status_code=code, headers={**(headers or {}), "Cache-Control": "no-store",
                                                             "Content-Security-Policy": policy})

    def message(self, language: str, title: str, text: str, code: int = 200, back: str | None = None,
                headers: dict[str, str] | None = None) -> HTMLResponse:
        return self.page("message.html", language, code, headers, title=title, text=text, back=back)

    def refused(self, request: Request, code: int, reason: str, headers: dict[str, str] | None = None) -> HTMLResponse:
        """A refused page as a page in the study's look and the person's language (for an unknown invite link, the
        browser's, if the study has it), with a link back to their task where the link is theirs. The person is
        looked up again, also after a 429: one indexed read, so the refusal is in their language."""
        token = request.path_params.get("token", "")
        person = self.store.person(token) if token else None
        language = person.language if person else (
            browser_language(request.headers.get("accept-language", ""), self.study.languages)
            or self.study.languages[0])
        strings = strings_for(language)["error"]
        return self.message(language, strings["title"], strings[reason], code, f"/a/{token}" if person else None,
                            headers)

    def stamp(self, person: Row, task: Task) -> dict[str, str]:
        """The task's ``shown_at`` (now) and ``form`` token: its submit brings both back, so the server measures the
        seconds the choice took instead of taking the client's word."""
        shown_at = f"{time.time():.3f}"
        return {"shown_at": shown_at, "form": self.sign(person.id, "choice", task.set_id, shown_at)}

    def save_survey(self, person: Row, given: dict[str, str]) -> None:
        """Keep the person's answers: 422 for a question or option the study does not have, 409 once they have made
        a choice (their group must not move under the choices already counted in it)."""
        try:
            answers = survey_answers(given, self.study.questions)
        except SurveyError as exc:
            raise Refusal(422, "invalid", str(exc)) from None
        if not self.store.save_survey(person.id, answers):
            raise Refusal(409, "locked", "the survey cannot change once you have made choices; your answers are kept")

    def state(self, person: Row) -> tuple[str, Task | None]:
        """Where the person is: declined, consent, survey, done, or their task (ready, waiting or failed)."""
        if person.declined_at is not None:
            return "declined", None
        if person.consented_at is None:
            return "consent", None
        if person.survey is None:
            return "survey", None
        return where(self.store.task(person.id))

    def record(self, person: Row, given: ChoiceIn) -> str:
        """Store a choice, with the seconds since its task was shown: ``recorded``, ``duplicate`` (this person sent this
        nonce before) or ``stale`` (no longer the open task)."""
        return self._submitted(person, given, self.store.choose)

    def record_then_task(self, person: Row, given: ChoiceIn) -> tuple[str, str, Task | None]:
        """``record``, then where the person is after it and their task (as ``state`` gives them), in one transaction:
        a client's next request answered with this one (``Store.choose_then_task``)."""
        outcome, task = self._submitted(person, given, self.store.choose_then_task)
        return (outcome, *where(task))

    def _submitted(self, person: Row, given: ChoiceIn, store: Callable[..., R]) -> R:
        """``store(person.id, ...)`` of the choice ``given``, as ``Store.choose`` takes it, once its form token and the
        study's asks are checked, with the seconds since its task was shown measured here; a choice the store refuses
        is a ``Refusal``."""
        self.check_form(given.form, person.id, "choice", given.set_id, given.shown_at)
        seconds = max(0.0, time.time() - float(given.shown_at))
        rationale, next_message = (given.rationale or "").strip(), (given.next_message or "").strip()
        if self.study.rationale == "required" and not rationale:
            raise Refusal(422, "rationale", "this study asks why: write a reason before submitting")
        if self.study.rank and given.ranking is None:
            raise Refusal(422, "rank", "this study asks for a ranking of every answer, best first")
        try:
            return store(person.id, nonce=given.nonce, set_id=given.set_id, position=given.position,
                         rationale=rationale if self.study.rationale != "off" else None,
                         next_message=next_message or None, seconds=seconds, ranking=given.ranking)
        except TaskError as exc:
            raise Refusal(422, "rank" if given.ranking else "choose", str(exc)) from None

    def admin(self, request: Request, credentials: HTTPBasicCredentials | None) -> None:
        """Let the admin in, or refuse: 401 for a wrong user or password, 429 after ``GUESSES`` wrong ones."""
        client = request.client.host if request.client else ""
        given = (credentials.username, credentials.password) if credentials else ("", "")
        # past the limit every answer is 429, right or wrong, says nothing about the password and costs no scrypt
        with self.store.engine.begin() as connection:
            wait = self.guesses.wait(connection, client)
        wrong = False
        if not wait:
            # both compared whatever the first gives, so the time taken tells nothing about the user name
            wrong = not (hmac.compare_digest(given[0].encode(), ADMIN.encode()) & self.password.matches(given[1]))
        if wrong:  # counted before its answer, in one statement, so guesses sent at once cannot all pass the look above
            with self.store.engine.begin() as connection:
                wait = self.guesses.take(connection, client)
        if wait:
            raise HTTPException(429, "too many wrong admin passwords; wait a minute",
                                headers={"Retry-After": str(wait)})
        if wrong:
            raise HTTPException(401, f"the admin pages need the user {ADMIN} and the admin password",
                                headers={"WWW-Authenticate": "Basic"})


def where(task: Task | None) -> tuple[str, Task | None]:
    """Where a person who has consented and answered the survey is, by their ``task``: done, or their task ready
    (``task``), waiting or failed."""
    if task is None:
        return "done", None
    return {"ready": "task", "pending": "waiting", "failed": "failed"}[task.status], task


async def collect(request: Request) -> Collect:
    """The app's state (a dependency: async, so it runs without a thread)."""
    return request.app.state.collect


State = Annotated[Collect, Depends(collect)]


def admin(request: Request, state: State,
          credentials: Annotated[Optional[HTTPBasicCredentials], Depends(_basic)]) -> None:
    """The admin pages' guard (a dependency)."""
    state.admin(request, credentials)
