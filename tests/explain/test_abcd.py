"""ABCD features against shapes and colours whose answers are known, and the generator's parameters."""

import sys
import warnings
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from dermkit.errors import DataError
from dermkit.explain.abcd import (
    DERMOSCOPIC_COLOURS,
    FEATURE_COLUMNS,
    abcd_features,
    add_abcd_features,
    asymmetry,
    border_indices,
    border_score,
    colour_fractions,
    max_diameter,
    tds_score,
)
from dermkit.io import write_image


def disc(size=101, r=30, centre=(50, 50)):
    m = np.zeros((size, size), np.uint8)
    cv2.circle(m, centre, r, 1, -1)
    return m > 0


def test_symmetric_shapes_have_no_asymmetry():
    assert max(asymmetry(disc())) < 0.03
    ellipse = np.zeros((101, 101), np.uint8)
    cv2.ellipse(ellipse, (50, 50), (40, 15), 30, 0, 360, 1, -1)
    assert max(asymmetry(ellipse > 0)) < 0.05


@pytest.mark.parametrize("angle", [0, 20, 33])
def test_shapes_without_principal_axes_are_symmetric_at_any_rotation(angle):
    square = np.zeros((200, 200), np.uint8)
    square[50:150, 50:150] = 1
    cross = np.zeros((200, 200), np.uint8)
    cross[90:110, 40:160] = cross[40:160, 90:110] = 1
    turn = cv2.getRotationMatrix2D((100, 100), angle, 1)
    for shape in (square, cross):
        rotated = cv2.warpAffine(shape, turn, (200, 200), flags=cv2.INTER_NEAREST) > 0
        assert max(asymmetry(rotated)) < 0.03  # a square at 20° scored 0.17 on both axes: eigh picked arbitrary axes


def test_asymmetry_of_an_l_shape_by_hand():
    # An L of two 30x10 bars (area 500) is symmetric about its anti-diagonal (the minor axis);
    # mirrored about the major axis (r, c) -> (c + 8, r - 8) it overlaps itself in two 10x10
    # squares: 1 - 200/500 = 0.6.
    m = np.zeros((60, 60), bool)
    m[10:40, 10:20] = True
    m[30:40, 10:40] = True
    major, minor = asymmetry(m)
    assert minor == pytest.approx(0.0, abs=1e-9)
    assert major == pytest.approx(0.6, abs=1e-9)


def test_border_indices():
    circle = border_indices(disc())
    assert circle["compactness"] == pytest.approx(1.0, abs=0.12)
    assert circle["solidity"] > 0.98
    star = np.zeros((101, 101), np.uint8)
    pts = [(50 + (40 if i % 2 == 0 else 15) * np.cos(np.pi * i / 6), 50 + (40 if i % 2 == 0 else 15) * np.sin(np.pi * i / 6)) for i in range(12)]
    cv2.fillPoly(star, [np.round(pts).astype(np.int32)], 1)
    s = border_indices(star > 0)
    assert s["compactness"] > 1.8 and s["solidity"] < 0.7 and s["convexity"] < 0.8


def test_border_score_sharp_versus_blurred():
    m = disc()
    img = np.full((101, 101, 3), 210, np.uint8)
    img[m] = 60
    assert border_score(img, m) == 8
    blurred = cv2.GaussianBlur(img, (0, 0), 12)
    assert border_score(blurred, m) == 0


@pytest.mark.parametrize("lesion, expected", [((170, 120, 95), 0), ((130, 90, 70), 8), ((60, 40, 30), 8)])
def test_border_score_does_not_depend_on_resolution(lesion, expected):
    big = disc(1025, 400, (512, 512))
    img = np.where(big[..., None], lesion, (200, 160, 140)).astype(np.uint8)  # sharp edges, L* 69 outside
    scores = []
    for n in (48, 64, 96, 128, 256, 513, 1025):
        scores.append(border_score(cv2.resize(img, (n, n), interpolation=cv2.INTER_AREA), cv2.resize(big.astype(np.uint8), (n, n), interpolation=cv2.INTER_NEAREST) > 0))
    assert scores == [expected] * 7  # (130, 90, 70) scored 0 at 48 px and 8 from 96 px: a 1-px smoothing made the same edge steeper per diameter at higher resolution


def test_colour_count():
    img = np.zeros((40, 40, 3), np.uint8)
    img[:, :20] = DERMOSCOPIC_COLOURS["dark_brown"]
    img[:, 20:38] = DERMOSCOPIC_COLOURS["blue_gray"]
    img[:, 38:] = DERMOSCOPIC_COLOURS["red"]  # 5% of the lesion: counts
    mask = np.ones((40, 40), bool)
    fr = colour_fractions(img, mask)
    assert fr["dark_brown"] == 0.5 and fr["blue_gray"] == 0.45 and fr["red"] == 0.05
    f = abcd_features(img, mask)
    assert f["c_score"] == 3
    assert abcd_features(img, mask, min_colour_fraction=0.06)["c_score"] == 2


def test_diameter_and_tds():
    m = np.zeros((50, 50), bool)
    m[10:20, 5:45] = True
    assert 40.0 <= max_diameter(m) <= np.hypot(40, 10)
    f = abcd_features(np.zeros((50, 50, 3), np.uint8), m, mm_per_px=0.05, structures=4)
    assert f["diameter_mm"] == pytest.approx(f["diameter_px"] * 0.05)
    assert f["tds"] == tds_score(f["a_score"], f["b_score"], f["c_score"], 4)
    assert tds_score(2, 8, 6, 5) == pytest.approx(8.9)
    assert np.isnan(abcd_features(np.zeros((50, 50, 3), np.uint8), m)["diameter_mm"])


def test_bad_masks():
    img = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(DataError, match="empty"):
        abcd_features(img, np.zeros((10, 10), bool))
    with pytest.raises(DataError, match="8x8 but its image is 10x10"):
        abcd_features(img, np.ones((8, 8), bool))
    with pytest.raises(DataError, match="bool mask"):
        abcd_features(img, np.full((10, 10), 0.5))


def test_images_of_other_types_give_the_features_of_their_rgb_uint8_form():
    img = np.full((64, 64, 3), (200, 150, 130), np.uint8)
    m = disc(64, 18, (32, 32))
    img[m] = DERMOSCOPIC_COLOURS["dark_brown"]
    expected = abcd_features(img, m)
    assert expected["b_score"] == 8 and expected["colour_dark_brown"] == 1.0
    for form, given in {
        "float in [0, 1]": img.astype(np.float32) / 255,  # was read as uint8 0/1: all black, b_score 0
        "16-bit": img.astype(np.uint16) * 257,  # wrapped around
        "RGBA": np.dstack([img, np.full((64, 64), 255, np.uint8)]),  # a bare scikit-image ValueError
    }.items():
        assert pd.Series(abcd_features(given, m)).equals(pd.Series(expected)), form  # diameter_mm NaN in both
    grey = abcd_features(img[:, :, 1], m)  # grey images are read as grey RGB (a bare ValueError before)
    assert grey["b_score"] == expected["b_score"] and grey["colour_dark_brown"] < 1.0


@pytest.mark.parametrize("scale", [0, -1, float("nan"), float("inf"), "0.1"])
def test_a_pixel_size_must_be_a_positive_number(scale):
    from dermkit.errors import ConfigError

    with pytest.raises(ConfigError, match="mm_per_px must be a positive number of millimetres"):
        abcd_features(np.zeros((10, 10, 3), np.uint8), disc(10, 3, (5, 5)), mm_per_px=scale)  # -1 gave a diameter of -7 mm


def test_a_misspelt_option_is_named_before_any_image_is_read():
    from dermkit.errors import ConfigError

    cases = pd.DataFrame({"case_id": ["a"], "image_path": ["/nowhere/a.png"], "mask_path": ["/nowhere/a_mask.png"]})
    with pytest.raises(ConfigError, match="unknown ABCD option.* asymetry_threshold; known: asymmetry_threshold, abrupt_gradient"):
        add_abcd_features(cases, asymetry_threshold=0.2, progress=False)  # was a TypeError after the first image


def test_case_table_columns_and_empty_masks(tmp_path):
    img = np.full((40, 40, 3), 200, np.uint8)
    img[10:30, 10:30] = DERMOSCOPIC_COLOURS["black"]
    write_image(tmp_path / "i.png", img)
    write_image(tmp_path / "m.png", np.pad(np.ones((20, 20), bool), 10))
    write_image(tmp_path / "e.png", np.zeros((40, 40), bool))
    cases = pd.DataFrame({
        "case_id": ["a", "b", "c"],
        "image_path": [str(tmp_path / "i.png")] * 3,
        "mask_path": [str(tmp_path / "m.png"), str(tmp_path / "e.png"), None],
        "mm_per_px": [0.1, 0.1, 0.1],
    })
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = add_abcd_features(cases, progress=False)
    assert "2 case(s) have no or an empty mask" in str(caught[0].message)
    assert set(FEATURE_COLUMNS) <= set(out.columns) and len(out) == 3
    assert out.loc[0, "colour_black"] == 1.0 and out.loc[0, "diameter_mm"] == pytest.approx(out.loc[0, "diameter_px"] * 0.1)
    assert out.loc[1:, list(FEATURE_COLUMNS)].isna().all().all()


def test_features_track_the_generators_parameters():
    """Each generator parameter swept with the others fixed (16 lesions): Spearman >= 0.7 (the benchmark's sweep)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import abcd_tracking

    result = abcd_tracking.sweep(levels=16, size=96)
    assert result["asymmetry"]["spearman"] >= 0.7
    assert result["border_irregularity"]["spearman"] >= 0.7


def test_image_and_mask_files_give_the_features_of_their_arrays(tmp_path):
    from pathlib import Path

    from dermkit.io import write_image

    img = np.full((64, 64, 3), (200, 150, 130), np.uint8)
    m = disc(64, 18, (32, 32))
    img[m] = DERMOSCOPIC_COLOURS["dark_brown"]
    write_image(tmp_path / "img.png", img)
    write_image(tmp_path / "mask.png", m)
    expected = pd.Series(abcd_features(img, m))
    assert pd.Series(abcd_features(str(tmp_path / "img.png"), tmp_path / "mask.png")).equals(expected)  # "unsupported image dtype <U..."
    assert pd.Series(abcd_features(Path(tmp_path / "img.png"), m)).equals(expected)
    with pytest.raises(DataError, match="mask file not found"):
        abcd_features(img, tmp_path / "nowhere.png")
