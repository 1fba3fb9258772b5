"""MetricFrame: group values, bootstrap intervals, clusters, gaps between groups and the worst group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

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


def test_group_interval_is_as_wide_as_the_t_interval_of_a_normal_mean():
    df = _data()
    ours = MetricFrame(df, "value", by="group", n_boot=4000).by_group.set_index("group").loc["b"]
    values = df[df.group == "b"].value.to_numpy()
    ref = stats.t.interval(0.95, len(values) - 1, values.mean(), stats.sem(values))
    assert (ours["ci_low"], ours["ci_high"]) == pytest.approx(ref, abs=0.02)
    plain = stats.bootstrap((values,), np.mean, n_resamples=4000, method="percentile", random_state=0).confidence_interval
    assert ours["ci_high"] - ours["ci_low"] > plain.high - plain.low  # the plain percentile interval is too narrow


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


def _clustered(rng, clusters=40, size=5, icc=0.5):
    """Rows of ``clusters`` clusters whose values share a cluster effect (intra-cluster correlation ``icc``)."""
    effect = np.repeat(rng.normal(0, np.sqrt(icc), clusters), size)
    return pd.DataFrame({"cluster": np.repeat(np.arange(clusters), size), "group": "all",
                         "value": effect + rng.normal(0, np.sqrt(1 - icc), clusters * size)})


_REPLICATES = 200
_MC_ERROR = np.sqrt(0.95 * 0.05 / _REPLICATES)  # of a 95 % coverage estimated from 200 simulated data sets


@pytest.mark.parametrize("cluster, covers", [("cluster", lambda rate: abs(rate - 0.95) <= 3 * _MC_ERROR),
                                             (None, lambda rate: rate < 0.85)])
def test_clustered_data_needs_whole_clusters_resampled_to_cover(cluster, covers):
    rng = np.random.default_rng(3)
    hits = [(lambda o: o.ci_low <= 0 <= o.ci_high)(MetricFrame(_clustered(rng), "value", by="group",
                                                               cluster=cluster, seed=r).overall)
            for r in range(_REPLICATES)]
    assert covers(np.mean(hits)), f"coverage {np.mean(hits):.1%} with cluster={cluster}"


def test_groups_sharing_clusters_are_compared_on_paired_replicates():
    rng = np.random.default_rng(4)
    statement = rng.beta(2, 2, 60)  # each statement's p(agree) varies far more than translation moves it
    df = pd.DataFrame({"statement_id": np.tile(np.arange(60), 2), "variant": np.repeat(["original", "translated"], 60),
                       "p_agree": np.r_[statement, statement - 0.05 + rng.normal(0, 0.02, 60)]})
    paired = MetricFrame(df, "p_agree", by="variant", cluster="statement_id").difference()
    unpaired = MetricFrame(df, "p_agree", by="variant").difference()
    assert paired["ci_low"] > 0 and paired["ci_high"] - paired["ci_low"] < (unpaired["ci_high"] - unpaired["ci_low"]) / 5
    assert unpaired["ci_low"] == 0  # rows resampled alone cannot tell the shift from the spread of statements


def test_worst_group_needs_min_n_rows_and_has_an_interval_for_the_worst_true_mean():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"group": ["one"] + ["a"] * 40 + ["b"] * 40, "value": np.r_[0.0, rng.normal(0.3, 0.1, 40),
                                                                                   rng.normal(0.7, 0.1, 40)]})
    frame = MetricFrame(df, "value", by="group")
    worst = frame.worst()
    assert (worst["group"], worst["n"], worst["n_groups"], worst["min_n"]) == ("a", 40, 2, 20)  # "one" cannot win
    assert worst["ci_low"] < worst["value"] < worst["ci_high"]  # its coverage: the test below
    assert frame.worst(higher_is_better=False)["group"] == "b"
    assert frame.worst(min_n=1)["group"] == "one"
    none = frame.worst(min_n=41)
    assert none["group"] == "" and none["n_groups"] == 0 and np.isnan(none[["value", "ci_low", "ci_high"]].astype(float)).all()


def test_worst_group_interval_covers_the_smallest_true_mean():
    rng, hits = np.random.default_rng(6), []
    for r in range(_REPLICATES):  # five equal groups: the worst point estimate is biased low, the interval is not
        df = pd.DataFrame({"group": np.repeat(list("abcde"), 30), "value": rng.normal(0.5, 0.2, 150)})
        worst = MetricFrame(df, "value", by="group", seed=r).worst()
        hits.append(worst["ci_low"] <= 0.5 <= worst["ci_high"])
    assert np.mean(hits) >= 0.95 - 3 * _MC_ERROR, f"coverage {np.mean(hits):.1%}"


@pytest.mark.parametrize("values, expected", [([0, 0, 0, 0], (1.0, 0.0, 1.0)), ([0, 0, 1, 0], (0.0, 0.0, 1.0)),
                                              ([-1, 1, 1, 2], (np.nan,) * 3)])
def test_ratio_of_zero_and_negative_groups(values, expected):
    ratio = MetricFrame(pd.DataFrame({"group": list("aabb"), "value": values}), "value", by="group").ratio()
    np.testing.assert_equal(ratio[["value", "ci_low", "ci_high"]].astype(float).to_numpy(), expected)


def test_a_group_of_one_cluster_has_an_unbounded_interval_and_gap():
    frame = MetricFrame(pd.DataFrame({"group": ["a", "b"], "value": [0.9, 0.1]}), "value", by="group")
    assert frame.by_group[["ci_low", "ci_high"]].to_numpy().tolist() == [[-np.inf, np.inf]] * 2
    gap = frame.difference()
    assert gap["value"] == pytest.approx(0.8) and gap["ci_low"] == 0 and gap["ci_high"] == np.inf
    assert frame.ratio()["ci_low"] == 0 and frame.worst(min_n=1)["ci_low"] == -np.inf


def test_all_zero_groups_get_the_exact_bound_and_a_gap_that_is_not_exact():
    frame = MetricFrame(pd.DataFrame({"group": list("aaabbb"), "value": [0.0] * 6}), "value", by="group")
    bound = 1 - 0.025 ** (1 / 3)
    assert frame.by_group[["ci_low", "ci_high"]].to_numpy().ravel() == pytest.approx([0, bound] * 2)
    assert frame.difference()["ci_high"] > bound  # two groups at 0/3 cannot show a gap ≤ 0.05
    ones = MetricFrame(pd.DataFrame({"group": list("aaabbb"), "value": [1.0] * 6}), "value", by="group")
    assert ones.by_group[["ci_low", "ci_high"]].to_numpy().ravel() == pytest.approx([1 - bound, 1] * 2)


def test_a_count_all_at_zero_is_not_read_as_a_share_and_a_registered_range_scales_the_exact_bound():
    """Before, a column all at 0 passed for a 0/1 share whatever its metric: no tension in any of 30 situations
    (``tensions``: pairs per situation, 0 to inf) got a share's [0, 0.116]. Now the metric's registered range decides:
    a count keeps the zero-width interval of a constant, a share gets [0, b], a range of [0, 0.5] half of it."""
    data = pd.DataFrame({"situation": range(30), "zero": 0.0})
    rows = disaggregate(data, {"tensions": "zero", "kept_share": "zero", "framing_sensitivity": "zero"}, [],
                        cluster="situation").set_index("metric")
    bound = 1 - 0.025 ** (1 / 30)
    assert rows.loc["tensions", ["ci_low", "ci_high"]].tolist() == [0, 0]
    assert rows.loc["kept_share", ["ci_low", "ci_high"]].tolist() == pytest.approx([0, bound])
    assert rows.loc["framing_sensitivity", ["ci_low", "ci_high"]].tolist() == pytest.approx([0, bound / 2])
    # without a range (a name the registry lacks, MetricFrame called alone) it is read from the values, as before
    alone = MetricFrame(data.assign(_all="all"), "zero", by="_all", cluster="situation").overall
    assert [alone["ci_low"], alone["ci_high"]] == pytest.approx([0, bound])
    # a range never cuts off a value seen: values above a registered top widen it
    above = MetricFrame(data.assign(v=0.6, _all="all"), "v", by="_all", cluster="situation", bounds=(0, 0.5)).overall
    assert above["ci_low"] <= 0.6 <= above["ci_high"]


@pytest.mark.parametrize("n", [2, 3, 4])
def test_groups_of_few_clusters_are_covered(n):
    rng = np.random.default_rng(10)
    hits = [(lambda g: g.ci_low <= 0 <= g.ci_high)(MetricFrame(pd.DataFrame({"group": "a", "value": rng.normal(0, 1, n)}),
                                                               "value", by="group", seed=r).by_group.iloc[0])
            for r in range(_REPLICATES)]
    assert np.mean(hits) >= 0.95 - 3 * _MC_ERROR, f"coverage {np.mean(hits):.1%} at {n} clusters"


@pytest.mark.parametrize("groups, n", [(2, 6), (10, 6)])
def test_gap_of_small_equal_groups_rarely_excludes_zero(groups, n):
    rng = np.random.default_rng(11)
    wrong = [MetricFrame(pd.DataFrame({"group": np.repeat(np.arange(groups), n), "value": rng.normal(0, 1, groups * n)}),
                         "value", by="group", seed=r).difference()["ci_low"] > 0 for r in range(_REPLICATES)]
    assert np.mean(wrong) <= 0.05 + 3 * _MC_ERROR, f"gap ≤ 0 failed {np.mean(wrong):.1%} of equal runs"


def test_fewer_than_100_replicates_are_rejected():
    with pytest.raises(ValueError, match="n_boot"):
        MetricFrame(_data(), "value", by="group", n_boot=10)


def test_worst_group_counts_clusters_when_clustered():
    rng = np.random.default_rng(1)
    rows = [("solo", "p0", float(x)) for x in rng.random(25) < 0.1]  # 25 comparisons, one annotator
    rows += [(g, f"{g}{p}", float(x)) for g in "ab" for p in range(40) for x in rng.random(5) < 0.7]
    frame = MetricFrame(pd.DataFrame(rows, columns=["group", "annotator", "correct"]), "correct", by="group",
                        cluster="annotator")
    worst = frame.worst(min_n=20)
    assert worst["group"] in ("a", "b") and worst["n_groups"] == 2


def test_a_paired_difference_is_clipped_to_its_registered_range_and_never_read_as_a_share():
    """Two units, shifts −1 and 0: the expanded percentile interval of one degree of freedom runs to about [−6, 5]."""
    rows = pd.DataFrame({"shift": [-1.0, 0.0], "unit": ["p0", "p1"], "g": "all"})
    bounded = MetricFrame(rows, "shift", by="g", cluster="unit", paired=True, bounds=(-1, 1)).overall
    unbounded = MetricFrame(rows, "shift", by="g", cluster="unit", paired=True).overall
    assert (bounded["ci_low"], bounded["ci_high"]) == (-1, 1)
    assert unbounded["ci_low"] < -1 and unbounded["ci_high"] > 1
    shares = rows.assign(shift=[0.0, 0.5])  # values in [0, 1]: a paired difference is still not clipped at 0
    assert MetricFrame(shares, "shift", by="g", cluster="unit", paired=True).overall["ci_low"] < 0
