import numpy as np
import pytest
import torch

from dermkit.datasets.transforms import IMAGENET_MEAN, IMAGENET_STD, check_augment, create_transform
from dermkit.errors import ConfigError


def _image_and_mask(h=60, w=80):
    """A bright off-centre rectangle on a dark ground; the mask is exactly the rectangle."""
    image = np.full((h, w, 3), 30, np.uint8)
    mask = np.zeros((h, w), np.uint8)
    image[5:30, 10:45] = 220
    mask[5:30, 10:45] = 1
    return image, mask


def test_eval_resizes_and_normalises_exactly():
    value = np.array([100, 150, 200], np.uint8)
    image = np.broadcast_to(value, (40, 50, 3)).copy()
    out = create_transform((24, 32), train=False)(image=image)["image"]
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.shape == (3, 24, 32)
    expected = (value / 255.0 - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    np.testing.assert_allclose(out.mean(dim=(1, 2)).numpy(), expected, atol=1e-5)
    assert float(out.std(dim=(1, 2)).max()) < 1e-6


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_train_moves_image_and_mask_together(seed):
    image, mask = _image_and_mask()
    tf = create_transform(48, train=True, mean=(0, 0, 0), std=(1, 1, 1), color_jitter=0, hflip=1.0, vflip=1.0, seed=seed)
    out = tf(image=image, mask=mask)
    img, m = out["image"], out["mask"]
    assert img.shape == (3, 48, 48) and m.shape == (48, 48)
    bright = img[0] > 0.5
    # the bright rectangle and the mask stay aligned (only interpolated edge pixels may differ)
    assert (bright == (m > 0)).float().mean() > 0.97
    assert set(torch.unique(m).tolist()) <= {0, 1}


def test_flips_are_applied_to_the_mask():
    image, mask = _image_and_mask(60, 60)
    tf = create_transform(60, train=True, mean=(0, 0, 0), std=(1, 1, 1), scale=(1.0, 1.0), rotate=0, color_jitter=0, hflip=1.0, vflip=1.0, seed=0)
    m = tf(image=image, mask=mask)["mask"].numpy()
    # on a square image a full-area crop is the identity: only the flips remain
    np.testing.assert_array_equal(m, mask[::-1, ::-1])


def test_seed_repeats_and_differs():
    image, mask = _image_and_mask()
    a = create_transform(32, train=True, seed=7)(image=image, mask=mask)["image"]
    b = create_transform(32, train=True, seed=7)(image=image, mask=mask)["image"]
    c = create_transform(32, train=True, seed=8)(image=image, mask=mask)["image"]
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_extra_transforms_run_before_normalisation():
    import albumentations as A

    image = np.zeros((20, 20, 3), np.uint8)
    image[..., 0] = 255
    out = create_transform(20, train=False, mean=(0, 0, 0), std=(1, 1, 1), extra=[A.ToGray(p=1.0)])(image=image)["image"]
    assert torch.allclose(out[0], out[1]) and torch.allclose(out[1], out[2])
    assert 0.2 < float(out[0, 0, 0]) < 0.4  # luma of pure red ≈ 0.299


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"image_size": 0}, "image_size"),
        ({"image_size": (10, 10, 3)}, "image_size"),
        ({"image_size": 32, "train": True, "scale": (0.5, 1.5)}, "scale"),
        ({"image_size": 32, "train": True, "hflip": 2}, "hflip"),
        ({"image_size": 32, "train": True, "color_jitter": (0.1, 0.1)}, "color_jitter"),
        ({"image_size": 32, "train": True, "scale": 0.25}, "bad augment option: cannot unpack"),
        ({"image_size": 32, "train": True, "hflip": "often"}, "bad augment option"),
        ({"image_size": 32, "std": (1, 0, 1)}, "std"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        create_transform(**kwargs)


def test_check_augment_reads_mappings_and_yaml_text():
    assert check_augment(None) == {}
    assert check_augment({"rotate": 0}) == {"rotate": 0}
    assert check_augment("{scale: [0.25, 1.0], hflip: 0}") == {"scale": [0.25, 1.0], "hflip": 0}


@pytest.mark.parametrize(
    "options,match",
    [
        ("{scal: [0.25, 1.0]}", "unknown augment option\\(s\\) scal; known: scale, hflip"),
        ({"zoom": 2, "blur": 1}, "unknown augment option\\(s\\) blur, zoom"),
        ("scale=0.25", "must be a mapping .*'scale=0.25'"),
        ("{scale: [0.25", "must be a mapping"),
        ([0.25, 1.0], "must be a mapping"),
    ],
)
def test_check_augment_names_bad_options(options, match):
    with pytest.raises(ConfigError, match=match):
        check_augment(options)
