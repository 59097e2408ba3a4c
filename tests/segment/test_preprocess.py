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
    assert out["image_path"].iloc[0] == str(tmp_path / "cache" / "a.png")
    assert read_image(out["image_path"].iloc[0]).shape == (16, 16, 3)


def test_bad_options():
    with pytest.raises(ConfigError, match="colour constancy"):
        Preprocessing(colour_constancy="retinex")
    with pytest.raises(ConfigError):
        Preprocessing.from_dict({"hair": True})
