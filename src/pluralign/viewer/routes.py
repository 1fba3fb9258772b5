"""The viewer's routes, one router per area: the run list and a run's pages (``runs``), a run's items (``items``),
and several runs side by side (``compare``)."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from ..errors import InputError
from ..metrics import read_metrics
from ..metrics.compare import parse_units, parse_where, scorecard
from ..report.compare import render_scorecard
from ..report.html import check_context
from .catalog import NotFound, RunsDirectory
from .items import item_detail, item_list, item_view
from .pages import directory, env, page

Runs = Annotated[RunsDirectory, Depends(directory)]
runs = APIRouter()
items = APIRouter()
compare = APIRouter()


@runs.get("/", response_class=HTMLResponse)
async def run_list(request: Request, served: Runs, job: str = "", status: str = "", q: str = "") -> HTMLResponse:
    """The run list, filtered; a page is kept until the next rescan finds the directory changed."""
    every, rendered = served.runs(), request.app.state.rendered
    key = (job, status, q)
    if key in rendered and rendered[key][0] is every:
        return HTMLResponse(rendered[key][1])
    shown = [r for r in every if (not job or r.job == job) and (not status or r.status.startswith(status))
             and (not q or q.lower() in f"{r.name} {r.models}".lower())]
    response = page(served, "runs.html", runs=shown, total=len(every), jobs=sorted({r.job for r in every}),
                    statuses=sorted({r.status.split(":")[0] for r in every}), job=job, status=status, q=q)
    if len(rendered) > 256:
        rendered.clear()
    rendered[key] = (every, response.body.decode())
    return response


@runs.get("/runs/{name}/", response_class=HTMLResponse)
def run_page(served: Runs, name: str, grouping: str = "", group: str = "", metric: str = "") -> HTMLResponse:
    """A run: its manifest, its checks, its metrics filtered by grouping, group or metric, and its files."""
    path = served.run(name)
    manifest = served.manifest(name)
    metrics = served.table(name, "metrics.parquet")
    choices, checks = {}, check_context(metrics if metrics is not None else pd.DataFrame())
    if metrics is not None and len(metrics):
        choices = {"grouping": sorted(metrics["grouping"].astype(str).unique()),
                   "metric": sorted(metrics["metric"].astype(str).unique())}
        for column, value in (("grouping", grouping), ("group", group), ("metric", metric)):
            if value:
                metrics = metrics[metrics[column].astype(str) == value]
        metrics = metrics.drop(columns=[c for c in ("run", "job") if c in metrics])
    files = sorted(f.name for f in path.iterdir() if f.is_file() and not f.is_symlink())
    return page(served, "run.html", name=name, manifest=manifest, metrics=metrics, choices=choices, files=files,
                **checks, has_items=item_view(manifest.get("job", "")) is not None,
                selected={"grouping": grouping, "group": group, "metric": metric})


@runs.get("/runs/{name}/report")
async def report(served: Runs, name: str) -> FileResponse:
    return FileResponse(served.file(name, "report.html"), media_type="text/html")


@runs.get("/runs/{name}/files/{relative:path}")
def run_file(served: Runs, name: str, relative: str) -> FileResponse:
    return FileResponse(served.file(name, relative))


@items.get("/runs/{name}/items", response_class=HTMLResponse)
def item_page(request: Request, served: Runs, name: str) -> HTMLResponse:
    """A run's items, filtered by any of its job's filter columns."""
    job = served.manifest(name).get("job", "")
    filters = {k: v for k, v in request.query_params.items() if v}
    view, table, choices = item_list(served, name, job, filters)
    if view is None:
        raise NotFound(name)
    return page(served, "items.html", name=name, job=job, view=view, rows=table.head(2000), total=len(table),
                choices=choices, selected=filters)


@items.get("/runs/{name}/items/{item}", response_class=HTMLResponse)
def one_item(served: Runs, name: str, item: str) -> HTMLResponse:
    """One item drilled down: its fields and sections."""
    view = item_view(served.manifest(name).get("job", ""))
    if view is None:
        raise NotFound(item)
    head, sections = item_detail(served, name, view, item)
    return page(served, "item.html", name=name, item=item, head=head, sections=sections)


@compare.get("/compare", response_class=HTMLResponse)
def side_by_side(served: Runs, run: list[str] = Query(default=[]), by: str = "run,model,setting",
                 where: list[str] = Query(default=[])) -> HTMLResponse:
    """Runs side by side; ``by`` and ``where`` (COLUMN=VALUE) as for ``pluralign compare``."""
    if len(run) < 1:
        return page(served, "message.html", 400, title="Compare runs", message="Tick at least one run on the run list.")
    paths = [served.run(r) for r in run]
    try:
        metrics = read_metrics(paths)
        card = scorecard(metrics, by=parse_units(by, metrics.columns), where=parse_where(where))
    except InputError as exc:
        return page(served, "message.html", 422, title="Cannot compare these runs", message=str(exc))
    html = render_scorecard(card, run, title="compare: " + ", ".join(run), links={r: f"/runs/{r}/" for r in run})
    controls = env.get_template("compare_controls.html").render(runs=run, by=by, where=where)
    return HTMLResponse(html.replace("<body>", "<body>" + controls, 1))
