"""DullRazor hair removal against images with known hair masks."""

from __future__ import annotations

import numpy as np
import pytest

from dermkit.errors import ConfigError
from dermkit.imaging.hair import hair_mask, remove_hair


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


@pytest.mark.parametrize("ita", [55.0, 20.0, -40.0])
def test_recall_and_psnr_gain(skin_image, ita):
    hairy, lesion, truth = skin_image(ita, hair=15, seed=4)
    clean_truth, _, _ = skin_image(ita, seed=4)
    clean, mask = remove_hair(hairy)
    visible = truth & ~lesion  # on dark skin a black hair over a black lesion cannot be seen
    assert (mask & visible).sum() / visible.sum() >= 0.95
    assert (mask & truth).sum() / truth.sum() >= (0.55 if ita < 0 else 0.95)
    assert _psnr(clean, clean_truth) > _psnr(hairy, clean_truth) + 3.0


def test_no_hair_found_on_plain_skin_and_image_unchanged(skin_image):
    rgb, _, _ = skin_image(30.0, lesion_radius=0.0, seed=5)
    clean, mask = remove_hair(rgb)
    assert mask.mean() < 0.001
    assert np.abs(clean.astype(int) - rgb).mean() < 0.1


def test_lesion_body_is_not_hair(skin_image):
    rgb, lesion, _ = skin_image(40.0, lesion_radius=0.25)
    mask = hair_mask(rgb)
    assert (mask & lesion).sum() < 0.05 * lesion.sum()


def test_mask_options_and_errors():
    img = np.full((40, 40, 3), 200, np.uint8)
    img[20, :] = 10
    assert hair_mask(img, dilate=0).sum() == 40
    assert hair_mask(img, dilate=1).sum() == 120
    assert not hair_mask(img, threshold=250).any()
    with pytest.raises(ConfigError, match="kernel_size"):
        hair_mask(img, kernel_size=1)
    with pytest.raises(ConfigError, match="inpainting method 'fast'"):
        remove_hair(img, method="fast")
