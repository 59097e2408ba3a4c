"""The segmentation API as a researcher calls it from Python: what images it takes, and its errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dermkit.errors import ConfigError, DataError
from dermkit.io import read_image


@pytest.fixture(scope="module")
def segmenter(tiny_run):
    from dermkit.segment import Segmenter

    return Segmenter.load(tiny_run)


@pytest.fixture(scope="module")
def images(ellipse_cases):
    return [read_image(p) for p in ellipse_cases["image_path"].iloc[:3]]


def test_images_in_every_common_form_give_the_same_probabilities(segmenter, images, ellipse_cases):
    expected = segmenter.predict_proba(images)
    grey = segmenter.predict_proba([im[:, :, 1] for im in images])[0]  # grey: one channel repeated
    assert grey.shape == images[0].shape[:2] and not np.allclose(grey, expected[0], atol=1e-3)  # other input, other answer
    forms = {
        "generator": (im for im in images),
        "batch array": np.stack(images),
        "float in [0, 1]": [im.astype(np.float32) / 255 for im in images],
        "16-bit": [im.astype(np.uint16) * 257 for im in images],
        "RGBA": [np.dstack([im, np.full(im.shape[:2], 255, np.uint8)]) for im in images],
        "file paths": list(ellipse_cases["image_path"].iloc[:3]),
    }
    for form, given in forms.items():
        got = segmenter.predict_proba(given)
        assert len(got) == 3, form
        assert all(np.allclose(g, e, atol=1e-5) for g, e in zip(got, expected)), form
    assert [m.shape for m in segmenter.predict(np.stack(images))] == [im.shape[:2] for im in images]


@pytest.mark.parametrize("one", ["array", "path"])
def test_one_image_on_its_own_is_refused_with_a_hint(segmenter, images, ellipse_cases, one):
    given = images[0] if one == "array" else ellipse_cases["image_path"].iloc[0]
    with pytest.raises(DataError, match=r"expected a list of images .* pass \[image\] for one"):
        segmenter.predict(given)
    with pytest.raises(DataError, match=r"expected a list of images"):
        segmenter.adapt_batchnorm(given)  # it would have taken each row of the image as an image


def test_unreadable_images_are_named(segmenter):
    with pytest.raises(DataError, match=r"image 1: expected an image of shape"):
        segmenter.predict([np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 2), np.uint8)])
    with pytest.raises(DataError, match="image 0: image has NaN"):
        segmenter.predict([np.full((8, 8, 3), np.nan, np.float32)])


def test_a_segmenter_without_its_inference_settings_is_named(tiny_run):
    from dermkit.models.segmenter import create_segmenter, save_segmenter, segmenter_config
    from dermkit.segment import Segmenter

    with pytest.raises(DataError, match="config lacks input_size, mean, std"):
        Segmenter(create_segmenter(), {})
    save_segmenter(create_segmenter(), segmenter_config("unet", "resnet18"), tiny_run.parent / "bare")
    with pytest.raises(DataError, match="config lacks input_size, mean, std"):
        Segmenter.load(tiny_run.parent / "bare")


def test_evaluate_groups_by_one_name_or_several_and_names_a_missing_column(ellipse_cases):
    from dermkit.segment import evaluate_masks, paired_differences

    cases = ellipse_cases.iloc[:4].assign(mask_pred_path=ellipse_cases["mask_path"].iloc[:4], site=["a", "a", "b", "b"])
    per_image, summary = evaluate_masks(cases, by="site")  # a string used to be taken letter by letter: no groups
    assert summary["by"]["site"]["a"]["n"] == 2 and list(summary["by"]) == ["site"]
    assert list(evaluate_masks(cases)[1]["by"]) == ["skin_tone"]  # the default: skin tone where the table has it
    assert list(evaluate_masks(cases.drop(columns="skin_tone"))[1]["by"]) == []
    with pytest.raises(ConfigError, match=r"by: no column 'sight' in the table \(found: case_id"):
        evaluate_masks(cases, by=["site", "sight"])
    assert paired_differences(per_image, per_image, by="site")["by"]["site"]["b"] == {"n": 2, "difference": 0.0, "ci": [0.0, 0.0]}
    with pytest.raises(ConfigError, match="by: no column 'sight'"):
        paired_differences(per_image, per_image, by="sight")


def test_an_encoder_that_cannot_take_the_image_size_is_refused_before_training(ellipse_cases, tmp_path):
    from dermkit.models.input_size import check_input_size
    from dermkit.models.segmenter import create_segmenter
    from dermkit.segment import train_segmenter

    swin = create_segmenter("unet", "tu-swin_tiny_patch4_window7_224")  # timm builds Swin for 224 px only
    with pytest.raises(ConfigError, match=r"cannot take 64 x 64 px input"):
        check_input_size(swin, 64)
    assert swin.training  # the check leaves the model's mode as it was
    with pytest.raises(ConfigError, match=r"cannot take 64 x 64 px input"):
        train_segmenter(ellipse_cases, tmp_path / "run", encoder="tu-swin_tiny_patch4_window7_224", image_size=64, max_steps=1, progress=False)
    assert not (tmp_path / "run").exists()  # it crashed mid-fit, leaving logs/ behind


def test_weights_of_another_encoder_are_named_as_such(tmp_path):
    import torch

    from dermkit.models.segmenter import create_segmenter, load_weights

    torch.save(create_segmenter("unet", "resnet18").state_dict(), tmp_path / "r18.pt")
    with pytest.raises(DataError, match=r"r18\.pt: weights match neither .* \(\d+ of the encoder's \d+ tensors found, 0 of them .*e\.g\. no 'layer"):
        load_weights(create_segmenter("unet", "resnet34"), tmp_path / "r18.pt")  # the message ended "e.g. unexpected key '?'"
    torch.save(create_segmenter("unet", "resnet50").state_dict(), tmp_path / "r50.pt")
    with pytest.raises(DataError, match=r"r50\.pt: weights match neither .* of another shape"):
        load_weights(create_segmenter("unet", "resnet18"), tmp_path / "r50.pt")  # was a bare size-mismatch RuntimeError
    with pytest.raises(DataError, match="pretrained weights not found: imagenet .dermkit never downloads"):
        create_segmenter("unet", "resnet18", pretrained="imagenet")


def test_postprocessing_given_as_a_dict_and_settings_of_the_wrong_type(segmenter, images):
    from dermkit.models.segmenter import create_segmenter
    from dermkit.segment import Postprocessing

    as_dict = segmenter.predict(images, {"fill_holes": False, "threshold": 0.3})  # was an AttributeError
    as_settings = segmenter.predict(images, Postprocessing(fill_holes=False, threshold=0.3))
    assert all(np.array_equal(a, b) for a, b in zip(as_dict, as_settings))
    assert not all(np.array_equal(a, b) for a, b in zip(as_dict, segmenter.predict(images)))  # the settings took effect
    with pytest.raises(ConfigError, match="unknown post-processing option.*fil_holes"):
        segmenter.predict(images, {"fil_holes": False})
    with pytest.raises(ConfigError, match="threshold must be a number, got '0.5'"):
        Postprocessing(threshold="0.5")  # a bare TypeError
    with pytest.raises(ConfigError, match="in_channels must be a whole number >= 1, got 0"):
        create_segmenter(in_channels=0)  # built a model with Conv2d(0, 64)
