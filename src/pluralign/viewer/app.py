"""``pluralign view``: a local, read-only web app over a directory of runs.

Pages: the run list (job, models, date, status, size; filter by job, status or text; tick runs to compare), a run
(its manifest, its metrics filtered by grouping, group or metric, its report), its items filtered by language,
topic or another column, one item drilled down, and a scorecard of several runs. Every page is rendered from local
templates with inline CSS (``pages.py``), by one router per area (``routes.py``): nothing is fetched from elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from ..serving import answer_errors
from . import routes
from .catalog import NotFound, RunsDirectory


async def _not_found(request: Request, exc: Exception) -> PlainTextResponse:
    return PlainTextResponse("not found", status_code=404)


def create_app(runs_dir: str | Path) -> FastAPI:
    """The viewer's FastAPI app over ``runs_dir``; serve it with uvicorn (``pluralign view`` does)."""
    app = FastAPI(title="pluralign view", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runs = RunsDirectory(runs_dir)
    app.state.rendered = {}  # run list pages by their filters, until the next rescan
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(404, _not_found)
    app.add_api_route("/favicon.ico", lambda: Response(status_code=204))  # no icon, and no 404 in the console
    for router in (routes.runs, routes.items, routes.compare):
        app.include_router(router)
    answer_errors(app)
    return app
