"""``pluralign view``: a local, read-only web app over a directory of runs.

Pages: the run list (job, models, date, status, size; filter by job, status or text; tick runs to compare), a run
(its manifest, its metrics filtered by grouping, group or metric, its report), its items filtered by language,
topic or another column, one item drilled down, and a scorecard of several runs. Every page is rendered here
from local templates with inline CSS: nothing is fetched from elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from ..errors import InputError
from ..metrics import read_metrics
from ..metrics.compare import parse_units, parse_where, scorecard
from ..report.html import check_context, metric_definition
from ..report.compare import render_scorecard
from .catalog import NotFound, RunsDirectory
from .items import item_detail, item_list, item_view

_env = Environment(loader=ChoiceLoader([PackageLoader("pluralign.viewer", "templates"),
                                        PackageLoader("pluralign.report", "templates")]), autoescape=select_autoescape())


def _cell(value) -> str:
    """A table cell as text: numbers rounded, lists joined, missing values blank."""
    if isinstance(value, (float, np.floating)):
        return "" if not np.isfinite(value) else f"{value:.3f}"
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(_cell(v) for v in value)
    return "" if value is None else str(value)


_env.filters["cell"] = _cell


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


_env.filters["size"] = _size
_env.filters["definition"] = metric_definition
_env.globals["table_rows"] = lambda frame: frame.to_dict("records")  # a DataFrame as template rows


def create_app(runs_dir: str | Path) -> FastAPI:
    """The viewer's FastAPI app over ``runs_dir``; serve it with uvicorn (``pluralign view`` does)."""
    runs = RunsDirectory(runs_dir)
    app = FastAPI(title="pluralign view", docs_url=None, redoc_url=None, openapi_url=None)

    def page(template: str, code: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(_env.get_template(template).render(root=str(runs.root), **context), status_code=code)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> PlainTextResponse:
        return PlainTextResponse("not found", status_code=404)

    @app.exception_handler(404)
    async def no_route(request: Request, exc) -> PlainTextResponse:
        return PlainTextResponse("not found", status_code=404)

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)  # no icon, and no 404 in the browser's console

    rendered: dict[tuple, tuple[tuple, str]] = {}  # run list pages, until the next rescan

    @app.get("/", response_class=HTMLResponse)
    async def run_list(job: str = "", status: str = "", q: str = "") -> HTMLResponse:
        every = runs.runs()
        key = (job, status, q)
        if key in rendered and rendered[key][0] is every:
            return HTMLResponse(rendered[key][1])
        shown = [r for r in every if (not job or r.job == job) and (not status or r.status.startswith(status))
                 and (not q or q.lower() in f"{r.name} {r.models}".lower())]
        response = page("runs.html", runs=shown, total=len(every), jobs=sorted({r.job for r in every}),
                        statuses=sorted({r.status.split(":")[0] for r in every}), job=job, status=status, q=q)
        if len(rendered) > 256:
            rendered.clear()
        rendered[key] = (every, response.body.decode())
        return response

    @app.get("/runs/{name}/", response_class=HTMLResponse)
    def run_page(name: str, grouping: str = "", group: str = "", metric: str = "") -> HTMLResponse:
        path = runs.run(name)
        manifest = runs.manifest(name)
        metrics = runs.table(name, "metrics.parquet")
        choices, checks = {}, check_context(metrics if metrics is not None else pd.DataFrame())
        if metrics is not None and len(metrics):
            choices = {"grouping": sorted(metrics["grouping"].astype(str).unique()),
                       "metric": sorted(metrics["metric"].astype(str).unique())}
            for column, value in (("grouping", grouping), ("group", group), ("metric", metric)):
                if value:
                    metrics = metrics[metrics[column].astype(str) == value]
            metrics = metrics.drop(columns=[c for c in ("run", "job") if c in metrics])
        files = sorted(f.name for f in path.iterdir() if f.is_file() and not f.is_symlink())
        return page("run.html", name=name, manifest=manifest, metrics=metrics, choices=choices, files=files, **checks,
                    has_items=item_view(manifest.get("job", "")) is not None, selected={"grouping": grouping, "group": group, "metric": metric})

    @app.get("/runs/{name}/items", response_class=HTMLResponse)
    def items(name: str, request: Request) -> HTMLResponse:
        job = runs.manifest(name).get("job", "")
        filters = {k: v for k, v in request.query_params.items() if v}
        view, table, choices = item_list(runs, name, job, filters)
        if view is None:
            raise NotFound(name)
        return page("items.html", name=name, job=job, view=view, rows=table.head(2000), total=len(table),
                    choices=choices, selected=filters)

    @app.get("/runs/{name}/items/{item}", response_class=HTMLResponse)
    def item(name: str, item: str) -> HTMLResponse:
        view = item_view(runs.manifest(name).get("job", ""))
        if view is None:
            raise NotFound(item)
        head, sections = item_detail(runs, name, view, item)
        return page("item.html", name=name, item=item, head=head, sections=sections)

    @app.get("/runs/{name}/report")
    async def report(name: str) -> FileResponse:
        return FileResponse(runs.file(name, "report.html"), media_type="text/html")

    @app.get("/runs/{name}/files/{relative:path}")
    def run_file(name: str, relative: str) -> FileResponse:
        return FileResponse(runs.file(name, relative))

    @app.get("/compare", response_class=HTMLResponse)
    def compare(run: list[str] = Query(default=[]), by: str = "run,model,setting",
                where: list[str] = Query(default=[])) -> HTMLResponse:
        """Runs side by side; ``by`` and ``where`` (COLUMN=VALUE) as for ``pluralign compare``."""
        if len(run) < 1:
            return page("message.html", 400, title="Compare runs", message="Tick at least one run on the run list.")
        paths = [runs.run(r) for r in run]
        try:
            metrics = read_metrics(paths)
            card = scorecard(metrics, by=parse_units(by, metrics.columns), where=parse_where(where))
        except InputError as exc:
            return page("message.html", 422, title="Cannot compare these runs", message=str(exc))
        html = render_scorecard(card, run, title="compare: " + ", ".join(run), links={r: f"/runs/{r}/" for r in run})
        controls = _env.get_template("compare_controls.html").render(runs=run, by=by, where=where)
        return HTMLResponse(html.replace("<body>", "<body>" + controls, 1))

    return app

