"""Intervals on crossed people and prompts hold their level: seeded simulations with a known population accuracy
(see scenarios.py).

150 people each answer every held-out prompt once; prompts differ in difficulty (sd 0.5 on the logit), so people
who share prompts are not independent. Resampling people alone treats the prompts as fixed, while a new set of
prompts would give another accuracy; the pigeonhole bootstrap (``cluster=("annotator", "prompt")``) resamples both.
200 simulated sets a size: a coverage of 95 % is measured ± 1.5 % (Monte-Carlo error).
``benchmarks/crossed_coverage.py`` runs more sets, sizes and prompt effects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pluralign.metrics import MetricFrame

from .scenarios import crossed_coverage, crossed_items, mc_error

REPLICATES = 200


@pytest.mark.parametrize("prompts", [8, 20])
def test_resampling_people_alone_misses_the_prompts_variation(prompts):
    rate = crossed_coverage(prompts, "annotator", REPLICATES // 2, seed=prompts)["overall"]
    assert rate < 0.8, f"one-way 95 % interval covered {rate:.1%} ± {mc_error(rate, REPLICATES // 2):.1%}"


@pytest.mark.parametrize("prompts", [8, 20])
def test_crossed_intervals_cover_at_least_93_percent(prompts):
    rates = crossed_coverage(prompts, ("annotator", "prompt"), REPLICATES, seed=prompts)
    for interval, rate in rates.items():
        assert rate >= 0.93, f"crossed {interval} interval covered {rate:.1%} ± {mc_error(rate, REPLICATES):.1%}"


def test_one_column_in_a_tuple_resamples_as_that_column():
    items = crossed_items(30, 4, np.random.default_rng(0))
    alone, in_tuple = (MetricFrame(items, "correct", by="group", cluster=c) for c in ("annotator", ("annotator",)))
    pd.testing.assert_frame_equal(alone.by_group, in_tuple.by_group)


def test_one_prompt_says_nothing_about_new_prompts():
    items = crossed_items(50, 1, np.random.default_rng(0))
    crossed = MetricFrame(items, "correct", by="group", cluster=("annotator", "prompt"))
    assert (crossed.overall["ci_low"], crossed.overall["ci_high"]) == (-np.inf, np.inf)
    assert np.isfinite(MetricFrame(items, "correct", by="group", cluster="annotator").overall["ci_low"])


def test_the_worst_group_counts_people_when_people_and_prompts_are_crossed():
    items = crossed_items(60, 3, np.random.default_rng(0))
    worst = MetricFrame(items, "correct", by="group", cluster=("annotator", "prompt")).worst(min_n=30)
    assert worst["n_groups"] == 2 and np.isfinite([worst["ci_low"], worst["ci_high"]]).all()  # 30 people a group
