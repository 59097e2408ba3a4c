"""Segmentation metrics against hand-computed values."""

import numpy as np
import pytest

from dermkit.errors import ConfigError, DataError
from dermkit.evaluate.segmentation import dice, hd95, jaccard, mean_ci, per_image, score_masks, thresholded_jaccard


def box(shape, r0, r1, c0, c1):
    m = np.zeros(shape, bool)
    m[r0:r1, c0:c1] = True
    return m


def test_jaccard_dice_hand_computed():
    a = box((10, 10), 0, 4, 0, 4)  # 16 px
    b = box((10, 10), 2, 6, 2, 6)  # 16 px, overlap 2x2 = 4
    assert jaccard(a, b) == pytest.approx(4 / 28)
    assert dice(a, b) == pytest.approx(8 / 32)
    assert jaccard(a, a) == 1.0 and dice(a, a) == 1.0
    assert jaccard(a, ~a) == 0.0 and dice(a, ~a) == 0.0


def test_dice_jaccard_relation_random():
    rng = np.random.default_rng(0)
    for _ in range(5):
        p, t = rng.random((32, 32)) > 0.5, rng.random((32, 32)) > 0.6
        j = jaccard(p, t)
        assert dice(p, t) == pytest.approx(2 * j / (1 + j))


def test_empty_masks_defined():
    e = np.zeros((5, 5), bool)
    f = box((5, 5), 1, 3, 1, 3)
    assert jaccard(e, e) == 1.0 and dice(e, e) == 1.0 and hd95(e, e) == 0.0
    assert jaccard(e, f) == 0.0 and dice(f, e) == 0.0
    assert hd95(e, f) == float("inf") and hd95(f, e) == float("inf")


def test_uint8_masks_accepted_and_probabilities_refused():
    a = box((4, 4), 0, 2, 0, 4)
    assert jaccard(a.astype(np.uint8) * 255, a) == 1.0
    with pytest.raises(DataError, match="threshold"):
        jaccard(a.astype(float) * 0.7, a)


def test_wrong_size_names_both_shapes():
    with pytest.raises(DataError, match=r"\(4, 5\).*\(5, 4\)"):
        dice(np.zeros((4, 5), bool), np.zeros((5, 4), bool))
    with pytest.raises(DataError, match="mask pair 1"):
        per_image(jaccard, [np.zeros((3, 3), bool)] * 2, [np.zeros((3, 3), bool), np.zeros((4, 4), bool)])
    with pytest.raises(DataError, match="2 predicted masks but 1"):
        thresholded_jaccard([np.zeros((3, 3), bool)] * 2, [np.zeros((3, 3), bool)])


def test_thresholded_jaccard_isic2018():
    t = box((10, 10), 0, 10, 0, 10)  # 100 px
    p_07 = box((10, 10), 0, 7, 0, 10)  # J = 0.70 -> kept
    p_06 = box((10, 10), 0, 6, 0, 10)  # J = 0.60 -> 0
    p_065 = box((10, 10), 0, 10, 0, 10) & ~box((10, 10), 0, 5, 0, 7)  # 65 px, J = 0.65 -> kept (not below)
    assert jaccard(p_065, t) == pytest.approx(0.65)
    score = thresholded_jaccard([p_07, p_06, p_065, t], [t, t, t, t])
    assert score == pytest.approx((0.70 + 0.0 + 0.65 + 1.0) / 4)
    assert thresholded_jaccard(np.stack([p_07, p_06]), np.stack([t, t])) == pytest.approx(0.35)
    assert thresholded_jaccard(p_06, t) == 0.0  # a single pair is a set of one


def test_hd95_hand_computed():
    a = np.zeros((9, 9), bool)
    b = np.zeros((9, 9), bool)
    a[1, 1] = True
    b[4, 5] = True  # 3 rows, 4 columns away
    assert hd95(a, b) == pytest.approx(5.0)
    assert hd95(a, b, spacing=(2.0, 0.5)) == pytest.approx(np.hypot(6.0, 2.0))
    # two 3x3 squares two columns apart: boundary distances a->b are 0,0,0,1,1,2,2,2 -> p95 = 2
    assert hd95(box((7, 7), 1, 4, 1, 4), box((7, 7), 1, 4, 3, 6)) == pytest.approx(2.0)


@pytest.mark.parametrize("spacing", [-1.0, 0.0, float("nan"), (1.0, 1.0, 1.0)])
def test_hd95_refuses_a_bad_spacing_even_for_empty_masks(spacing):
    from dermkit.errors import ConfigError

    empty = np.zeros((4, 4), bool)
    with pytest.raises(ConfigError, match="hd95: spacing must be"):
        hd95(empty, empty, spacing=spacing)  # -1 returned 0.0, NaN gave NaN, three numbers a bare broadcast error
    with pytest.raises(ConfigError, match="hd95: spacing must be"):
        hd95(box((4, 4), 0, 2, 0, 2), box((4, 4), 1, 3, 1, 3), spacing=spacing)


def test_hd95_ignores_an_outlier_under_5_percent():
    t = box((64, 64), 2, 22, 2, 22)  # boundary: 76 pixels
    p = t.copy()
    p[60, 60] = True  # one stray pixel far away: 1 of 77 boundary pixels
    from scipy.spatial.distance import directed_hausdorff

    full = directed_hausdorff(np.argwhere(p), np.argwhere(t))[0]
    assert full > 50
    assert hd95(p, t) == 0.0


def test_score_masks_table():
    t = box((10, 10), 0, 10, 0, 10)
    table = score_masks([t, box((10, 10), 0, 6, 0, 10)], [t, t], case_ids=["a", "b"])
    assert list(table.columns) == ["jaccard", "thresholded_jaccard", "dice", "hd95", "area_ratio"]
    assert table["area_ratio"].tolist() == pytest.approx([1.0, 0.6])  # 60 of 100 pixels drawn
    empty = np.zeros((10, 10), bool)
    assert np.isnan(score_masks([t], [empty])["area_ratio"].iloc[0]) and score_masks([empty], [t])["area_ratio"].iloc[0] == 0.0
    assert table.loc["b", "jaccard"] == pytest.approx(0.6)
    assert table.loc["b", "thresholded_jaccard"] == 0.0
    assert table.loc["b", "dice"] == pytest.approx(0.75)
    assert table.loc["b", "hd95"] == pytest.approx(4.0)
    assert table["thresholded_jaccard"].mean() == pytest.approx(0.5)
    quick = score_masks([t, box((10, 10), 0, 6, 0, 10)], [t, t], case_ids=["a", "b"], with_hd95=False)
    assert quick["hd95"].isna().all() and quick.drop(columns="hd95").equals(table.drop(columns="hd95"))


def test_mean_ci_matches_the_normal_approximation():
    # 0/1 scores, p = 0.3, n = 500: standard error sqrt(0.21 / 500) = 0.0205, so about 0.3 +- 0.040
    scores = np.array([1.0] * 150 + [0.0] * 350)
    lo, hi = mean_ci(scores, n_resamples=4000)
    assert lo == pytest.approx(0.3 - 1.96 * 0.0205, abs=0.006) and hi == pytest.approx(0.3 + 1.96 * 0.0205, abs=0.006)
    assert mean_ci(scores, seed=3) == mean_ci(scores, seed=3) != mean_ci(scores, seed=4)
    narrow = mean_ci(scores, confidence=0.5)
    assert lo < narrow[0] < 0.3 < narrow[1] < hi
    with pytest.raises(ConfigError, match="n_resamples must be a whole number >= 1, got 100.5"):
        mean_ci(scores, n_resamples=100.5)  # a bare scipy error


def test_mean_ci_of_paired_differences():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.4, 1.0, 200)
    better = base + 0.02 + rng.normal(0, 0.01, 200)   # better on almost every image, by 0.02
    lo, hi = mean_ci(better - base)
    assert 0.0 < lo < 0.02 < hi < 0.025
    # the unpaired intervals of the two means overlap: only the paired one shows the gain
    assert mean_ci(better)[0] < mean_ci(base)[1]


def test_mean_ci_degenerate_and_bad_input():
    assert np.isnan(mean_ci([0.7])).all() and np.isnan(mean_ci([])).all()
    assert mean_ci([0.8, 0.8, 0.8]) == (0.8, 0.8)
    with pytest.raises(DataError, match="finite"):
        mean_ci([0.5, float("nan")])
    with pytest.raises(ConfigError, match="confidence"):
        mean_ci([0.1, 0.2], confidence=95)


def test_score_masks_takes_one_case_id_as_a_string():
    m = np.ones((2, 2), bool)
    assert score_masks([m], [m], case_ids="lesion_1", with_hd95=False).index.tolist() == ["lesion_1"]
