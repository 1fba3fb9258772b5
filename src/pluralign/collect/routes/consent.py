"""Consent: agreeing or declining, from the consent page's form or through the JSON API. A decline is final: the person
is thanked and asked nothing more."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import JSONResponse, RedirectResponse

from ..web import State, offloaded

router = APIRouter()


@router.post("/a/{token}/consent")
@offloaded
def consent(token: str, form: Annotated[str, Form()], state: State) -> RedirectResponse:
    person = state.person(token)
    state.check_form(form, person.id, "consent")
    state.store.consent(person.id)
    return RedirectResponse(f"/a/{token}", status_code=303)


@router.post("/a/{token}/decline")
@offloaded
def decline(token: str, form: Annotated[str, Form()], state: State) -> RedirectResponse:
    person = state.person(token)
    state.check_form(form, person.id, "consent")  # the consent page's form: its second button
    state.store.decline(person.id)
    return RedirectResponse(f"/a/{token}", status_code=303)


@router.post("/api/a/{token}/consent")
@offloaded
def api_consent(token: str, state: State) -> JSONResponse:
    state.store.consent(state.person(token).id)
    return JSONResponse({"state": "survey"})


@router.post("/api/a/{token}/decline")
@offloaded
def api_decline(token: str, state: State) -> JSONResponse:
    state.store.decline(state.person(token).id)
    return JSONResponse({"state": "declined"})
