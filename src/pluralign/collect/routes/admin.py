"""The admin pages (user ``admin`` and the admin password, HTTP Basic): progress, agreement and value-pole coverage,
as a page and as JSON, and the exports of ``collect export``."""

from __future__ import annotations

import math
from typing import Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import HTMLResponse, Response

from ...data.axes import AXES
from ...data.cards import card, training_warning
from ...data.sources import source_card
from ...data.tables import csv_text
from ...errors import InputError
from ..admin import progress_report
from ..export import SHAPES, export_table, jsonl_text
from ..web import State, admin

router = APIRouter(dependencies=[Depends(admin)])


@router.get("/admin", response_class=HTMLResponse)
def admin_page(state: State) -> HTMLResponse:
    warning = training_warning([card("collect"), source_card(state.study.prompts_source, "prompts")])
    return state.page("admin.html", "en", report=progress_report(state.store), axes=AXES, warning=warning)


@router.get("/api/admin/progress")
def admin_progress(state: State) -> dict:
    def plain(value):  # JSON has no NaN: a number not measured yet is null
        if isinstance(value, pd.DataFrame):
            return value.astype(object).where(value.notna(), None).to_dict("records")
        return None if isinstance(value, float) and math.isnan(value) else value
    return {k: plain(v) for k, v in progress_report(state.store).items()}


@router.get("/admin/export.{suffix}")
def admin_export(state: State, suffix: Literal["csv", "jsonl"],
                 shape: Literal[SHAPES] = "ca") -> Response:  # type: ignore[valid-type]
    """A shape of ``collect export`` as CSV or JSON Lines (TRL's message lists read back as lists from JSONL)."""
    try:
        table = export_table(state.study, shape)
    except InputError as exc:  # nothing collected yet
        raise HTTPException(409, str(exc)) from None
    text, kind = (csv_text(table), "text/csv") if suffix == "csv" else (jsonl_text(table), "application/jsonl")
    return Response(text, media_type=kind,
                    headers={"Content-Disposition": f'attachment; filename="{state.study.name}-{shape}.{suffix}"'})
