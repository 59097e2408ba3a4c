"""Lesion-vs-skin colour contrast against hand-computed CIELAB distances."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000

from dermkit.errors import DataError
from dermkit.imaging._lab import lab_to_rgb, rgb_to_lab
from dermkit.imaging.contrast import colour_contrast, surrounding_skin
from dermkit.imaging.ita import ita_from_lab


def _two_colour(skin=(70.0, 10.0, 16.0), lesion=(45.0, 18.0, 20.0), size=96):
    lab = np.empty((size, size, 3), np.float32)
    lab[:] = skin
    m = np.zeros((size, size), bool)
    m[32:64, 30:60] = True
    lab[m] = lesion
    rgb = lab_to_rgb(lab)
    return rgb, m


def test_delta_e_matches_hand_computed():
    rgb, m = _two_colour()
    lab = rgb_to_lab(rgb).astype(np.float64)  # the 8-bit colours actually rendered
    skin, les = lab[0, 0], lab[40, 40]
    c = colour_contrast(rgb, m)
    assert c.delta_e == pytest.approx(np.linalg.norm(skin - les), abs=1e-3)
    assert c.delta_e == pytest.approx(np.sqrt(25**2 + 8**2 + 4**2), abs=0.6)  # the designed colours
    assert c.delta_e2000 == pytest.approx(float(deltaE_ciede2000(skin, les)), abs=1e-3)
    assert c.delta_L == pytest.approx(skin[0] - les[0], abs=1e-3)
    assert c.weber == pytest.approx((skin[0] - les[0]) / skin[0], abs=1e-4)
    assert c.delta_ita == pytest.approx(ita_from_lab(skin[0], skin[2]) - ita_from_lab(les[0], les[2]), abs=1e-3)
    assert c.n_lesion == m.sum()


def test_low_contrast_lesion_scores_lower():
    high = colour_contrast(*_two_colour(lesion=(40.0, 20.0, 22.0))).delta_e
    low = colour_contrast(*_two_colour(lesion=(64.0, 12.0, 17.0))).delta_e
    assert low < 8 < 25 < high


def test_ring_is_near_the_lesion_and_skips_hair(skin_image):
    rgb, lesion, hair = skin_image(20.0, hair=8)
    ring = surrounding_skin(rgb, lesion)
    assert not (ring & lesion).any() and (ring & hair).sum() < 0.02 * hair.sum()
    assert not ring[0, 0] and ring.any()


def test_errors():
    rgb, m = _two_colour()
    with pytest.raises(DataError, match="empty"):
        colour_contrast(rgb, np.zeros_like(m))
    with pytest.raises(DataError, match="no healthy-skin"):
        colour_contrast(rgb, np.ones_like(m))
    with pytest.raises(DataError, match="10x10 but the image is 96x96"):
        colour_contrast(rgb, np.ones((10, 10), bool))
