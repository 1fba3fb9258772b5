"""The audit report in a real headless Chromium: it renders offline, without console errors, with its figures."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from pluralign.metrics import REGISTRY

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
FIGURES = {"stance-heatmap", "framing-sensitivity", "stance-position", "refusals", "opinion-alignment", "model-comparison"}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_report_renders_offline_with_every_figure(browser, small_run):
    page = browser.new_page()
    errors, outside = [], []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: not req.url.startswith("file://") and outside.append(req.url))
    page.goto((small_run.path / "report.html").as_uri())
    assert errors == [] and outside == []
    shown = set(page.eval_on_selector_all("figure[data-figure]", "els => els.map(e => e.dataset.figure)"))
    assert shown == FIGURES
    for figure in FIGURES:
        box = page.locator(f"figure[data-figure='{figure}'] svg").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, figure
    assert page.locator("text=Metrics overall").is_visible()
    assert page.locator("h2#answers + table tr").count() == 1 + 24  # header and one row per item
    page.close()


def test_learn_report_renders_with_group_accuracy_curve_and_type_sizes(browser, cli, tmp_path):
    result = cli("learn", "--data", "simulated", "--estimator", "ideal", "--out", str(tmp_path / "learn"))
    assert result.returncode == 0, result.stderr
    page = browser.new_page()
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto((tmp_path / "learn" / "report.html").as_uri())
    assert errors == []
    shown = set(page.eval_on_selector_all("figure[data-figure]", "els => els.map(e => e.dataset.figure)"))
    assert shown == {"group-accuracy", "learning-curve", "type-sizes"}
    assert page.locator("table tr").count() > 8
    # Each metric's one-line definition shows on hover over its name.
    cells = page.eval_on_selector_all("td.metric", "els => els.map(e => [e.textContent.trim(), e.title])")
    assert {"accuracy", "log_loss", "worst_group_accuracy", "ece"} <= {name for name, _ in cells}
    assert all(title == REGISTRY[name].description for name, title in cells)
    page.close()
