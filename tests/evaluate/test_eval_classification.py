"""Classification metrics against hand-computed values, scikit-learn and torchmetrics."""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm

from dermkit.errors import ConfigError, DataError
from dermkit.evaluate import classification as cm


@pytest.fixture
def random_preds():
    rng = np.random.default_rng(42)
    y = rng.integers(0, 4, 300)
    logits = rng.normal(size=(300, 4)) + 1.5 * np.eye(4)[y]
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return y, p


def test_hand_computed_three_class():
    # true: 0 0 0 1 1 2 ; pred: 0 0 1 1 2 2
    y = np.array([0, 0, 0, 1, 1, 2])
    pred = np.array([0, 0, 1, 1, 2, 2])
    assert cm.confusion_matrix(y, pred, 3).tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert cm.sensitivity(y, pred, 3).tolist() == pytest.approx([2 / 3, 1 / 2, 1])
    assert cm.specificity(y, pred, 3).tolist() == pytest.approx([1, 3 / 4, 4 / 5])
    assert cm.f1(y, pred, 3).tolist() == pytest.approx([4 / 5, 2 / 4, 2 / 3])
    assert cm.balanced_accuracy(y, pred, 3) == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    assert cm.accuracy(y, pred) == pytest.approx(4 / 6)


def test_auc_and_ap_hand_computed():
    y = [0, 0, 1, 1]
    s = [0.1, 0.6, 0.4, 0.9]
    assert cm.binary_auc(y, s) == pytest.approx(0.75)  # 3 of 4 pos/neg pairs ordered
    # ranking .9(+) .6(-) .4(+) .1(-): precision 1 at recall .5, 2/3 at recall 1
    assert cm.binary_average_precision(y, s) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)


def test_auc_above_sensitivity_hand_computed():
    # ROC: (0,0) (0,.5) (.5,.5) (.5,1) (1,1); sensitivity >= .8 from fpr .5 -> area .5
    assert cm.auc_above_sensitivity([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9]) == pytest.approx(0.5)
    # chance (the diagonal): integral of x from .8 to 1 = .18
    assert cm.auc_above_sensitivity([0, 1], [0.5, 0.5]) == pytest.approx(0.18)
    assert cm.auc_above_sensitivity([0, 1], [0.1, 0.9]) == pytest.approx(1.0)
    # perfectly wrong: ROC (0,0)->(1,0)->(1,1): sensitivity reaches .8 only at fpr 1
    assert cm.auc_above_sensitivity([0, 1], [0.9, 0.1]) == pytest.approx(0.0)
    assert np.isnan(cm.auc_above_sensitivity([1, 1], [0.2, 0.3]))


def test_auc_above_sensitivity_matches_dense_integral(random_preds):
    y, p = random_preds
    t, s = y == 0, p[:, 0]
    fpr, tpr, _ = skm.roc_curve(t, s, drop_intermediate=False)
    # dense integral of the ROC polyline over the region tpr >= .8
    grid = np.linspace(0, 1, 200001)
    # tpr as a function of fpr: the upper envelope (take the last point for vertical steps)
    dense = np.interp(grid, fpr, tpr, left=0, right=1)
    f_star = np.interp(0.8, tpr, fpr)
    ref = np.trapezoid(np.where(grid >= f_star, dense, 0), grid)
    assert cm.auc_above_sensitivity(t, s) == pytest.approx(ref, abs=2e-4)
    # with a vanishing threshold it is the full AUC
    assert cm.auc_above_sensitivity(t, s, 1e-9) == pytest.approx(skm.roc_auc_score(t, s))


def test_against_sklearn_on_random_predictions(random_preds):
    y, p = random_preds
    pred = p.argmax(1)
    m = cm.classification_metrics(y, p, ["melanoma", "nevus", "bcc", "bkl"])
    assert m["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["auc_macro"] == pytest.approx(skm.roc_auc_score(y, p, multi_class="ovr", average="macro"))
    onehot = np.eye(4)[y]
    assert list(m["average_precision_per_class"].values()) == pytest.approx(skm.average_precision_score(onehot, p, average=None))
    assert list(m["auc_per_class"].values()) == pytest.approx(skm.roc_auc_score(onehot, p, average=None))
    assert list(m["f1_per_class"].values()) == pytest.approx(skm.f1_score(y, pred, average=None))
    assert list(m["sensitivity_per_class"].values()) == pytest.approx(skm.recall_score(y, pred, average=None))
    assert m["f1_macro"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert m["top2_accuracy"] == pytest.approx(skm.top_k_accuracy_score(y, p, k=2))
    assert m["confusion_matrix"] == skm.confusion_matrix(y, pred).tolist()
    spec = [skm.recall_score(y != c, pred != c) for c in range(4)]
    assert list(m["specificity_per_class"].values()) == pytest.approx(spec)
    # malignant = melanoma + bcc
    mal = np.isin(y, [0, 2])
    assert m["malignant"]["auc"] == pytest.approx(skm.roc_auc_score(mal, p[:, 0] + p[:, 2]))
    assert m["malignant"]["n_malignant"] == int(mal.sum())


def test_operating_points_match_torchmetrics(random_preds):
    import torch
    from torchmetrics.functional.classification import binary_sensitivity_at_specificity, binary_specificity_at_sensitivity

    y, p = random_preds
    t, s = (y == 1), p[:, 1]
    for level in (0.8, 0.9, 0.95):
        sens, _ = cm.sensitivity_at_specificity(t, s, level)
        ref, _ = binary_sensitivity_at_specificity(torch.tensor(s), torch.tensor(t.astype(int)), level)
        assert sens == pytest.approx(float(ref), abs=1e-6)
        spec, _ = cm.specificity_at_sensitivity(t, s, level)
        ref, _ = binary_specificity_at_sensitivity(torch.tensor(s), torch.tensor(t.astype(int)), level)
        assert spec == pytest.approx(float(ref), abs=1e-6)


def test_operating_points_hand_computed():
    y = [0, 0, 0, 0, 1, 1]
    s = [0.1, 0.2, 0.3, 0.8, 0.7, 0.9]
    assert cm.sensitivity_at_specificity(y, s, 1.0) == (0.5, 0.9)
    assert cm.sensitivity_at_specificity(y, s, 0.75) == (1.0, 0.7)
    assert cm.specificity_at_sensitivity(y, s, 0.5) == (1.0, 0.9)


def test_class_absent_from_test_set():
    y = np.array([0, 0, 1, 1])
    p = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1], [0.3, 0.6, 0.1]])
    m = cm.classification_metrics(y, p, ["nevus", "melanoma", "bkl"])
    assert np.isnan(m["sensitivity_per_class"]["bkl"]) and np.isnan(m["auc_per_class"]["bkl"])
    assert m["f1_per_class"]["bkl"] == 0.0  # predicted once, never true
    assert m["specificity_per_class"]["bkl"] == pytest.approx(3 / 4)
    assert m["balanced_accuracy"] == pytest.approx((1 / 2 + 1) / 2)  # over the two classes present
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert m["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, p.argmax(1)))
    assert m["auc_macro"] == pytest.approx(np.mean([m["auc_per_class"]["nevus"], m["auc_per_class"]["melanoma"]]))


def test_group_of_size_one():
    m = cm.classification_metrics([1], [[0.3, 0.7]], ["nevus", "melanoma"])
    assert m["accuracy"] == 1.0 and m["balanced_accuracy"] == 1.0
    assert np.isnan(m["auc_macro"]) and np.isnan(m["malignant"]["auc"])


def test_nan_probabilities_raise_naming_the_row():
    with pytest.raises(DataError, match="1 row.*NaN.*row 1"):
        cm.classification_metrics([0, 1], [[0.5, 0.5], [np.nan, 1.0]], ["nevus", "melanoma"])
    with pytest.raises(DataError, match="NaN"):
        cm.binary_auc([0, 1], [0.1, np.nan])


def test_bad_shapes_and_labels():
    with pytest.raises(DataError, match="0..1"):
        cm.classification_metrics([0, 2], [[0.5, 0.5], [0.5, 0.5]], ["nevus", "melanoma"])
    with pytest.raises(DataError, match="3 class names for 2"):
        cm.classification_metrics([0, 1], [[0.5, 0.5], [0.5, 0.5]], ["nevus", "melanoma", "bcc"])
    with pytest.raises(DataError, match="2 rows of probabilities for 3 labels"):
        cm.classification_metrics([0, 1, 1], [[0.5, 0.5], [0.5, 0.5]], ["nevus", "melanoma"])


def test_top_k_and_malignant_scores():
    p = np.array([[0.5, 0.3, 0.2], [0.1, 0.3, 0.6]])
    assert cm.top_k_accuracy([1, 1], p, k=1) == 0.0
    assert cm.top_k_accuracy([1, 1], p, k=2) == 1.0
    two = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])  # sklearn's ValueError: binary labels, 2-d scores
    assert cm.top_k_accuracy([0, 1, 1], two, k=1) == pytest.approx(2 / 3) and cm.top_k_accuracy([0, 1, 1], two, k=2) == 1.0
    assert cm.classification_metrics([0, 1, 1], two, ["nevus", "melanoma"], top_k=(1,))["top1_accuracy"] == pytest.approx(2 / 3)
    assert cm.top_k_accuracy([1, 1], [[0.3, 0.4], [0.1, 0.2]], k=1) == 1.0  # sklearn's binary reading thresholded the column at 0.5: 0.0
    assert cm.malignant_scores(p, ["nevus", "melanoma", "bcc"]).tolist() == pytest.approx([0.5, 0.9])


def test_roc_auc_with_ties_matches_sklearn(random_preds):
    y, p = random_preds
    coarse = np.round(p, 1)  # many tied scores
    assert cm.roc_auc(y, coarse).tolist() == pytest.approx(skm.roc_auc_score(np.eye(4)[y], coarse, average=None).tolist())


@pytest.mark.parametrize(
    "labels, found",
    [([1, 1, 2, 2], "2"), ([-1, -1, 1, 1], "-1"), (["benign", "benign", "malignant", "malignant"], "'benign', 'malignant'"), ([0, 0.4, 1, 1], "0.4")],
)
def test_binary_labels_other_than_0_1_are_refused_naming_them(labels, found):
    s = [0.1, 0.2, 0.8, 0.9]
    with pytest.raises(DataError, match=f"binary labels must be 0/1 or bool; found {found}$"):
        cm.binary_auc(labels, s)
    with pytest.raises(DataError, match=f"found {found}$"):
        cm.malignancy_metrics(labels, s)


def test_binary_labels_as_bool_or_float_0_1_are_accepted():
    s = [0.1, 0.6, 0.4, 0.9]  # 3 of 4 pos/neg pairs ordered
    assert cm.binary_auc([False, False, True, True], s) == 0.75
    assert cm.binary_auc([0.0, 0.0, 1.0, 1.0], s) == 0.75


def test_non_integer_class_labels_give_the_intended_error():
    with pytest.raises(DataError, match="true labels: class indices must be integers in 0..1, got <U1 values such as 'a'"):
        cm.balanced_accuracy(["a", "b"], ["a", "a"], 2)
    with pytest.raises(DataError, match="class indices must be integers in 0..1, got object values such as None"):
        cm.check_labels([0, None], 2)
    with pytest.raises(DataError, match=r"class indices must be integers in 0..1, got values in \[0, 3\]"):
        cm.check_labels([0, 3], 2)


@pytest.mark.parametrize("level", [1.5, 0.0, -0.1])
def test_operating_point_levels_are_range_checked(level):
    y, s = [0, 0, 1, 1], [0.1, 0.9, 0.8, 0.95]
    with pytest.raises(ConfigError, match=rf"min_sensitivity must be in \(0, 1\], got {level}"):
        cm.specificity_at_sensitivity(y, s, level)
    with pytest.raises(ConfigError, match=rf"min_specificity must be in \(0, 1\], got {level}"):
        cm.sensitivity_at_specificity(y, s, level)


def test_class_names_outside_the_taxonomy_skip_the_malignancy_metrics():
    # true 0 1 1, predicted 0 1 0: recalls foo 1, bar 1/2; bar's scores .6 and .3 both above foo's .1
    y, p = [0, 1, 1], [[0.9, 0.1], [0.4, 0.6], [0.7, 0.3]]
    m = cm.classification_metrics(y, p, ["foo", "bar"])
    assert m["balanced_accuracy"] == 0.75 and m["accuracy"] == pytest.approx(2 / 3)
    assert m["auc_per_class"] == {"foo": 1.0, "bar": 1.0}
    assert "malignant" not in m
    assert "malignant" not in cm.classification_metrics(y, p, ["melanoma", "foo"])
    assert cm.classification_metrics(y, p, ["nevus", "melanoma"])["malignant"]["n_malignant"] == 2
    with pytest.raises(DataError, match="unknown diagnosis 'foo'"):  # asked for directly, it cannot be told
        cm.malignant_scores(p, ["foo", "bar"])


def test_one_class_name_string_is_one_name():
    with pytest.raises(DataError, match="1 class names for 2 probability columns"):
        cm.classification_metrics([0, 1], [[0.9, 0.1], [0.1, 0.9]], "ab")
