from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dermkit.errors import ConfigError
from dermkit.io import read_image, write_image
from dermkit.segment.preprocess import Preprocessing, clahe, preprocess_cases, preprocess_image


def test_clahe_stretches_low_contrast_luminance():
    rng = np.random.default_rng(0)
    img = np.clip(120 + rng.normal(0, 4, (64, 64, 3)), 0, 255).astype(np.uint8)
    out = clahe(img)
    assert out.shape == img.shape and out.dtype == np.uint8
    assert out.astype(float).std() > 2 * img.astype(float).std()


def test_nothing_switched_on_is_identity(tmp_path):
    img = np.random.default_rng(1).integers(0, 255, (8, 8, 3), dtype=np.uint8)
    assert np.array_equal(preprocess_image(img, Preprocessing()), img)
    cases = pd.DataFrame({"case_id": ["a"], "image_path": ["x.png"]})
    assert preprocess_cases(cases, Preprocessing(), tmp_path) is cases


def test_colour_constancy_neutralises_a_cast():
    img = np.zeros((16, 16, 3), np.uint8)
    img[:] = (200, 150, 100)  # orange cast
    out = preprocess_image(img, Preprocessing(colour_constancy="gray_world"))
    assert np.ptp(out.reshape(-1, 3).mean(axis=0)) < 5


def test_hair_removal_removes_a_dark_line():
    img = np.full((64, 64, 3), 200, np.uint8)
    img[30:32, :] = 20
    out = preprocess_image(img, Preprocessing(hair_removal=True))
    assert out[30, 10].min() > 150


def test_preprocess_cases_writes_copies(tmp_path):
    write_image(tmp_path / "a.png", np.full((16, 16, 3), 120, np.uint8))
    cases = pd.DataFrame({"case_id": ["a"], "image_path": [str(tmp_path / "a.png")]})
    out = preprocess_cases(cases, Preprocessing(clahe=True), tmp_path / "cache", progress=False)
    first = Path(out["image_path"].iloc[0])
    assert first.parent == tmp_path / "cache" and first.name.startswith("a-") and read_image(first).shape == (16, 16, 3)
    assert preprocess_cases(cases, Preprocessing(clahe=True), tmp_path / "cache", progress=False)["image_path"].iloc[0] == str(first)  # reused
    write_image(tmp_path / "a.png", np.full((16, 16, 3), 30, np.uint8))  # the source rewritten at the same path
    again = preprocess_cases(cases, Preprocessing(clahe=True), tmp_path / "cache", progress=False)["image_path"].iloc[0]
    assert again != str(first) and read_image(again).max() < read_image(first).min()  # was the old copy: the old image trained on


def test_bad_options():
    with pytest.raises(ConfigError, match="colour constancy"):
        Preprocessing(colour_constancy="retinex")
    with pytest.raises(ConfigError):
        Preprocessing.from_dict({"hair": True})


@pytest.mark.parametrize("clip, tiles", [(2.0, 0), (-1.0, 8), (float("nan"), 8), (2.0, 2.5)])
def test_clahe_settings_are_checked_before_opencv_sees_them(clip, tiles):
    img = np.full((16, 16, 3), 120, np.uint8)
    with pytest.raises(ConfigError, match="CLAHE needs a clip limit > 0 and a whole number of tiles >= 1"):
        clahe(img, clip=clip, tiles=tiles)  # tiles=0 killed the Python process (a floating-point exception in OpenCV)
    with pytest.raises(ConfigError, match="CLAHE needs"):
        Preprocessing(clahe=True, clahe_clip=clip, clahe_tiles=tiles)


def test_float_grey_and_16_bit_images_are_preprocessed_as_their_rgb_uint8_form():
    rng = np.random.default_rng(2)
    img = np.clip(120 + rng.normal(0, 12, (32, 32, 3)), 0, 255).astype(np.uint8)
    for settings in (Preprocessing(), Preprocessing(clahe=True), Preprocessing(colour_constancy="gray_world")):
        expected = preprocess_image(img, settings)
        assert np.array_equal(preprocess_image(img / 255.0, settings), expected)  # no steps: was all black
        assert np.array_equal(preprocess_image(img.astype(np.uint16) * 257, settings), expected)
    grey = preprocess_image(img[:, :, 0], Preprocessing())
    assert grey.shape == (32, 32, 3) and np.array_equal(grey[:, :, 2], img[:, :, 0])  # was returned as (H, W)
    assert np.array_equal(clahe(img[:, :, 0]), clahe(np.repeat(img[:, :, :1], 3, axis=2)))  # was a bare cv2.error
