"""Golden runs of the audit and of learn: what they wrote on fixed seeds before the shape work of issue 17, which
must not change behaviour (tests/golden.py). The values and compare-samplers golden runs are checked beside their
own jobs' tests, on the same runs."""

from __future__ import annotations

from pluralign.learn.job import LearnConfig, run_learn

from .golden import assert_golden


def test_the_audit_writes_what_it_wrote(small_run):
    assert_golden("audit", small_run.path)


def test_learn_writes_what_it_wrote(tmp_path):
    for estimator in ("mixture", "ideal"):
        path = run_learn(LearnConfig(data="simulated", estimator=estimator, k=2, seed=3), tmp_path / estimator).path
        assert_golden(f"learn-{estimator}", path)
