"""One metrics table for every run, a registry entry for every metric, and the compare scorecard."""

from __future__ import annotations

import pytest

from pluralign.metrics import COLUMNS, REGISTRY, read_metrics, registry_table, write_metrics
from pluralign.runs import Run, RunError

from ..conftest import invoke
from .tables import long_table, make_run


def test_every_registered_metric_says_what_it_is():
    table = registry_table()
    assert len(table) == len(REGISTRY) > 20
    assert table["direction"].isin(["higher", "lower", "neutral"]).all()
    assert (table["low"] < table["high"]).all() and table["description"].str.len().gt(10).all()


def test_a_job_table_becomes_the_common_shape(tmp_path):
    table = long_table({"embedded": {"accuracy": (0.7, 0.6, 0.8)}}).drop(columns="model").assign(
        sampler=["independent"], estimator=["ideal-point"])
    run = Run(tmp_path / "cs", "compare-samplers", {"model": "embedded"}, "x")
    write_metrics(run.path, table)
    metrics = read_metrics(run.path)
    assert list(metrics.columns) == [*COLUMNS, "sampler", "estimator"]
    row = metrics.iloc[0]
    assert (row.run, row.job, row.model, row.setting) == ("cs", "compare-samplers", "embedded",
                                                          "sampler=independent, estimator=ideal-point")


def test_unregistered_metrics_are_refused(tmp_path):
    run = Run(tmp_path / "r", "audit", {}, "x")
    with pytest.raises(ValueError, match="not in the registry.*made_up"):
        write_metrics(run.path, long_table({"m": {"made_up": (1, 0, 2)}}))


def test_reading_several_runs_tells_apart_runs_of_one_name(tmp_path):
    one = make_run(tmp_path / "a" / "run", long_table({"m": {"accuracy": (0.7, 0.6, 0.8)}}))
    two = make_run(tmp_path / "b" / "run", long_table({"m": {"accuracy": (0.6, 0.5, 0.7)}}))
    metrics = read_metrics([one, two, one])
    assert metrics["run"].tolist() == ["a/run", "b/run"]
    with pytest.raises(RunError, match="not a pluralign run"):
        read_metrics(tmp_path)


def test_compare_cli_shows_every_metric_tensions_and_front(tmp_path):
    a = make_run(tmp_path / "a", long_table({"m": {"accuracy": (0.9, 0.88, 0.92), "worst_group_accuracy": (0.5, 0.48, 0.52)}}))
    b = make_run(tmp_path / "b", long_table({"m": {"accuracy": (0.8, 0.78, 0.82), "worst_group_accuracy": (0.6, 0.58, 0.62)}}))
    c = make_run(tmp_path / "c", long_table({"m": {"accuracy": (0.7, 0.68, 0.72), "worst_group_accuracy": (0.55, 0.53, 0.57)}}))
    html = tmp_path / "card.html"
    result = invoke("compare", str(a), str(b), str(c), "--html", str(html), env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert "Pareto front over accuracy, worst_group_accuracy (★): a, b" in result.stdout
    assert "-0.33" in result.stdout and "2 of 3" in result.stdout  # τ and the pairs ordered differently
    page = html.read_text()
    assert page.count('data-metric="') == 2 and "weighted" not in page
    assert "a by accuracy, b by worst_group_accuracy" in page  # an example of the disagreement
    again = invoke("compare", str(a), str(b), "--html", str(html))
    assert again.returncode == 2 and "--force" in again.stderr
    weighted = invoke("compare", str(a), str(b), "--weight", "accuracy=1", "--weight", "worst_group_accuracy=1",
                      "--html", str(html), "--force")
    assert weighted.returncode == 0 and "weighted sum (asked for" in weighted.stdout
    assert "weighted sum (asked for: 1.0×accuracy + 1.0×worst_group_accuracy)" in html.read_text()
    unknown = invoke("compare", str(a), "--by", "sampler")
    assert unknown.returncode == 2 and "--by sampler: not a column" in unknown.stderr


def test_metrics_cli_lists_the_registry():
    result = invoke("metrics", env={"COLUMNS": "200"})
    assert result.returncode == 0 and "framing_sensitivity" in result.stdout and "Value Kaleidoscope" in result.stdout
