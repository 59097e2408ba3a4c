"""measure_ita against images of known skin colour (built in Lab in conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

from dermkit.errors import ConfigError, DataError
from dermkit.imaging._lab import rgb_to_lab
from dermkit.imaging.ita import ita_from_lab
from dermkit.imaging.skin_tone import AGGREGATIONS, ToneEstimate, estimate_lesion_mask, measure_ita, skin_mask

TONES = [65.0, 48.0, 35.0, 20.0, 0.0, -20.0, -45.0, -60.0]


def _true_ita(clean: np.ndarray, lesion: np.ndarray) -> float:
    """ITA of the median colour of the rendered (8-bit) skin without artifacts: the answer to hit."""
    lab = rgb_to_lab(clean)
    return float(ita_from_lab(np.median(lab[:, :, 0][~lesion]), np.median(lab[:, :, 2][~lesion])))


@pytest.mark.parametrize("ita", TONES)
@pytest.mark.parametrize("method", list(AGGREGATIONS))
def test_ita_within_1_degree_with_hair_corners_glare(skin_image, ita, method):
    seed = int(ita) % 7
    rgb, lesion, hair = skin_image(ita, hair=12, corners=True, glare=True, seed=seed)
    clean, _, _ = skin_image(ita, seed=seed)  # same skin noise, no artifacts
    est = measure_ita(rgb, method=method)
    assert isinstance(est, ToneEstimate) and est.reliable and est.method == method
    assert est.ita == pytest.approx(_true_ita(clean, lesion), abs=1.0)
    assert est.ita == pytest.approx(ita, abs=1.5)  # 8-bit rounding of the known colour


def test_lesion_excluded_else_ita_would_be_biased(skin_image):
    rgb, lesion, hair = skin_image(30.0, lesion_radius=0.35, lesion_dL=-30.0)
    lab = rgb_to_lab(rgb)
    naive = float(np.mean(ita_from_lab(lab[:, :, 0], lab[:, :, 2])))
    assert naive < 20.0  # the lesion would drag a plain mean of all pixels down
    assert measure_ita(rgb).ita == pytest.approx(30.0, abs=1.0)
    assert measure_ita(rgb, lesion).ita == pytest.approx(30.0, abs=1.0)


def test_skin_mask_drops_lesion_hair_and_corners(skin_image):
    rgb, lesion, hair = skin_image(20.0, hair=10, corners=True)
    skin = skin_mask(rgb, lesion)
    assert not (skin & lesion).any()
    assert (skin & hair).sum() < 0.02 * hair.sum()
    assert not skin[0, 0] and not skin[-1, -1]  # dark corners
    assert skin.mean() > 0.25


def test_estimated_lesion_matches_truth(skin_image):
    rgb, lesion, _ = skin_image(40.0)
    est = estimate_lesion_mask(rgb_to_lab(rgb))
    iou = (est & lesion).sum() / (est | lesion).sum()
    assert iou > 0.8


def test_no_lesion_on_plain_skin(skin_image):
    rgb, _, _ = skin_image(10.0, lesion_radius=0.0)
    assert not estimate_lesion_mask(rgb_to_lab(rgb)).any()


def test_fitzpatrick_and_category_follow_ita(skin_image):
    est = measure_ita(skin_image(-45.0)[0])
    assert (est.category, est.fitzpatrick) == ("dark", 6)
    est = measure_ita(skin_image(48.0)[0])
    assert (est.category, est.fitzpatrick) == ("light", 2)


def test_all_lesion_image_is_unreliable_nan(skin_image):
    rgb, _, _ = skin_image(20.0)
    est = measure_ita(rgb, np.ones(rgb.shape[:2], bool))
    assert np.isnan(est.ita) and est.category is None and not est.reliable and est.n_skin_pixels == 0


def test_mostly_lesion_image_is_flagged_unreliable(skin_image):
    rgb, _, _ = skin_image(20.0)
    mask = np.ones(rgb.shape[:2], bool)
    mask[:12, :12] = False
    est = measure_ita(rgb, mask, lesion_margin=0.0, border=0.0)
    assert not est.reliable and 0 < est.skin_fraction < 0.05
    assert est.ita == pytest.approx(20.0, abs=2.0)


def test_layouts_grayscale_rgba_16bit(skin_image):
    rgb, _, _ = skin_image(35.0, size=64)
    base = measure_ita(rgb).ita
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    assert measure_ita(rgba).ita == pytest.approx(base, abs=1e-6)
    assert measure_ita(rgb.astype(np.uint16) * 257).ita == pytest.approx(base, abs=1e-6)
    gray = measure_ita(rgb[:, :, 1])  # neutral grey: b* ~ 0, ITA near +-90, still a defined result
    assert np.isfinite(gray.ita) and abs(gray.ita) > 80


def test_full_resolution_matches_working_resolution(skin_image):
    rgb, _, _ = skin_image(-20.0, hair=8, size=256)
    assert measure_ita(rgb, max_side=None).ita == pytest.approx(-20.0, abs=1.0)
    assert measure_ita(rgb).ita == pytest.approx(-20.0, abs=1.0)


def test_bad_inputs_have_clear_errors(skin_image):
    rgb, _, _ = skin_image(20.0, size=64)
    with pytest.raises(DataError, match="32x16 but the image is 64x64"):
        measure_ita(rgb, np.zeros((16, 32), bool))
    with pytest.raises(DataError, match="4x4 pixels"):
        measure_ita(rgb[:4, :4])
    with pytest.raises(DataError, match="shape"):
        measure_ita(np.zeros((8, 8, 2), np.uint8))
    with pytest.raises(ConfigError, match="unknown ITA aggregation 'mean'"):
        measure_ita(rgb, method="mean")
    with pytest.raises(ConfigError, match="Fitzpatrick scheme"):
        measure_ita(rgb, scheme="other")
    lesion = np.zeros((64, 64), np.uint8)
    lesion[20:40, 20:40] = 2  # a label map's class 2: was read as no lesion, so the lesion biased the ITA
    with pytest.raises(DataError, match="lesion mask holds only the values 0, 2, which reads as no lesion"):
        measure_ita(rgb, lesion)
    assert np.isfinite(measure_ita(rgb, lesion * 127.5).ita)  # 0/255 as floats: a binary mask


def test_an_image_file_is_read(skin_image, tmp_path):
    from dermkit.io import write_image

    rgb, _, _ = skin_image(20.0, size=64)
    write_image(tmp_path / "skin.png", rgb)
    assert measure_ita(str(tmp_path / "skin.png")) == measure_ita(rgb)  # was "unsupported image dtype <U..."
    with pytest.raises(DataError, match="image file not found"):
        measure_ita(tmp_path / "none.png")


def test_tiny_image_gives_a_result():
    img = np.full((8, 8, 3), (200, 160, 130), np.uint8)
    est = measure_ita(img)
    assert est.reliable and np.isfinite(est.ita)


@pytest.mark.parametrize(("b", "reliable"), [(-2.0, False), (1.0, False), (6.5, True), (18.0, True)])
def test_blue_cast_skin_is_flagged_unreliable(b, reliable):
    """Light skin (L* 76) under a blue cast: b* <= 0 sends arctan's ITA to about -80° ("dark")."""
    from dermkit.imaging._lab import lab_to_rgb

    img = lab_to_rgb(np.tile(np.array([76.0, 8.0, b], np.float32), (64, 64, 1)))
    est = measure_ita(img)
    assert est.reliable is reliable
    assert est.b == pytest.approx(b, abs=1.0)
    assert (est.ita < -60) if b < 0 else (est.ita > 55)
