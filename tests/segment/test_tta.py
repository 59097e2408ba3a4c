"""Test-time augmentation of segmenters: each view's map goes back to the image's frame."""

import numpy as np
import pytest
import torch

from dermkit.models.tta import dihedral_views, undo_dihedral_view
from dermkit.segment import Segmenter

CONFIG = {"input_size": 32, "mean": [0.0, 0.0, 0.0], "std": [1 / 255] * 3}  # the model sees raw 0-255 values


class Pointwise(torch.nn.Module):
    """Logit = (red - 128) / 8 per pixel: commutes with every flip and rotation."""

    def forward(self, x):
        return (x[:, :1] - 128.0) / 8.0


class TopLeftQuadrant(torch.nn.Module):
    """Logit +20 in the top-left quadrant of whatever it is shown, -20 elsewhere (ignores the image)."""

    def forward(self, x):
        n, _, h, w = x.shape
        out = torch.full((n, 1, h, w), -20.0)
        out[:, :, : h // 2, : w // 2] = 20.0
        return out


def test_undo_dihedral_view_restores_every_view():
    x = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).view(2, 3, 5, 5)
    views = list(dihedral_views(x))
    assert len({tuple(v.flatten().tolist()) for v in views}) == 8  # eight different views
    for i, view in enumerate(views):
        assert torch.equal(undo_dihedral_view(view, i), x)


def test_tta_of_an_equivariant_model_changes_nothing():
    rng = np.random.default_rng(0)
    image = np.zeros((32, 32, 3), np.uint8)
    image[4:12, 3:25, 0] = 255  # an asymmetric bar: a wrongly undone view would move it
    image[..., 1:] = rng.integers(0, 255, (32, 32, 2))
    plain = Segmenter(Pointwise(), CONFIG).predict_proba([image])[0]
    tta = Segmenter(Pointwise(), CONFIG, tta=True).predict_proba([image])[0]
    assert plain[8, 10] > 0.99 and plain[20, 20] < 0.01
    np.testing.assert_allclose(tta, plain, atol=1e-6)


def test_tta_averages_the_eight_views():
    image = np.zeros((32, 32, 3), np.uint8)
    plain = Segmenter(TopLeftQuadrant(), CONFIG).predict_proba([image])[0]
    tta = Segmenter(TopLeftQuadrant(), CONFIG, tta=True).predict_proba([image])[0]
    assert plain[0, 0] == pytest.approx(1.0) and plain[31, 31] == pytest.approx(0.0, abs=1e-6)
    # each corner quadrant is the top-left one in 2 of the 8 views
    for corner in ((0, 0), (0, 31), (31, 0), (31, 31)):
        assert tta[corner] == pytest.approx(0.25, abs=1e-6)


def test_segment_predict_cli_tta(tiny_run, ellipse_cases, tmp_path):
    from typer.testing import CliRunner

    from dermkit.cases import save_cases
    from dermkit.cli import app
    from dermkit.io import read_image, read_mask

    save_cases(ellipse_cases.iloc[:3], tmp_path / "c.parquet")
    res = CliRunner().invoke(app, ["segment", "predict", str(tiny_run), str(tmp_path / "c.parquet"), "-o", str(tmp_path / "pred"), "--tta"])
    assert res.exit_code == 0, res.output
    images = [read_image(p) for p in ellipse_cases["image_path"].iloc[:3]]
    seg_tta = Segmenter.load(tiny_run, tta=True)
    # the 2-step model is not flip-invariant, so TTA changes its probabilities
    assert np.abs(seg_tta.predict_proba(images[:1])[0] - Segmenter.load(tiny_run).predict_proba(images[:1])[0]).max() > 1e-4
    for cid, expected in zip(ellipse_cases["case_id"].iloc[:3], seg_tta.predict(images)):
        assert np.array_equal(read_mask(tmp_path / "pred" / "masks" / f"{cid}.png", expected.shape), expected)
