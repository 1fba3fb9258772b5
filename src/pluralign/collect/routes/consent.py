"""Consent: agreeing or declining, from the consent page's form or through the JSON API. A decline is final: the person
is thanked and asked nothing more."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse

from ..web import State

router = APIRouter()


@router.post("/a/{token}/consent")
def consent(token: str, form: Annotated[str, Form()], state: State) -> RedirectResponse:
    person = state.person(token)
    state.check_form(form, person.id, "consent")
    state.store.consent(person.id)
    return RedirectResponse(f"/a/{token}", status_code=303)


@router.post("/a/{token}/decline")
def decline(token: str, form: Annotated[str, Form()], state: State) -> RedirectResponse:
    person = state.person(token)
    state.check_form(form, person.id, "consent")  # the consent page's form: its second button
    state.store.decline(person.id)
    return RedirectResponse(f"/a/{token}", status_code=303)


@router.post("/api/a/{token}/consent")
def api_consent(token: str, state: State) -> dict:
    state.store.consent(state.person(token).id)
    return {"state": "survey"}


@router.post("/api/a/{token}/decline")
def api_decline(token: str, state: State) -> dict:
    state.store.decline(state.person(token).id)
    return {"state": "declined"}
