"""The JSON API: a person's flow for scripts and other front ends (and the load benchmark), with the English text of
a refusal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import Row

from ..tasks import Task
from ..web import SURVEY_LIMIT, ChoiceIn, Collect, State, offloaded

router = APIRouter(prefix="/api/a/{token}")


FAILED = "the answers for this turn could not be written; retry, or tell the study's team"


@router.get("/task")
@offloaded
def api_task(token: str, state: State) -> JSONResponse:
    person = state.person(token)
    return JSONResponse(task_body(state, person, *state.state(person)))


def task_body(state: Collect, person: Row, where: str, task: Task | None) -> dict:
    """What ``GET /task`` answers for a person who is ``where`` with ``task`` (``Collect.state``)."""
    body: dict = {"state": where}
    if where == "task":
        study = state.study
        body.update(set_id=task.set_id, turn=task.turn, turns=study.turns, context=task.context,
                    candidates=[task.candidates[i]["text"] for i in task.order], rationale=study.rationale,
                    rank=study.rank, finished=task.finished, quota=study.quota, **state.stamp(person, task))
    elif task is not None:
        # why it failed (a model's path, a server's address) is the study team's to read, in the database and the
        # server's log: the person is told only that it did
        body.update(set_id=task.set_id, error=FAILED if task.error else None)
    return body


@router.post("/survey")
@offloaded
def api_survey(token: str, answers: dict[str, Annotated[str, Field(max_length=SURVEY_LIMIT)]],
               state: State) -> JSONResponse:
    state.save_survey(state.person(token), answers)
    return JSONResponse({"state": "task"})


@router.post("/choice")
@offloaded
def api_choice(token: str, given: ChoiceIn, state: State, task: bool = False) -> JSONResponse:
    """Record a choice; with ``?task=1`` the reply also carries the person's next task (``task``: what ``GET /task``
    would answer now), read in the choice's transaction: one request and one transaction per choice, not two."""
    person = state.person(token)
    if task:
        outcome, where, then = state.record_then_task(person, given)
    else:
        outcome = state.record(person, given)
    if outcome == "stale":
        raise HTTPException(409, "this task is no longer open: it was answered, or it is not yours")
    reply = {"recorded": outcome == "recorded", "duplicate": outcome == "duplicate"}
    return JSONResponse({**reply, "task": task_body(state, person, where, then)} if task else reply)
