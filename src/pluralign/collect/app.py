"""`pluralign collect serve`: the annotator's pages, the admin page and the JSON API over one study's database.

An annotator's invite link carries their token (``/a/TOKEN``); there are no accounts. Every page is rendered on the
server (Jinja, escaped), and a form posts then redirects, so a reload never submits twice; a choice also carries a
nonce that the database keeps unique per person. Forms carry a token signed with the study's secret (CSRF), and a
task's carries the time the server showed it, so the seconds a choice took are measured here, not told by the
client. The admin pages ask for the user ``admin`` and the admin password (HTTP Basic), with wrong guesses limited
per client address; requests per invite token are limited. Every response forbids framing and sniffing and sends no
referrer (tokens are in the path); pages run only their own inline script and style (a nonce in the CSP); a request
naming a host not on the allow-list is refused (DNS rebinding).

The consent page names the researcher, the contact and what is kept (from the study file) and offers to decline,
which is final: the person is thanked and asked nothing more. A refused request to a person's page (an unknown link,
an expired form, too many requests, a form that cannot be read) gets a page in the study's look and the person's
language; the JSON API keeps the English text (and FastAPI's JSON for a body that does not validate).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import defaultdict, deque
from typing import Annotated, Literal, Optional, Sequence

import pandas as pd
from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ..data.axes import AXES
from ..data.cards import card, training_warning
from ..data.collection import Person
from ..data.sources import source_card
from ..data.tables import csv_text
from ..errors import InputError
from .admin import progress_report
from .export import SHAPES, export_table, jsonl_text
from .pages import SurveyError, browser_language, questions, strings_for, survey_answers
from .store import Store, Task, TaskError

TEXT_LIMIT = 2000  # characters of a rationale or a next message
SURVEY_LIMIT = 200
BODY_LIMIT = 64 * 1024  # bytes of a request's body: a choice with both texts at their limit is under 20 kB
SLOW_SECONDS = 30.0  # a set pending this long says so (a later turn's fails at the study's timeout, with a retry)
ADMIN = "admin"  # the admin pages' user name
PASSWORD_LENGTH = 12  # the admin password's least length
GUESSES = 10  # wrong admin passwords one client address may send per minute
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")  # Host names always served
HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"  # CSP of every response

Survey = Annotated[str, Form(max_length=SURVEY_LIMIT)]  # one answer of the survey form
_basic = HTTPBasic(auto_error=False)
_env = Environment(loader=PackageLoader("pluralign.collect", "templates"), autoescape=select_autoescape())


class RateLimit:
    """At most ``per_minute`` events per key in any sliding minute (a dict of deques: one process, no server): the
    requests of one invite token, or the wrong admin passwords from one client address."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute, self.seen, self.lock = per_minute, defaultdict(deque), threading.Lock()

    def wait(self, key: str, take: bool = False) -> int:
        """Seconds until ``key`` may have another event (0: now); ``take`` counts one when it may."""
        now = time.monotonic()
        with self.lock:
            if len(self.seen) > 100_000:  # forget keys idle for a minute (a flood of made-up tokens)
                self.seen = defaultdict(deque, {k: v for k, v in self.seen.items() if v and now - v[-1] <= 60})
            times = self.seen[key]
            while times and now - times[0] > 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return max(1, math.ceil(60 - (now - times[0])))
            if take:
                times.append(now)
            return 0


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


def create_app(store: Store, password: str, requests_per_minute: int = 120, hosts: Sequence[str] = ()) -> FastAPI:
    """The collection app over ``store``; ``password`` (``PASSWORD_LENGTH`` characters at least) guards the admin
    pages; ``hosts`` are the names it answers to besides loopback (the name people reach it by)."""
    if len(password) < PASSWORD_LENGTH:
        raise InputError(f"the admin password needs at least {PASSWORD_LENGTH} characters; give a longer one, or none "
                         "for a new one printed at start")
    study, secret, limit, guesses = store.study, store.secret(), RateLimit(requests_per_minute), RateLimit(GUESSES)
    app = FastAPI(title=f"pluralign collect: {study.name}", docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def guard(request: Request, call_next) -> Response:
        """Refuse a body over ``BODY_LIMIT``; send the security headers with every response."""
        if int(request.headers.get("content-length") or 0) > BODY_LIMIT:
            return PlainTextResponse(f"a request's body holds {BODY_LIMIT} bytes at most", status_code=413)
        response = await call_next(request)
        response.headers.update(HEADERS)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response

    app.add_middleware(TrustedHostMiddleware, allowed_hosts=[*LOOPBACK, *(f"[{h}]" if ":" in h else h for h in hosts)])

    def sign(*parts) -> str:
        return hmac.new(secret, ":".join(map(str, parts)).encode(), hashlib.sha256).hexdigest()

    def check_form(given: str, *parts) -> None:
        if not hmac.compare_digest(given.encode(), sign(*parts).encode()):
            raise Refusal(403, "expired", "this form has expired or was not made by this server; reload the page")

    def person_of(token: str) -> Person:
        wait = limit.wait(hashlib.sha256(token.encode()).hexdigest(), take=True)
        if wait:
            raise Refusal(429, "busy", "too many requests; wait a minute", headers={"Retry-After": str(wait)})
        person = store.person(token)
        if person is None:
            raise Refusal(404, "unknown", "unknown invite link")
        return person

    def admin(request: Request, credentials: Annotated[Optional[HTTPBasicCredentials], Depends(_basic)]) -> None:
        client = request.client.host if request.client else ""
        wait = guesses.wait(client)
        if wait:
            raise HTTPException(429, "too many wrong admin passwords; wait a minute",
                                headers={"Retry-After": str(wait)})
        given = (credentials.username, credentials.password) if credentials else ("", "")
        # both compared whatever the first gives, so the time taken tells nothing about either
        if not (hmac.compare_digest(given[0].encode(), ADMIN.encode()) &
                hmac.compare_digest(given[1].encode(), password.encode())):
            guesses.wait(client, take=True)
            raise HTTPException(401, f"the admin pages need the user {ADMIN} and the admin password",
                                headers={"WWW-Authenticate": "Basic"})

    def page(name: str, language: str, code: int = 200, headers: dict[str, str] | None = None,
             **context) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        html = _env.get_template(name).render(t=strings_for(language), language=language, study=study,
                                              csp_nonce=nonce, **context)
        policy = f"{POLICY}; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'"
        return HTMLResponse(html, status_code=code, headers={**(headers or {}), "Cache-Control": "no-store",
                                                             "Content-Security-Policy": policy})

    def message(language: str, title: str, text: str, code: int = 200, back: str | None = None,
                headers: dict[str, str] | None = None) -> HTMLResponse:
        return page("message.html", language, code, headers, title=title, text=text, back=back)

    def refused(request: Request, code: int, reason: str, headers: dict[str, str] | None = None) -> HTMLResponse:
        """A refused page as a page in the study's look and the person's language (for an unknown invite link, the
        browser's, if the study has it), with a link back to their task where the link is theirs. The person is
        looked up again, also after a 429: one indexed read, so the refusal is in their language."""
        token = request.path_params.get("token", "")
        person = store.person(token) if token else None
        language = person.language if person else (
            browser_language(request.headers.get("accept-language", ""), study.languages) or study.languages[0])
        strings = strings_for(language)["error"]
        return message(language, strings["title"], strings[reason], code, f"/a/{token}" if person else None, headers)

    def stamp(person: Person, task: Task) -> dict[str, str]:
        """The task's ``shown_at`` (now) and ``form`` token: its submit brings both back, so the server measures the
        seconds the choice took instead of taking the client's word."""
        shown_at = f"{time.time():.3f}"
        return {"shown_at": shown_at, "form": sign(person.id, "choice", task.set_id, shown_at)}

    def save_survey(person: Person, given: dict[str, str]) -> None:
        """Keep the person's answers: 422 for a question or option the study does not have, 409 once they have made
        a choice (their group must not move under the choices already counted in it)."""
        try:
            answers = survey_answers(given, study.questions)
        except SurveyError as exc:
            raise Refusal(422, "invalid", str(exc)) from None
        if not store.save_survey(person.id, answers):
            raise Refusal(409, "locked", "the survey cannot change once you have made choices; your answers are kept")

    def state(person: Person) -> tuple[str, Task | None]:
        if person.declined_at is not None:
            return "declined", None
        if person.consented_at is None:
            return "consent", None
        if person.survey is None:
            return "survey", None
        task = store.task(person.id)
        if task is None:
            return "done", None
        return {"ready": "task", "pending": "waiting", "failed": "failed"}[task.status], task

    @app.exception_handler(HTTPException)
    async def plain(request: Request, exc: HTTPException) -> Response:
        """A person's pages get a page (``refused``); the JSON API and the admin pages the English text."""
        if isinstance(exc, Refusal) and request.url.path.startswith("/a/"):
            return await run_in_threadpool(refused, request, exc.status_code, exc.reason, exc.headers)
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        """A form a person's page could not have sent gets a page; the JSON API keeps FastAPI's JSON."""
        if request.url.path.startswith("/a/"):
            return await run_in_threadpool(refused, request, 422, "invalid")
        return await request_validation_exception_handler(request, exc)

    @app.get("/a/{token}", response_class=HTMLResponse)
    def annotator(token: str, stale: bool = False) -> HTMLResponse:
        person = person_of(token)
        where, task = state(person)
        context = dict(token=token, form=sign(person.id, where))
        if where == "survey":
            return page("survey.html", person.language, questions=questions(study.questions, person.language), **context)
        if where in ("done", "declined"):
            strings = strings_for(person.language)[where]
            return message(person.language, strings["title"], strings["text"])
        if where in ("task", "waiting", "failed"):
            context.update(task=task, slow=task.waited > SLOW_SECONDS, stale=stale, quota=study.quota,
                           done=task.finished + 1)
        if where == "task":
            order = store.order(person.id, task.set_id, len(task.candidates))
            shown = [(position, task.candidates[i]["text"]) for position, i in enumerate(order)]
            context.update(shown=shown, nonce=secrets.token_hex(16), **stamp(person, task))
        return page(f"{where}.html", person.language, **context)

    @app.post("/a/{token}/consent")
    def consent(token: str, form: Annotated[str, Form()]) -> RedirectResponse:
        person = person_of(token)
        check_form(form, person.id, "consent")
        store.consent(person.id)
        return RedirectResponse(f"/a/{token}", status_code=303)

    @app.post("/a/{token}/decline")
    def decline(token: str, form: Annotated[str, Form()]) -> RedirectResponse:
        person = person_of(token)
        check_form(form, person.id, "consent")  # the consent page's form: its second button
        store.decline(person.id)
        return RedirectResponse(f"/a/{token}", status_code=303)

    @app.post("/a/{token}/survey")
    def survey(token: str, form: Annotated[str, Form()], age: Survey = "", gender: Survey = "", country: Survey = "",
               languages: Survey = "", education: Survey = "", political: Survey = "") -> RedirectResponse:
        person = person_of(token)
        check_form(form, person.id, "survey")
        given = dict(age=age, gender=gender, country=country, languages=languages, education=education,
                     political=political)
        save_survey(person, {q: given[q] for q in study.questions})
        return RedirectResponse(f"/a/{token}", status_code=303)

    @app.post("/a/{token}/choice")
    def choice(token: str, form: Annotated[str, Form(max_length=64)],
               nonce: Annotated[str, Form(min_length=8, max_length=64)],
               set_id: Annotated[int, Form()], shown_at: Annotated[str, Form(max_length=32)],
               position: Annotated[Optional[int], Form(ge=0, le=3)] = None,
               rationale: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
               next_message: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
               rank: Annotated[Optional[list[str]], Form(max_length=4)] = None) -> RedirectResponse:
        person = person_of(token)
        if position is None:
            raise Refusal(422, "choose", "choose one of the answers")
        # ``rank``: the rank (1 = best) the person gave each answer, in screen order ("" for one they left unranked:
        # the menus start unranked); the ranking lists positions best first
        if rank and sorted(rank) != [str(r) for r in range(1, len(rank) + 1)]:
            raise Refusal(422, "rank", "rank every answer, each with a different rank")
        ranking = sorted(range(len(rank)), key=lambda p: int(rank[p])) if rank else None
        outcome = record(person, ChoiceIn(nonce=nonce, set_id=set_id, shown_at=shown_at, form=form, position=position,
                                          rationale=rationale, next_message=next_message, ranking=ranking))
        return RedirectResponse(f"/a/{token}" + ("?stale=1" if outcome == "stale" else ""), status_code=303)

    def record(person: Person, given: ChoiceIn) -> str:
        """Store a choice, with the seconds since its task was shown: ``recorded``, ``duplicate`` (this person sent this
        nonce before) or ``stale`` (no longer the open task)."""
        check_form(given.form, person.id, "choice", given.set_id, given.shown_at)
        seconds = max(0.0, time.time() - float(given.shown_at))
        rationale, next_message = (given.rationale or "").strip(), (given.next_message or "").strip()
        if study.rationale == "required" and not rationale:
            raise Refusal(422, "rationale", "this study asks why: write a reason before submitting")
        if study.rank and given.ranking is None:
            raise Refusal(422, "rank", "this study asks for a ranking of every answer, best first")
        try:
            return store.choose(person.id, nonce=given.nonce, set_id=given.set_id, position=given.position,
                                rationale=rationale if study.rationale != "off" else None,
                                next_message=next_message or None, seconds=seconds, ranking=given.ranking)
        except TaskError as exc:
            raise Refusal(422, "rank" if given.ranking else "choose", str(exc)) from None

    @app.post("/a/{token}/retry")
    def retry(token: str, form: Annotated[str, Form()], set_id: Annotated[int, Form()]) -> RedirectResponse:
        person = person_of(token)
        check_form(form, person.id, "failed")
        task = store.task(person.id)
        if task is not None and task.set_id == set_id:
            store.retry(set_id)
        return RedirectResponse(f"/a/{token}", status_code=303)

    # The JSON API: the same flow for scripts and other front ends (and the load benchmark).
    @app.get("/api/a/{token}/task")
    def api_task(token: str) -> dict:
        person = person_of(token)
        where, task = state(person)
        body: dict = {"state": where}
        if where == "task":
            order = store.order(person.id, task.set_id, len(task.candidates))
            body.update(set_id=task.set_id, turn=task.turn, turns=study.turns, context=task.context,
                        candidates=[task.candidates[i]["text"] for i in order], rationale=study.rationale,
                        rank=study.rank, finished=task.finished, quota=study.quota, **stamp(person, task))
        elif task is not None:
            body.update(set_id=task.set_id, error=task.error)
        return body

    @app.post("/api/a/{token}/consent")
    def api_consent(token: str) -> dict:
        store.consent(person_of(token).id)
        return {"state": "survey"}

    @app.post("/api/a/{token}/decline")
    def api_decline(token: str) -> dict:
        store.decline(person_of(token).id)
        return {"state": "declined"}

    @app.post("/api/a/{token}/survey")
    def api_survey(token: str, answers: dict[str, Annotated[str, Field(max_length=SURVEY_LIMIT)]]) -> dict:
        save_survey(person_of(token), answers)
        return {"state": "task"}

    @app.post("/api/a/{token}/choice")
    def api_choice(token: str, given: ChoiceIn) -> dict:
        outcome = record(person_of(token), given)
        if outcome == "stale":
            raise HTTPException(409, "this task is no longer open: it was answered, or it is not yours")
        return {"recorded": outcome == "recorded", "duplicate": outcome == "duplicate"}

    @app.get("/admin", response_class=HTMLResponse, dependencies=[Depends(admin)])
    def admin_page() -> HTMLResponse:
        warning = training_warning([card("collect"), source_card(study.prompts_source, "prompts")])
        return page("admin.html", "en", report=progress_report(store), axes=AXES, warning=warning)

    @app.get("/api/admin/progress", dependencies=[Depends(admin)])
    def admin_progress() -> dict:
        def plain(value):  # JSON has no NaN: a number not measured yet is null
            if isinstance(value, pd.DataFrame):
                return value.astype(object).where(value.notna(), None).to_dict("records")
            return None if isinstance(value, float) and math.isnan(value) else value
        return {k: plain(v) for k, v in progress_report(store).items()}

    @app.get("/admin/export.{suffix}", dependencies=[Depends(admin)])
    def admin_export(suffix: Literal["csv", "jsonl"], shape: Literal[SHAPES] = "ca") -> Response:  # type: ignore[valid-type]
        """A shape of ``collect export`` as CSV or JSON Lines (TRL's message lists read back as lists from JSONL)."""
        try:
            table = export_table(store.study, shape)
        except InputError as exc:  # nothing collected yet
            raise HTTPException(409, str(exc)) from None
        text, kind = (csv_text(table), "text/csv") if suffix == "csv" else (jsonl_text(table), "application/jsonl")
        return Response(text, media_type=kind,
                        headers={"Content-Disposition": f'attachment; filename="{study.name}-{shape}.{suffix}"'})

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    return app
