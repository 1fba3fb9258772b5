"""pluralign view in a real headless Chromium, served by the real CLI on loopback; and no path outside the runs."""

from __future__ import annotations

import http.client
import shutil
import sys

import httpx
import pytest
from playwright.sync_api import sync_playwright

from ..conftest import start_server
from ..metrics.tables import long_table, make_run
from ..report.test_report_browser import CHROMIUM_ARGS


@pytest.fixture(scope="module")
def served(tmp_path_factory, small_run, hf_model):
    """Two audit runs (the real small audit, twice), a small values run and a small sample run on the embedded
    model, a learn-shaped run, and traps: a symlink to a secret file inside a run and a symlinked run directory
    pointing outside."""
    from pluralign.sampling import SamplingConfig, run_sample
    from pluralign.values import ValuesRunConfig, run_values

    base = tmp_path_factory.mktemp("viewer")
    runs = base / "runs"
    runs.mkdir()
    for name in ("audit-a", "audit-b"):
        shutil.copytree(small_run.path, runs / name)
    run_values(ValuesRunConfig(limit=1, samples=1, max_tokens=48), runs / "values-x", progress=False,
               use_cache=False, models={"embedded": hf_model})
    run_sample(SamplingConfig(limit=1, samplers=["independent"], k=2, max_tokens=24), runs / "sample-x",
               progress=False, use_cache=False, models={"embedded": hf_model})
    make_run(runs / "learn-x", long_table({"IdealPoint": {"accuracy": (0.7, 0.6, 0.8)}}), job="learn")
    secret = base / "secret.txt"
    secret.write_text("not yours")
    (runs / "audit-a" / "outside").symlink_to(secret)
    outside_run = base / "elsewhere"
    shutil.copytree(runs / "learn-x", outside_run)
    (runs / "linked").symlink_to(outside_run, target_is_directory=True)
    server, url = start_server(lambda port: [sys.executable, "-m", "pluralign", "view", str(runs), "--port", str(port)], "/")
    yield url, httpx.URL(url).port
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def page(served):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.errors, page.outside = [], []
        page.on("console", lambda msg: msg.type == "error" and page.errors.append(msg.text))
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("request", lambda req: not req.url.startswith(served[0]) and page.outside.append(req.url))
        yield page
        browser.close()


def test_run_list_filter_and_drill_down_to_a_framing_and_an_answer(served, page):
    url, _ = served
    page.goto(url + "/")
    assert page.locator("#runs tr[data-run]").count() == 5  # the symlinked run is not listed
    assert page.locator("#runs tr[data-run='audit-a'] td").nth(2).inner_text() == "audit"
    page.select_option("#filters select[name=job]", "learn")
    page.click("#filters button")
    assert page.locator("#runs tr[data-run]").count() == 1
    page.goto(url + "/")
    page.click("text=audit-a")
    assert page.locator("h1").inner_text() == "audit-a"
    assert page.locator("section#warnings tr[data-check='low_answer_mass']").is_visible()  # the embedded model's
    page.select_option("#metric-filters select[name=metric]", "p_agree")
    page.select_option("#metric-filters select[name=grouping]", "language_variant")
    page.click("#metric-filters button")
    groups = page.eval_on_selector_all("#metrics-table td[data-column=group]", "tds => tds.map(td => td.innerText)")
    assert sorted(groups) == ["de original", "de translated", "en original", "gap", "ratio"]
    page.click("#open-items")
    page.select_option("#item-filters select[name=language]", "de")
    page.click("#item-filters button")
    ids = page.eval_on_selector_all("#items-table a", "as => as.map(a => a.innerText)")
    assert len(ids) == 8 and all(i.endswith("-de") for i in ids)
    page.click(f"#items-table a >> text={ids[0]}")
    framings = page.locator("#section-1 tr")
    assert framings.count() == 1 + 2 * 6  # header, six framings in German and six in English translation
    assert "lp_yes" in page.locator("#section-1 tr").first.inner_text()
    answers = page.locator("#section-2")
    assert "judged_stance" in answers.locator("tr").first.inner_text()
    assert answers.locator("td.long").first.inner_text().strip() != ""
    assert page.errors == [] and page.outside == []


@pytest.mark.parametrize("run, section", [("values-x", "Values, rights and duties"), ("sample-x", "Candidate sets")])
def test_drill_into_a_situation_and_a_prompt(served, page, run, section):
    url, _ = served
    page.goto(f"{url}/runs/{run}/items")
    first = page.locator("#items-table a").first
    item = first.inner_text()
    first.click()
    assert page.locator("h1").inner_text() == item
    assert page.locator("h2").first.inner_text().startswith(section)
    assert page.locator("#section-1 tr").count() > 1 + (1 if run == "sample-x" else 0)
    assert page.errors == [] and page.outside == []


def test_compare_two_runs_and_open_a_report(served, page):
    url, _ = served
    page.goto(url + "/")
    page.check("#runs tr[data-run='audit-a'] input")
    page.check("#runs tr[data-run='audit-b'] input")
    page.click("#compare-form button")
    header = page.locator("#scorecard tr").first.inner_text()
    assert "audit-a" in header and "audit-b" in header
    assert page.locator("#scorecard tr[data-metric='p_agree'] td.num").count() == 2
    assert page.locator("#tensions-table tr").count() > 1
    page.fill("#compare-controls input[name=by]", "run")
    page.click("#compare-controls button")
    header = page.locator("#scorecard tr th").all_inner_texts()
    assert sorted(h.split()[0] for h in header[2:]) == ["audit-a", "audit-b"]  # units are now the runs alone
    page.goto(url + "/runs/audit-a/")
    with page.expect_navigation():  # until the report has loaded: counted before, under load, 1 figure of 5 was there
        page.click("#open-report")
    assert page.locator("figure[data-figure]").count() >= 5
    assert page.errors == [] and page.outside == []


@pytest.mark.parametrize("path", [
    "/runs/audit-a/files/../../secret.txt",
    "/runs/audit-a/files/%2e%2e/%2e%2e/secret.txt",
    "/runs/audit-a/files/%2E%2E%2F%2E%2E%2Fsecret.txt",
    "/runs/audit-a/files/..%5c..%5csecret.txt",
    "/runs/audit-a/files/%252e%252e/%252e%252e/secret.txt",
    "/runs/audit-a/files//etc/passwd",
    "/runs/audit-a/files/%2Fetc%2Fpasswd",
    "/runs/audit-a/files/outside",
    "/runs/..%2f..%2fsecret.txt/",
    "/runs/%2e%2e/files/secret.txt",
    "/runs/linked/",
    "/runs/linked/files/manifest.json",
    "/../secret.txt",
    "/runs/audit-a/files/records.jsonl/../../../secret.txt",
])
def test_nothing_outside_the_runs_directory(served, path):
    _, port = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)  # sent as written: no client-side normalisation of '..'
    response = conn.getresponse()
    body = response.read()
    assert response.status == 404 and b"not yours" not in body


def test_compare_takes_units_and_filters_as_the_command_line_does(served):
    url, _ = served
    by_run = httpx.get(url + "/compare", params={"run": ["audit-a", "learn-x"], "by": "run"})
    assert by_run.status_code == 200 and by_run.text.count('data-metric="') > 3
    bad = httpx.get(url + "/compare", params={"run": ["audit-a"], "by": "sampler"})
    assert bad.status_code == 422 and "by=sampler" in bad.text


def test_files_inside_a_run_are_served(served):
    url, _ = served
    response = httpx.get(url + "/runs/audit-a/files/manifest.json")
    assert response.status_code == 200 and response.json()["job"] == "audit"
