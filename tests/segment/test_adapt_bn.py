"""Test-time BatchNorm adaptation (AdaBN): the statistics become those of the new images, nothing else changes."""

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from dermkit.cases import save_cases
from dermkit.cli import app
from dermkit.errors import ConfigError
from dermkit.io import read_image, read_mask
from dermkit.segment import Segmenter, predict_masks

CONFIG = {"input_size": 8, "mean": [0.0, 0.0, 0.0], "std": [1 / 255] * 3}  # the model sees raw 0-255 values


def norm_then_conv() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.BatchNorm2d(3), torch.nn.Conv2d(3, 1, 1))


def images(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (8, 8, 3), dtype=np.uint8) for _ in range(n)]


def test_statistics_become_the_mean_batch_statistics_of_the_new_images():
    seg = Segmenter(norm_then_conv(), CONFIG)
    conv_before = seg.model[1].weight.detach().clone()
    imgs = images(6, seed=1)
    assert seg.adapt_batchnorm(iter(imgs), batch_size=2) == 6
    # hand-computed: per-channel mean and unbiased variance of each batch of 2, averaged over the 3 batches
    batches = np.stack(imgs).astype(np.float64).reshape(3, 2 * 8 * 8, 3)
    bn = seg.model[0]
    np.testing.assert_allclose(bn.running_mean.numpy(), batches.mean(axis=1).mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), batches.var(axis=1, ddof=1).mean(axis=0), rtol=1e-4)
    assert torch.equal(seg.model[1].weight, conv_before)  # weights untouched
    assert bn.momentum == 0.1 and not seg.model.training  # settings and eval mode restored


def test_adaptation_changes_the_predictions_of_shifted_images():
    bright = [np.clip(im.astype(int) + 60, 0, 255).astype(np.uint8) for im in images(8, seed=2)]
    seg = Segmenter(norm_then_conv(), CONFIG)
    before = seg.predict_proba(bright[:1])[0]
    seg.adapt_batchnorm(bright)
    assert np.abs(seg.predict_proba(bright[:1])[0] - before).max() > 0.05


def test_no_images_and_no_batchnorm_are_clear_errors_that_change_nothing():
    seg = Segmenter(norm_then_conv(), CONFIG)
    seg.adapt_batchnorm(images(4, seed=3))
    mean = seg.model[0].running_mean.clone()
    with pytest.raises(ConfigError, match="no images"):
        seg.adapt_batchnorm(iter([]))
    assert torch.equal(seg.model[0].running_mean, mean)
    with pytest.raises(ConfigError, match="no BatchNorm"):
        Segmenter(torch.nn.Conv2d(3, 1, 1), CONFIG).adapt_batchnorm(images(2, seed=4))


def test_a_corrupt_image_part_way_puts_the_model_back_as_it_was(tmp_path):
    from dermkit.errors import DataError

    seg = Segmenter(norm_then_conv(), CONFIG)
    seg.adapt_batchnorm(images(4, seed=3))
    before = {k: v.clone() for k, v in seg.model.state_dict().items()}
    (tmp_path / "broken.png").write_bytes(b"not a png")

    def stream():
        yield from images(5, seed=5)  # two full batches and a part, then the corrupt file
        yield read_image(tmp_path / "broken.png")

    with pytest.raises(DataError, match="broken.png"):
        seg.adapt_batchnorm(stream(), batch_size=2)
    after = seg.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # statistics and batch counts as they were
    assert seg.model[0].momentum == 0.1 and not seg.model.training


def test_predict_masks_and_cli_adapt_on_the_tables_images(tiny_run, ellipse_cases, tmp_path):
    cases = ellipse_cases.iloc[:6]
    table = predict_masks(tiny_run, cases, tmp_path / "api", adapt_bn=True, progress=False)
    save_cases(cases, tmp_path / "c.parquet")
    res = CliRunner().invoke(app, ["segment", "predict", str(tiny_run), str(tmp_path / "c.parquet"), "-o", str(tmp_path / "cli"), "--adapt-bn"])
    assert res.exit_code == 0, res.output
    pictures = [read_image(p) for p in cases["image_path"]]
    plain = Segmenter.load(tiny_run)
    adapted = Segmenter.load(tiny_run)
    adapted.adapt_batchnorm(pictures, batch_size=8)
    # the 2-step model's saved statistics are not those of these images, so its probabilities move
    assert np.abs(adapted.predict_proba(pictures[:1])[0] - plain.predict_proba(pictures[:1])[0]).max() > 1e-3
    for cid, path, expected in zip(cases["case_id"], table["mask_pred_path"], adapted.predict(pictures)):
        assert np.array_equal(read_mask(path, expected.shape), expected)
        assert np.array_equal(read_mask(tmp_path / "cli" / "masks" / f"{cid}.png", expected.shape), expected)
