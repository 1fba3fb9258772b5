"""A person's pages behind their invite link (``/a/TOKEN``; there are no accounts): the page of where they are
(consent, survey, task, waiting, failed, done) and the survey, choice and retry forms. Every page is rendered on the
server (Jinja, escaped), and a form posts then redirects, so a reload never submits twice."""

from __future__ import annotations

import secrets
from typing import Annotated, Optional

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from ..pages import questions, strings_for
from ..web import SURVEY_LIMIT, TEXT_LIMIT, ChoiceIn, Refusal, State, offloaded

SLOW_SECONDS = 30.0  # a set pending this long says so (a later turn's fails at the study's timeout, with a retry)

Survey = Annotated[str, Form(max_length=SURVEY_LIMIT)]  # one answer of the survey form
router = APIRouter()


@router.get("/a/{token}", response_class=HTMLResponse)
@offloaded
def annotator(token: str, state: State, stale: bool = False) -> HTMLResponse:
    person = state.person(token)
    where, task = state.state(person)
    context = dict(token=token, form=state.sign(person.id, where))
    if where == "survey":
        return state.page("survey.html", person.language, questions=questions(state.study.questions, person.language),
                          **context)
    if where in ("done", "declined"):
        strings = strings_for(person.language)[where]
        return state.message(person.language, strings["title"], strings["text"])
    if where in ("task", "waiting", "failed"):
        context.update(task=task, slow=task.waited > SLOW_SECONDS, stale=stale, quota=state.study.quota,
                       done=task.finished + 1)
    if where == "task":
        shown = [(position, task.candidates[i]["text"]) for position, i in enumerate(task.order)]
        context.update(shown=shown, nonce=secrets.token_hex(16), **state.stamp(person, task))
    return state.page(f"{where}.html", person.language, **context)


@router.post("/a/{token}/survey")
@offloaded
def survey(token: str, form: Annotated[str, Form()], state: State, age: Survey = "", gender: Survey = "",
           country: Survey = "", languages: Survey = "", education: Survey = "",
           political: Survey = "") -> RedirectResponse:
    person = state.person(token)
    state.check_form(form, person.id, "survey")
    given = dict(age=age, gender=gender, country=country, languages=languages, education=education,
                 political=political)
    state.save_survey(person, {q: given[q] for q in state.study.questions})
    return RedirectResponse(f"/a/{token}", status_code=303)


@router.post("/a/{token}/choice")
@offloaded
def choice(token: str, form: Annotated[str, Form(max_length=64)],
           nonce: Annotated[str, Form(min_length=8, max_length=64)],
           set_id: Annotated[int, Form()], shown_at: Annotated[str, Form(max_length=32)], state: State,
           position: Annotated[Optional[int], Form(ge=0, le=3)] = None,
           rationale: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
           next_message: Annotated[str, Form(max_length=TEXT_LIMIT)] = "",
           rank: Annotated[Optional[list[str]], Form(max_length=4)] = None) -> RedirectResponse:
    person = state.person(token)
    if position is None:
        raise Refusal(422, "choose", "choose one of the answers")
    # ``rank``: the rank (1 = best) the person gave each answer, in screen order ("" for one they left unranked: the
    # menus start unranked); the ranking lists positions best first
    if rank and sorted(rank) != [str(r) for r in range(1, len(rank) + 1)]:
        raise Refusal(422, "rank", "rank every answer, each with a different rank")
    ranking = sorted(range(len(rank)), key=lambda p: int(rank[p])) if rank else None
    outcome = state.record(person, ChoiceIn(nonce=nonce, set_id=set_id, shown_at=shown_at, form=form,
                                            position=position, rationale=rationale, next_message=next_message,
                                            ranking=ranking))
    return RedirectResponse(f"/a/{token}" + ("?stale=1" if outcome == "stale" else ""), status_code=303)


@router.post("/a/{token}/retry")
@offloaded
def retry(token: str, form: Annotated[str, Form()], set_id: Annotated[int, Form()], state: State) -> RedirectResponse:
    person = state.person(token)
    state.check_form(form, person.id, "failed")
    task = state.store.task(person.id)
    if task is not None and task.set_id == set_id:
        state.store.retry(set_id)
    return RedirectResponse(f"/a/{token}", status_code=303)
