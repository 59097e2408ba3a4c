"""Colour-space jitter and artifact injection as albumentations transforms."""

from __future__ import annotations

import albumentations as A
import cv2
import numpy as np
import pytest

from dermkit.errors import ConfigError, DataError
from dermkit.imaging.augment import ArtifactInjection, ColourSpaceJitter


def _img():
    rng = np.random.default_rng(0)
    return rng.integers(60, 200, size=(48, 48, 3)).astype(np.uint8)


@pytest.mark.parametrize("space", ["hsv", "lab", "ycbcr"])
def test_jitter_is_seeded_and_bounded(space):
    img = _img()
    run = lambda s: A.Compose([ColourSpaceJitter(space, p=1.0)], seed=s)(image=img)["image"]  # noqa: E731
    a, b, c = run(3), run(3), run(4)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.abs(a.astype(int) - img).mean() < 40


def test_zero_shift_is_identity_up_to_rounding():
    img = _img()
    out = A.Compose([ColourSpaceJitter("ycbcr", shift=(0, 0, 0), p=1.0)], seed=0)(image=img)["image"]
    assert np.abs(out.astype(int) - img).max() <= 2


def test_value_shift_changes_only_brightness():
    img = np.full((8, 8, 3), (200, 120, 80), np.uint8)
    out = A.Compose([ColourSpaceJitter("hsv", shift=(0, 0, 40), p=1.0)], seed=0)(image=img)["image"]
    h0 = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)[0, 0].astype(int)
    h1 = cv2.cvtColor(out, cv2.COLOR_RGB2HSV)[0, 0].astype(int)
    assert abs(h1[0] - h0[0]) <= 1 and h1[2] != h0[2]


def test_artifacts_drawn_with_synth_renderers_and_seeded():
    img = np.full((96, 96, 3), 210, np.uint8)
    mask = np.zeros((96, 96), np.uint8)
    t = lambda s: A.Compose([ArtifactInjection(("hair", "ruler", "ink"), p=1.0)], seed=s)  # noqa: E731
    a, b = t(5)(image=img, mask=mask), t(5)(image=img, mask=mask)
    assert np.array_equal(a["image"], b["image"]) and (a["image"] != img).any()
    assert np.array_equal(a["mask"], mask)
    only_hair = A.Compose([ArtifactInjection(("hair",), options={"hair": {"count": 8, "colour": (0, 0, 0)}}, p=1.0)], seed=0)
    out = only_hair(image=img)["image"]
    assert (out.min(axis=2) < 60).sum() > 50
    assert ArtifactInjection("hair").artifacts == ("hair",)  # one name as a string ('unknown artifact(s) h, a, i, r' before)


def test_errors():
    with pytest.raises(ConfigError, match="colour space 'rgb'"):
        ColourSpaceJitter("rgb")
    with pytest.raises(ConfigError, match="shift"):
        ColourSpaceJitter("lab", shift=(1, 2))
    with pytest.raises(ConfigError, match="tattoo"):
        ArtifactInjection(("tattoo",))
    with pytest.raises(DataError, match="uint8"):
        A.Compose([ColourSpaceJitter(p=1.0)])(image=np.zeros((8, 8, 3), np.float32))
