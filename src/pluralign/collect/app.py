"""`pluralign collect serve`: the annotator's pages, the admin page and the JSON API over one study's database.

An annotator's invite link carries their token (``/a/TOKEN``); there are no accounts. Every page is rendered on the
server (Jinja, escaped), and a form posts then redirects, so a reload never submits twice; a choice also carries a
nonce that the database keeps unique. Forms carry a token signed with the study's secret (CSRF); the admin pages
ask for the admin password (HTTP Basic). Requests per invite token are limited.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import defaultdict, deque
from typing import Annotated, Literal, Optional

import pandas as pd
from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, Field

from ..data.axes import AXES
from ..data.collection import Person
from ..errors import InputError
from .pages import questions, strings_for
from .admin import progress_report
from .export import csv_text, export_table
from .store import Store, Task, TaskError

TEXT_LIMIT = 2000  # characters of a rationale or a next message
SURVEY_LIMIT = 200
SLOW_SECONDS = 30.0  # a set pending this long says so (a later turn's fails at the study's timeout, with a retry)

Survey = Annotated[str, Form(max_length=SURVEY_LIMIT)]  # one answer of the survey form
_basic = HTTPBasic(auto_error=False)
_env = Environment(loader=PackageLoader("pluralign.collect", "templates"), autoescape=select_autoescape())


class RateLimit:
    """At most ``per_minute`` requests per key in any sliding minute (a dict of deques: one process, no server)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute, self.seen, self.lock = per_minute, defaultdict(deque), threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            if len(self.seen) > 100_000:  # forget keys idle for a minute (a flood of made-up tokens)
                self.seen = defaultdict(deque, {k: v for k, v in self.seen.items() if v and now - v[-1] <= 60})
            times = self.seen[key]
            while times and now - times[0] > 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return False
            times.append(now)
            return True


class ChoiceIn(BaseModel):
    """A choice through the API: the set, the screen position chosen (0-based, in the order the task gave)."""

    nonce: str = Field(min_length=8, max_length=64)
    set_id: int
    position: int = Field(ge=0, le=3)
    rationale: Optional[str] = Field(None, max_length=TEXT_LIMIT)
    next_message: Optional[str] = Field(None, max_length=TEXT_LIMIT)
    seconds: Optional[float] = Field(None, ge=0, le=86400)
    ranking: Optional[list[Annotated[int, Field(ge=0, le=3)]]] = Field(
        None, max_length=4, description="Every screen position, best first (the chosen one first); asked for by "
                                        "studies with rank = true.")


def create_app(store: Store, password: str, requests_per_minute: int = 120) -> FastAPI:
    """The collection app over ``store``; ``password`` guards the admin pages."""
    study, secret, limit = store.study, store.secret(), RateLimit(requests_per_minute)
    app = FastAPI(title=f"pluralign collect: {study.name}", docs_url=None, redoc_url=None)

    def sign(*parts) -> str:
        return hmac.new(secret, ":".join(map(str, parts)).encode(), hashlib.sha256).hexdigest()

    def check_form(given: str, *parts) -> None:
        if not hmac.compare_digest(given.encode(), sign(*parts).encode()):
            raise HTTPException(403, "this form has expired or was not made by this server; reload the page")

    def person_of(token: str) -> Person:
        if not limit.allow(hashlib.sha256(token.encode()).hexdigest()):
            raise HTTPException(429, "too many requests; wait a minute")
        person = store.person(token)
        if person is None:
            raise HTTPException(404, "unknown invite link")
        return person

    def admin(credentials: Annotated[Optional[HTTPBasicCredentials], Depends(_basic)]) -> None:
        if credentials is None or not hmac.compare_digest(credentials.password.encode(), password.encode()):
            raise HTTPException(401, "the admin pages need the admin password", headers={"WWW-Authenticate": "Basic"})

    def page(name: str, person: Person | None, code: int = 200, **context) -> HTMLResponse:
        language = person.language if person else study.languages[0]
        html = _env.get_template(name).render(t=strings_for(language), language=language, study=study, **context)
        return HTMLResponse(html, status_code=code, headers={"Cache-Control": "no-store"})

    def state(person: Person) -> tuple[str, Task | None]:
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
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)

    @app.get("/a/{token}", response_class=HTMLResponse)
    def annotator(token: str, stale: bool = False) -> HTMLResponse:
        person = person_of(token)
        now, (where, task) = time.time(), state(person)
        context = dict(token=token, form=sign(person.id, where))
        if where == "survey":
            return page("survey.html", person, questions=questions(study.questions, person.language), **context)
        if where in ("task", "waiting", "failed"):
            context.update(task=task, slow=task.waited > SLOW_SECONDS, stale=stale, quota=study.quota,
                           done=task.finished + 1)
        if where == "task":
            order = store.order(person.id, task.set_id, len(task.candidates))
            shown = [(position, task.candidates[i]["text"]) for position, i in enumerate(order)]
            context.update(shown=shown, nonce=secrets.token_hex(16), shown_at=f"{now:.3f}",
                           form=sign(person.id, "choice", task.set_id, f"{now:.3f}"))
        return page(f"{where}.html", person, **context)

    @app.post("/a/{token}/consent")
    def consent(token: str, form: Annotated[str, Form()]) -> RedirectResponse:
        person = person_of(token)
        check_form(form, person.id, "consent")
        store.consent(person.id)
        return RedirectResponse(f"/a/{token}", status_code=303)

    @app.post("/a/{token}/survey")
    def survey(token: str, form: Annotated[str, Form()], age: Survey = "", gender: Survey = "", country: Survey = "",
               languages: Survey = "", education: Survey = "", political: Survey = "") -> RedirectResponse:
        person = person_of(token)
        check_form(form, person.id, "survey")
        given = dict(age=age, gender=gender, country=country, languages=languages, education=education,
                     political=political)
        store.save_survey(person.id, {q: given[q].strip() for q in study.questions})
        return RedirectResponse(f"/a/{token}", status_code=303)

    @app.post("/a/{token}/choice")
    def choice(token: str, form: Annotated[str, Form()], nonce: Annotated[str, Form(min_length=8, max_length=64)],
               set_id: Annotated[int, Form()], shown_at: Annotated[str, Form(max_length=32)],
               position: Annotated[Optional[int], Form()] = None,
               rationale: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
               next_message: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
               rank: Annotated[Optional[list[str]], Form(max_length=4)] = None) -> RedirectResponse:
        person = person_of(token)
        check_form(form, person.id, "choice", set_id, shown_at)
        seconds = max(0.0, time.time() - float(shown_at))
        if position is None:
            raise HTTPException(422, "choose one of the answers")
        # ``rank``: the rank (1 = best) the person gave each answer, in screen order ("" for one they left unranked:
        # the menus start unranked); the ranking lists positions best first
        if rank and sorted(rank) != [str(r) for r in range(1, len(rank) + 1)]:
            raise HTTPException(422, "rank every answer, each with a different rank")
        ranking = sorted(range(len(rank)), key=lambda p: int(rank[p])) if rank else None
        outcome = record(person, ChoiceIn(nonce=nonce, set_id=set_id, position=position, rationale=rationale,
                                          next_message=next_message, seconds=seconds, ranking=ranking))
        return RedirectResponse(f"/a/{token}" + ("?stale=1" if outcome == "stale" else ""), status_code=303)

    def record(person: Person, given: ChoiceIn) -> str:
        """Store a choice: ``recorded``, ``duplicate`` (this nonce was seen) or ``stale`` (no longer the open task)."""
        rationale, next_message = (given.rationale or "").strip(), (given.next_message or "").strip()
        if study.rationale == "required" and not rationale:
            raise HTTPException(422, "this study asks why: write a reason before submitting")
        if study.rank and given.ranking is None:
            raise HTTPException(422, "this study asks for a ranking of every answer, best first")
        try:
            return store.choose(person.id, nonce=given.nonce, set_id=given.set_id, position=given.position,
                                rationale=rationale if study.rationale != "off" else None,
                                next_message=next_message or None, seconds=given.seconds, ranking=given.ranking)
        except TaskError as exc:
            raise HTTPException(422, str(exc)) from None

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
                        rank=study.rank, finished=task.finished, quota=study.quota)
        elif task is not None:
            body.update(set_id=task.set_id, error=task.error)
        return body

    @app.post("/api/a/{token}/consent")
    def api_consent(token: str) -> dict:
        store.consent(person_of(token).id)
        return {"state": "survey"}

    @app.post("/api/a/{token}/survey")
    def api_survey(token: str, answers: dict[str, Annotated[str, Field(max_length=SURVEY_LIMIT)]]) -> dict:
        person = person_of(token)
        store.save_survey(person.id, {q: answers.get(q, "").strip() for q in study.questions})
        return {"state": "task"}

    @app.post("/api/a/{token}/choice")
    def api_choice(token: str, given: ChoiceIn) -> dict:
        outcome = record(person_of(token), given)
        if outcome == "stale":
            raise HTTPException(409, "this task is no longer open: it was answered, or it is not yours")
        return {"recorded": outcome == "recorded", "duplicate": outcome == "duplicate"}

    @app.get("/admin", response_class=HTMLResponse, dependencies=[Depends(admin)])
    def admin_page() -> HTMLResponse:
        return page("admin.html", None, report=progress_report(store), axes=AXES)

    @app.get("/api/admin/progress", dependencies=[Depends(admin)])
    def admin_progress() -> dict:
        def plain(value):  # JSON has no NaN: a number not measured yet is null
            if isinstance(value, pd.DataFrame):
                return value.astype(object).where(value.notna(), None).to_dict("records")
            return None if isinstance(value, float) and math.isnan(value) else value
        return {k: plain(v) for k, v in progress_report(store).items()}

    @app.get("/admin/export.csv", dependencies=[Depends(admin)])
    def admin_export(shape: Literal["ca", "comparisons", "annotators"] = "ca") -> Response:
        try:
            table = export_table(store.study, shape)
        except InputError as exc:  # nothing collected yet
            raise HTTPException(409, str(exc)) from None
        return Response(csv_text(table), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{study.name}-{shape}.csv"'})

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    return app
