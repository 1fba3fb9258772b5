"""MetricFrame: group values, bootstrap intervals, and gaps between groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import bootstrap

from pluralign.metrics import MetricFrame, disaggregate


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"group": ["a"] * 200 + ["b"] * 50, "value": np.r_[rng.normal(0, 1, 200), rng.normal(2, 1, 50)]})


def test_group_values_and_sizes():
    df = _data()
    frame = MetricFrame(df, "value", by="group")
    table = frame.by_group.set_index("group")
    assert table.loc["a", "value"] == pytest.approx(df[df.group == "a"].value.mean())
    assert table["n"].to_dict() == {"a": 200, "b": 50}
    assert frame.group_max()["group"] == "b"


def test_intervals_agree_with_scipy_percentile_bootstrap():
    df = _data()
    ours = MetricFrame(df, "value", by="group", n_boot=4000).by_group.set_index("group").loc["b"]
    values = df[df.group == "b"].value.to_numpy()
    ref = bootstrap((values,), np.mean, n_resamples=4000, method="percentile", random_state=0).confidence_interval
    assert ours["ci_low"] == pytest.approx(ref.low, abs=0.05)
    assert ours["ci_high"] == pytest.approx(ref.high, abs=0.05)


def test_gap_between_groups_has_an_interval_around_the_true_gap():
    gap = MetricFrame(_data(), "value", by="group").difference()
    assert gap["ci_low"] < 2.0 < gap["ci_high"]
    assert gap["ci_low"] > 1.0


def test_identical_groups_have_a_ratio_near_parity():
    df = pd.DataFrame({"group": ["a", "b"] * 500, "value": [0, 1] * 250 + [1, 0] * 250})
    ratio = MetricFrame(df, "value", by="group").ratio()
    assert ratio["value"] == pytest.approx(1.0)
    assert ratio["ci_low"] < 1.0 <= ratio["ci_high"] + 1e-12


def test_disaggregate_writes_overall_groups_gap_and_ratio_per_key():
    df = _data().assign(model=["m1", "m2"] * 125)
    table = disaggregate(df, {"score": "value"}, ["group"], keys=["model"])
    assert set(table["model"]) == {"m1", "m2"}
    assert set(table["group"]) == {"all", "a", "b", "gap", "ratio"}
    overall = table[(table.model == "m1") & (table.grouping == "overall")].iloc[0]
    assert overall["value"] == pytest.approx(df[df.model == "m1"].value.mean())
    assert overall["n"] == 125
