"""shift_skin_tone lands on the target ITA and keeps the lesion's contrast."""

from __future__ import annotations

import albumentations as A
import numpy as np
import pytest

from dermkit.errors import ConfigError, DataError
from dermkit.imaging.contrast import colour_contrast
from dermkit.imaging.skin_tone import measure_ita
from dermkit.imaging.tone_transform import SkinToneShift, shift_skin_tone, target_skin_colour


@pytest.mark.parametrize("source", [55.0, 20.0, -40.0])
@pytest.mark.parametrize("target", [60.0, 30.0, 0.0, -30.0, -55.0])
def test_lands_on_target_and_keeps_contrast(skin_image, source, target):
    rgb, lesion, _ = skin_image(source, size=128, hair=4, corners=True, seed=3)
    out = shift_skin_tone(rgb, target, lesion)
    assert measure_ita(out, lesion).ita == pytest.approx(target, abs=1.0)
    before, after = colour_contrast(rgb, lesion).delta_e, colour_contrast(out, lesion).delta_e
    assert after == pytest.approx(before, rel=0.05)


def test_dark_corners_stay_dark(skin_image):
    rgb, lesion, _ = skin_image(-40.0, size=96, corners=True)
    out = shift_skin_tone(rgb, 55.0, lesion)
    assert out[0, 0].max() <= rgb[0, 0].max() + 3
    assert out[48, 5].mean() > rgb[48, 5].mean() + 50


def test_without_mask_uses_estimated_lesion(skin_image):
    rgb, lesion, _ = skin_image(40.0, size=96)
    out = shift_skin_tone(rgb, -10.0)
    assert measure_ita(out, lesion).ita == pytest.approx(-10.0, abs=1.5)


def test_target_colour_keeps_b_until_L_leaves_range():
    assert target_skin_colour(70.0, 16.0, 45.0) == pytest.approx((66.0, 16.0))
    L, b = target_skin_colour(70.0, 16.0, 75.0)  # 50 + 16 tan 75 = 109.7 > 92
    assert L == 92.0 and b == pytest.approx(42.0 / np.tan(np.radians(75.0)))


def test_errors():
    img = np.full((16, 16, 3), 150, np.uint8)
    with pytest.raises(ConfigError, match="target_ita"):
        shift_skin_tone(img, 120.0)
    for bad in ("20", float("nan")):  # "20" passed the range check through float(), then a bare TypeError
        with pytest.raises(ConfigError, match="target_ita must be a number within"):
            shift_skin_tone(img, bad)
    with pytest.raises(DataError, match="no healthy-skin"):
        shift_skin_tone(img, 10.0, np.ones((16, 16), bool))
    with pytest.raises(DataError, match="8x8 but the image is 16x16"):
        shift_skin_tone(img, 10.0, np.ones((8, 8), bool))
    with pytest.raises(ConfigError):
        SkinToneShift(target_ita=(50, -50))


def test_albumentations_transform_is_seeded_and_uses_mask(skin_image):
    rgb, lesion, _ = skin_image(40.0, size=64)
    mask = lesion.astype(np.uint8) * 255

    def run(seed):
        return A.Compose([SkinToneShift(target_ita=(-40.0, 50.0), p=1.0)], seed=seed)(image=rgb, mask=mask)

    a, b, c = run(1), run(1), run(2)
    assert np.array_equal(a["image"], b["image"]) and not np.array_equal(a["image"], c["image"])
    assert np.array_equal(a["mask"], mask)
    assert -41.0 <= measure_ita(a["image"], lesion).ita <= 51.0
    fixed = A.Compose([SkinToneShift(target_ita=-25.0, p=1.0)], seed=0)(image=rgb, mask=mask)["image"]
    assert measure_ita(fixed, lesion).ita == pytest.approx(-25.0, abs=1.0)
    with pytest.raises(DataError, match="uint8"):
        A.Compose([SkinToneShift(p=1.0)])(image=rgb.astype(np.float32) / 255)
