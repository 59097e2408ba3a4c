"""The public artifact renderers work on any RGB uint8 image (they double as augmentations)."""

import numpy as np
import pytest

from dermkit.errors import ConfigError, DataError
from dermkit.synth.artifacts import ARTIFACTS, apply_colour_cast, draw_dark_corners, draw_hair, draw_ink, draw_ruler, draw_sticker


@pytest.mark.parametrize("draw", [draw_hair, draw_ruler, draw_ink])
def test_draw_returns_new_image_and_mask_of_changed_pixels(draw):
    img = np.full((120, 160, 3), 210, np.uint8)  # non-square on purpose
    before = img.copy()
    out, mask = draw(img, np.random.default_rng(0))
    assert (img == before).all()  # input untouched
    assert out.shape == img.shape and out.dtype == np.uint8 and mask.shape == img.shape[:2]
    changed = (out != img).any(-1)
    assert mask.any() and changed[mask].mean() > 0.95
    assert changed[~mask].mean() < 0.05


def test_same_rng_state_same_drawing():
    img = np.full((64, 64, 3), 180, np.uint8)
    a, _ = draw_hair(img, np.random.default_rng(4))
    b, _ = draw_hair(img, np.random.default_rng(4))
    c, _ = draw_hair(img, np.random.default_rng(5))
    assert (a == b).all() and (a != c).any()


def test_hair_is_dark_ink_is_violet_corners_are_black():
    img = np.full((96, 96, 3), 200, np.uint8)
    out, mask = draw_hair(img, np.random.default_rng(0), count=10)
    assert out[mask].mean() < 150
    out, mask = draw_ink(img, np.random.default_rng(0))
    r, g, b = out[mask].mean(0)
    assert b > g and r > g  # violet
    out, mask = draw_dark_corners(img, np.random.default_rng(0), radius=0.75)
    assert mask[0, 0] and not mask[48, 48] and out[0, 0].max() < 20


def test_colour_cast_gains_and_errors():
    img = np.full((8, 8, 3), 100, np.uint8)
    assert apply_colour_cast(img, np.random.default_rng(0), gains=(1.2, 1.0, 0.5))[0][0, 0].tolist() == [120, 100, 50]
    with pytest.raises(DataError, match="RGB uint8"):
        draw_hair(img.astype(np.float32), np.random.default_rng(0))
    with pytest.raises(DataError, match="RGB uint8"):
        draw_ruler(img[..., 0], np.random.default_rng(0))


def test_registry_order_is_the_drawing_order():
    assert list(ARTIFACTS)[:3] == ["hair", "ink", "ruler"] and list(ARTIFACTS)[-2:] == ["blur", "colour_cast"]


def test_grey_cast_desaturates_and_keeps_grey_pixels():
    img = np.zeros((4, 4, 3), np.uint8)
    img[:2] = (200, 150, 100)  # tan
    img[2:] = 120  # grey
    out, _ = apply_colour_cast(img, np.random.default_rng(0), saturation=0.5)
    spread = lambda px: int(px.max()) - int(px.min())  # noqa: E731
    assert abs(spread(out[0, 0]) - 50) <= 1 and out[3, 3].tolist() == [120, 120, 120]
    with pytest.raises(ConfigError, match="saturation"):
        apply_colour_cast(img, np.random.default_rng(0), saturation=-1)


def test_sticker_is_a_coloured_disc_cut_by_the_image_edge():
    img = np.full((128, 128, 3), 200, np.uint8)
    for seed in range(5):
        out, mask = draw_sticker(img, np.random.default_rng(seed), colour=(58, 118, 214))
        edge = np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]])
        assert edge.any() and not mask[36:92, 36:92].any()  # at the edge, clear of a centred lesion
        r, g, b = out[mask].mean(0)
        assert b > 160 and r < 100  # blue, slightly speckled
    with pytest.raises(ConfigError, match="radius"):
        draw_sticker(img, np.random.default_rng(0), radius=0)
