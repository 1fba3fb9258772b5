"""Every metric is written down (docs/methods.md, linked from the registry), and every metric table shows its
one-line definition on hover: in the audit report of a real run, the scorecard and the viewer (the learn report's
is checked in Chromium, in test_report_browser)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
from fastapi.testclient import TestClient

from pluralign.metrics import REGISTRY, read_metrics
from pluralign.metrics.compare import scorecard
from pluralign.report.compare import render_scorecard
from pluralign.viewer.app import create_app

from ..conftest import ROOT
from ..metrics.tables import long_table, make_run


class _MetricCells(HTMLParser):
    """(name, title) of every table cell that names a metric: class "metric" (reports) or data-column="metric"
    (the viewer's tables)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.cells: list[tuple[str, str | None]] = []
        self._open: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "td" and ("metric" in (attrs.get("class") or "").split() or attrs.get("data-column") == "metric"):
            self._open = {"title": attrs.get("title"), "text": ""}

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag):
        if tag == "td" and self._open is not None:
            self.cells.append((self._open["text"].split()[0], self._open["title"]))
            self._open = None


def _titles(html: str) -> dict[str, set[str | None]]:
    out: dict[str, set[str | None]] = {}
    for name, title in _MetricCells(html).cells:
        out.setdefault(name, set()).add(title)
    return out


def test_every_registered_metric_has_its_own_section_in_the_methods_page():
    page = (ROOT / "docs" / "methods.md").read_text(encoding="utf-8")
    # GitHub's anchor for a heading "### name" is the name itself (lower case, underscores kept).
    anchors = {h.strip().lower().replace(" ", "-") for h in re.findall(r"^#{2,3} ([^\n]+)$", page, flags=re.M)}
    for metric in REGISTRY.values():
        path, anchor = metric.doc.split("#")
        assert path == "docs/methods.md" and anchor == metric.name
        assert anchor in anchors, f"docs/methods.md has no section for {metric.name}"
    # Every link inside the page lands on a section of it.
    assert set(re.findall(r"\]\(#([^)]+)\)", page)) <= anchors


def test_the_audit_report_shows_each_metric_definition_on_hover(small_run):
    titles = _titles((small_run.path / "report.html").read_text(encoding="utf-8"))
    written = set(pd.read_parquet(small_run.path / "metrics.parquet")["metric"])
    assert written and written <= set(titles)
    for metric in written:
        assert titles[metric] == {REGISTRY[metric].description}


def test_the_scorecard_and_the_viewer_show_each_metric_definition_on_hover(tmp_path):
    table = long_table({"m1": {"accuracy": (0.7, 0.6, 0.8), "ece": (0.1, 0.05, 0.2)},
                        "m2": {"accuracy": (0.6, 0.5, 0.7), "ece": (0.05, 0.02, 0.1)}})
    run = make_run(tmp_path / "runs" / "learn-x", table, job="learn")
    expected = {m: {REGISTRY[m].description} for m in ("accuracy", "ece")}
    assert _titles(render_scorecard(scorecard(read_metrics(run)), ["learn-x"])) == expected
    page = TestClient(create_app(tmp_path / "runs")).get("/runs/learn-x/")
    assert page.status_code == 200 and _titles(page.text) == expected
