"""The audit report in a real headless Chromium: it renders offline, without console errors, with its figures."""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import sync_playwright

from pluralign.metrics import REGISTRY

from ..conftest import invoke

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
FIGURES = {"stance-heatmap", "framing-sensitivity", "stance-position", "refusals", "opinion-alignment", "model-comparison",
           "entropy-gap"}


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


def test_learn_report_renders_with_group_accuracy_curve_and_type_sizes(browser, tmp_path):
    result = invoke("learn", "--data", "simulated", "--estimator", "ideal", "--out", str(tmp_path / "learn"))
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


def test_the_first_screen_says_which_numbers_carry_no_information(browser, small_run):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto((small_run.path / "report.html").as_uri())
    box = page.locator("section#warnings").bounding_box()
    assert box and box["y"] < 800 and page.locator("section#warnings").is_visible()  # above the fold
    shown = set(page.eval_on_selector_all("section#warnings tr[data-check]", "els => els.map(e => e.dataset.check)"))
    assert {"judge_one_option", "judge_near_chance", "low_answer_mass"} <= shown
    # the metrics those checks affect are marked where they are listed
    assert page.locator("tr.degenerate", has_text="judged_agree_rate").count() == 1
    assert page.locator("tr.degenerate", has_text="p_agree").count() == 1
    page.close()


def test_a_rate_of_zero_is_drawn_as_a_mark_with_its_n(browser, tmp_path):
    """A bar of height 0 is invisible; the chart marks it "0" (and a missing value "n/a") above its n."""
    from pluralign.report.figures import interval_bars

    frame = pd.DataFrame({"group": ["de", "en", "fr"], "model": "m", "value": [0.0, 0.2, float("nan")],
                          "ci_low": [0.0, 0.1, float("nan")], "ci_high": [0.3, 0.3, float("nan")], "n": [12, 10, 0]})
    (tmp_path / "chart.html").write_text(f"<html><body>{interval_bars(frame, 'group', 'model', '', 'rate', (0, 1))}</body></html>")
    page = browser.new_page()
    page.goto((tmp_path / "chart.html").as_uri())
    texts = page.eval_on_selector_all("svg text", "els => els.map(e => e.textContent.trim())")
    assert "0" in texts and "n/a" in texts and any("n=12" in t for t in texts)
    page.close()
