"""What every report shares: one Jinja environment over the report templates (and the builder the web apps take
theirs from), with the metric-definition filter, and the degeneracy checks as every report shows them (see
checks.html)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from ..metrics.checks import check_results, degenerate, only_fired
from ..metrics.registry import REGISTRY


def metric_definition(name: str) -> str:
    """A metric's one-line definition from the registry ("" for a name it does not know): every metric table shows
    it on hover over the metric's name (``title="{{ r.metric | definition }}"``), in the reports and in the viewer."""
    known = REGISTRY.get(name)
    return known.description if known else ""


def environment(*packages: str) -> Environment:
    """The one way pluralign builds a Jinja environment: the report templates, behind the ``templates`` folders of
    ``packages`` (a web app's own pages, which extend and include the reports'), autoescaped, with the metric
    definition filter."""
    folders = [PackageLoader(package, "templates") for package in (*packages, "pluralign.report")]
    built = Environment(loader=ChoiceLoader(folders), autoescape=select_autoescape())
    built.filters["definition"] = metric_definition
    return built


env = environment()  # the reports'


def write_page(path: Path, template: str, **context) -> Path:
    """Render ``template`` with ``context`` into the self-contained page ``path``; returns the path."""
    path.write_text(env.get_template(template).render(**context), encoding="utf-8")
    return path


def check_context(metrics: pd.DataFrame) -> dict:
    """What a report's templates need to show a run's checks: those that fired (``fired``, shown first), how many
    were computed (``checked``), all of them (``check_results``), and {(model, metric): check} for the metrics they
    make uninformative (``degenerate``)."""
    results = check_results(metrics)
    return {"fired": only_fired(results).to_dict("records"), "checked": len(results),
            "check_results": results.to_dict("records"),
            "degenerate": {(d.model, d.metric): d.check for d in degenerate(metrics, results).itertuples()}}
