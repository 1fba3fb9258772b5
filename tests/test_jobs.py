"""The job registry: every capability's job is installed under one name, with its settings, how it runs, and
(where it can) how it rebuilds its report from records and how the viewer opens its items."""

from __future__ import annotations

import dataclasses

import pytest

from pluralign.jobs import job_of, jobs
from pluralign.runs import Run, RunError


def test_every_capability_registers_its_job():
    found = jobs()
    assert {"audit", "values", "sample", "compare-samplers", "humans-vs-models", "learn", "judge", "align"} <= set(found)
    for name, job in found.items():
        assert job.name == name and dataclasses.is_dataclass(job.config) and callable(job.run)
    assert {n for n, j in found.items() if j.items is None} == {"learn", "align", "humans-vs-models"}


def test_a_run_names_its_job(tmp_path):
    Run(tmp_path / "r", "values", {}, "data")
    assert job_of(tmp_path / "r") is jobs()["values"]


def test_a_run_of_an_unknown_job_is_refused(tmp_path):
    Run(tmp_path / "r", "nonesuch", {}, "data")
    with pytest.raises(RunError, match="'nonesuch' run, which no installed job knows"):
        job_of(tmp_path / "r")
