"""Group metrics, bootstrap intervals and fairness summaries against hand-computed values."""

import warnings

import numpy as np
import pandas as pd
import pytest

from dermkit.errors import ConfigError, DataError
from dermkit.evaluate.groups import MISSING, SmallGroupWarning, age_bins, fairness_summary, group_columns, group_metrics


def onehot(pred, c=3):
    return np.eye(c)[pred] * 0.7 + 0.1


@pytest.fixture
def three_groups():
    # group a: 4 cases, 4 right; b: 4 cases, 2 right; c: 2 cases, 1 right
    y = np.array([0, 1, 2, 0, 0, 1, 2, 1, 0, 1])
    pred = np.array([0, 1, 2, 0, 0, 0, 2, 2, 0, 0])
    groups = ["a"] * 4 + ["b"] * 4 + ["c"] * 2
    return y, pred, groups


def test_group_metrics_hand_computed(three_groups):
    y, pred, groups = three_groups
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)
        t = group_metrics(y, onehot(pred), groups, ["accuracy", "balanced_accuracy"], n_boot=0)
    assert t.index.tolist() == ["a", "b", "c"]
    assert t["n"].tolist() == [4, 4, 2]
    assert t["accuracy"].tolist() == pytest.approx([1.0, 0.5, 0.5])
    # b: class 0 recall 1/1, class 1 recall 0/2, class 2 recall 1/1 -> 2/3
    assert t.loc["b", "balanced_accuracy"] == pytest.approx(2 / 3)
    assert t["accuracy_lo"].isna().all()


def test_fairness_hand_computed(three_groups):
    y, pred, groups = three_groups
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)
        t = group_metrics(y, onehot(pred), groups, ["accuracy"], n_boot=0)
    s = fairness_summary(t, y, pred, groups, 3)
    assert s["n_groups"] == 3
    assert s["worst_group_accuracy"] == 0.5 and s["worst_group"] == "b" and s["best_group_accuracy"] == 1.0
    assert s["nar"] == pytest.approx((1.0 - 0.5) / ((1.0 + 0.5 + 0.5) / 3))
    assert s["accuracy_gap"] == 0.5 and s["accuracy_ratio"] == 0.5
    # TPR class 1: a 1/1, b 0/2, c 0/1 -> gap 1 (class 0: all 1; class 2: a, b both 1)
    assert s["eod"] == 1.0 and s["eod_class"] == 1
    assert s["small_groups"] == ["a", "b", "c"]


def test_bootstrap_ci_is_seeded_and_matches_manual_resampling(three_groups):
    y, pred, groups = three_groups
    kw = dict(metrics=["accuracy"], n_boot=500, min_group_size=1)
    t1 = group_metrics(y, onehot(pred), groups, seed=3, **kw)
    t2 = group_metrics(y, onehot(pred), groups, seed=3, **kw)
    pd.testing.assert_frame_equal(t1, t2)
    # group b: per-case correctness [1, 0, 1, 0]; resample exactly as documented
    rng = np.random.default_rng([3, 1])
    idx = rng.integers(0, 4, size=(500, 4))
    accs = np.array([1, 0, 1, 0])[idx].mean(axis=1)
    assert (t1.loc["b", "accuracy_lo"], t1.loc["b", "accuracy_hi"]) == pytest.approx(tuple(np.quantile(accs, [0.025, 0.975])))
    assert t1.loc["a", "accuracy_lo"] == t1.loc["a", "accuracy_hi"] == 1.0  # always right


def test_ci_covers_the_truth_on_a_large_group():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    correct = rng.random(2000) < 0.8
    pred = np.where(correct, y, 1 - y)
    t = group_metrics(y, np.eye(2)[pred], ["g"] * 2000, ["accuracy"], n_boot=300)
    assert t.loc["g", "accuracy_lo"] < 0.8 < t.loc["g", "accuracy_hi"]
    assert t.loc["g", "accuracy_hi"] - t.loc["g", "accuracy_lo"] < 0.05
    other = group_metrics(y, np.eye(2)[pred], ["g"] * 2000, ["accuracy"], n_boot=300, seed=1)
    assert other.loc["g", "accuracy_lo"] != t.loc["g", "accuracy_lo"]  # the seed matters


def test_small_group_warning_and_group_of_one():
    y = np.array([0, 1, 0, 1, 1])
    p = np.eye(2)[[0, 1, 1, 1, 1]] * 0.8 + 0.1
    with pytest.warns(SmallGroupWarning, match="only: 1"):
        t = group_metrics(y, p, ["big"] * 4 + ["only"], n_boot=50, min_group_size=2)
    assert t.loc["only", "small"] and not t.loc["big", "small"]
    assert t.loc["only", "accuracy"] == 1.0 and np.isnan(t.loc["only", "auc_macro"])
    assert np.isnan(t.loc["only", "auc_macro_lo"])


def test_missing_group_values_are_shown_but_not_in_fairness():
    y = np.array([0, 1, 0, 1, 0, 1])
    pred = np.array([0, 1, 0, 0, 1, 0])
    groups = pd.Series(["a", "a", "b", "b", None, None], dtype="string")
    t = group_metrics(y, np.eye(2)[pred], groups, ["accuracy"], n_boot=0, min_group_size=1)
    assert t.index.tolist() == ["a", "b", MISSING]
    s = fairness_summary(t, y, pred, groups, 2)
    assert s["n_groups"] == 2 and s["worst_group_accuracy"] == 0.5  # the missing group (0.0) is not counted


def test_custom_metric_and_bad_input():
    y = np.array([0, 1])
    p = np.eye(2)
    t = group_metrics(y, p, ["a", "b"], {"n_true_1": lambda t, p, yp: float((t == 1).sum())}, n_boot=0, min_group_size=1)
    assert t["n_true_1"].tolist() == [0.0, 1.0]
    with pytest.raises(ConfigError, match="unknown group metric"):
        group_metrics(y, p, ["a", "b"], ["nope"])
    with pytest.raises(DataError, match="3 group values for 2"):
        group_metrics(y, p, ["a", "b", "c"])


def test_group_columns():
    cases = pd.DataFrame(
        {
            "skin_tone": pd.Series(["dark", None], dtype="string"),
            "fitzpatrick": pd.Series([5, None], dtype="Int64"),
            "age": [33.0, 81.0],
            "artifacts": ["hair;ruler", None],
        }
    )
    assert group_columns(cases, "fitzpatrick")["fitzpatrick"].tolist() == ["5", pd.NA]
    assert group_columns(cases, "age_bin")["age_bin"].tolist() == ["30-44", "75+"]
    arts = group_columns(cases, "artifact")
    assert sorted(arts) == ["artifact_hair", "artifact_ruler"] and arts["artifact_hair"].tolist() == ["yes", "no"]
    assert group_columns(cases, "artifact_ink")["artifact_ink"].tolist() == ["no", "no"]
    with pytest.raises(DataError, match="cannot group by 'sitee'.*skin_tone"):
        group_columns(cases, "sitee")


def test_age_bins_edges():
    assert age_bins(pd.Series([29.9, 30, 59, 60, 75])).tolist() == ["<30", "30-44", "45-59", "60-74", "75+"]
    for edges in ((60, 30), (30, 30), ()):  # unsorted edges were a bare pandas ValueError
        with pytest.raises(ConfigError, match="age bin edges must be increasing numbers"):
            age_bins(pd.Series([40]), edges)


def test_predicted_labels_of_another_length_are_refused(three_groups):
    y, pred, groups = three_groups
    with pytest.raises(DataError, match="2 predicted labels for 10 true labels"):
        group_metrics(y, onehot(pred), groups, y_pred=pred[:2], n_boot=0, min_group_size=1)
    with pytest.raises(DataError, match="12 predicted labels for 10 true labels"):
        group_metrics(y, onehot(pred), groups, y_pred=[*pred, 0, 0], n_boot=0, min_group_size=1)
    t = group_metrics(y, onehot(pred), groups, ["accuracy"], n_boot=0, min_group_size=1)
    with pytest.raises(DataError, match="12 predicted labels for 10 true labels"):
        fairness_summary(t, y, [*pred, 0, 0], groups, 3)


def test_one_metric_name_string_is_one_metric(three_groups):
    y, pred, groups = three_groups
    t = group_metrics(y, onehot(pred), groups, "accuracy", n_boot=0, min_group_size=1)
    assert t.columns.tolist() == ["n", "small", "accuracy", "accuracy_lo", "accuracy_hi"]
    assert t["accuracy"].tolist() == [1.0, 0.5, 0.5]


def test_number_groups_sort_by_number():
    y = np.array([0, 1, 0, 1, 0, 1])
    t = group_metrics(y, np.eye(2)[y], pd.array([10, 2, 2, 10, 1, None], dtype="Int64"), ["accuracy"], n_boot=0, min_group_size=1)
    assert t.index.tolist() == ["1", "2", "10", MISSING]
    assert t["n"].tolist() == [1, 2, 2, 1]
    assert group_metrics(y, np.eye(2)[y], ["b", "10", "2", "a", "b", "a"], n_boot=0, min_group_size=1).index.tolist() == ["10", "2", "a", "b"]


@pytest.mark.parametrize("n_boot", [2.5, -1])
def test_n_boot_must_be_a_whole_number(n_boot):
    with pytest.raises(ConfigError, match=f"n_boot must be a whole number >= 0, got {n_boot}"):
        group_metrics([0, 1], np.eye(2), ["a", "b"], n_boot=n_boot)
