"""Counterfactual skin-tone flip rate with the imaging tone transform and predictors of known behaviour."""

import numpy as np
import pytest

from dermkit.errors import ConfigError, DataError
from dermkit.evaluate.counterfactual import skin_tone_flip_rate, tone_targets
from dermkit.imaging.ita import ita_category
from dermkit.imaging.skin_tone import measure_ita


def lesion_image(skin=(200, 160, 130), size=48):
    img = np.full((size, size, 3), skin, np.uint8)
    yy, xx = np.mgrid[:size, :size]
    mask = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (size / 5) ** 2
    img[mask] = (90, 50, 40)
    return img, mask


def test_tone_targets_fall_in_their_category():
    targets = tone_targets()
    assert list(targets) == ["very_light", "light", "intermediate", "tan", "brown", "dark"]
    for name, ita in targets.items():
        assert ita_category(ita) == name


def test_tone_blind_model_never_flips():
    img, mask = lesion_image()

    def by_lesion_size(images):  # looks only at how many pixels are much darker than the median
        dark = [((im.mean(2) < np.median(im.mean(2)) - 60).mean()) for im in images]
        return np.array([[d, 1 - d] for d in dark])

    r = skin_tone_flip_rate(by_lesion_size, [img, img], [mask, mask], progress=False)
    assert r["flip_rate"] == 0.0 and r["flip_rate_any"] == 0.0 and r["n_images"] == 2


def test_skin_brightness_model_flips_exactly_on_darker_targets():
    img, mask = lesion_image()
    base_ita = measure_ita(img, mask).ita
    level = img[~mask].mean()

    def by_skin_brightness(images):  # class 1 when the skin got darker than the original's
        corner = np.array([im[:8, :8].mean() for im in images])
        darker = corner < level - 1.0
        return np.stack([~darker, darker], 1).astype(float) * 0.8 + 0.1

    targets = tone_targets()
    r = skin_tone_flip_rate(by_skin_brightness, [img], [mask], progress=False)
    expected = {name: float(ita < base_ita) for name, ita in targets.items()}
    assert r["per_target"] == expected
    assert r["flip_rate"] == pytest.approx(np.mean(list(expected.values())))
    assert r["flip_rate_any"] == 1.0
    assert r["mean_prob_change"] == pytest.approx(0.8 * np.mean(list(expected.values())))


def test_image_without_skin_is_skipped():
    img, mask = lesion_image()
    full = np.ones_like(mask)

    def const(images):
        return np.tile([0.3, 0.7], (len(images), 1))

    r = skin_tone_flip_rate(const, [img, img], [mask, full], case_ids=["ok", "all_lesion"], progress=False)
    assert r["n_images"] == 1 and r["n_skipped"] == 1 and r["skipped"] == ["all_lesion"]
    r = skin_tone_flip_rate(const, [img], [full], progress=False)
    assert np.isnan(r["flip_rate"])


def test_bad_predict_fn_and_lengths():
    img, mask = lesion_image()
    with pytest.raises(DataError, match="predict_fn returned shape"):
        skin_tone_flip_rate(lambda ims: np.zeros(len(ims)), [img], [mask], progress=False)
    with pytest.raises(DataError, match="1 images but 2 masks"):
        skin_tone_flip_rate(lambda ims: np.zeros((len(ims), 2)), [img], [mask, mask], progress=False)
    with pytest.raises(ConfigError, match="batch_size must be a whole number >= 1, got 2.5"):
        skin_tone_flip_rate(lambda ims: np.zeros((len(ims), 2)), [img], [mask], batch_size=2.5, progress=False)


def test_float_images_are_converted_once_so_the_same_tone_never_flips():
    img, mask = lesion_image()
    seen = []

    def by_scale(images):  # class 0 for images in 0..255, class 1 for images in 0..1: sees any change of form
        seen.extend(im.dtype.name for im in images)
        return np.array([[1.0, 0.0] if im.max() > 1 else [0.0, 1.0] for im in images])

    same = {"same": measure_ita(img, mask).ita}
    r = skin_tone_flip_rate(by_scale, [img / 255.0], [mask], target_itas=same, progress=False)
    assert r["flip_rate"] == 0.0 and r["n_images"] == 1
    assert seen == ["uint8", "uint8"]  # the original, then its counterfactual


def test_one_image_on_its_own_is_refused():
    img, mask = lesion_image()
    with pytest.raises(DataError, match=r"got an array of shape \(48, 48, 3\); pass \[image\] for one"):
        skin_tone_flip_rate(lambda ims: np.zeros((len(ims), 2)), img, [mask], progress=False)


def test_one_case_id_string_is_one_id():
    img, _ = lesion_image()
    r = skin_tone_flip_rate(lambda ims: np.tile([0.3, 0.7], (len(ims), 1)), [img], [np.ones((48, 48), bool)], case_ids="case_1", progress=False)
    assert r["skipped"] == ["case_1"]
