"""Colour constancy undoes a per-channel cast and makes the illuminant grey."""

from __future__ import annotations

import numpy as np
import pytest

from dermkit.errors import ConfigError, DataError
from dermkit.imaging.colour import METHODS, colour_constancy, estimate_illuminant, gray_world, max_rgb, shades_of_gray


def _scene(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(20, 200, size=(48, 48, 3)).astype(np.uint8)


@pytest.mark.parametrize("method", list(METHODS))
def test_cast_is_undone(method):
    scene = _scene()
    cast = np.clip(scene * np.array([1.2, 1.0, 0.75]), 0, 255).round().astype(np.uint8)
    a, b = colour_constancy(scene, method), colour_constancy(cast, method)
    assert np.abs(a.astype(int) - b).mean() < 1.0
    assert np.abs(scene.astype(int) - cast).mean() > 10


def test_cast_in_linear_light_is_undone_with_gamma():
    scene = _scene(1)
    lin = (scene / 255.0) ** 2.2 * np.array([1.15, 1.0, 0.8])
    cast = (np.clip(lin, 0, 1) ** (1 / 2.2) * 255).round().astype(np.uint8)
    a, b = shades_of_gray(scene, gamma=2.2), shades_of_gray(cast, gamma=2.2)
    assert np.abs(a.astype(int) - b).mean() < 1.0


def test_output_illuminant_is_grey():
    out = shades_of_gray((_scene(2) * np.array([1.0, 0.8, 0.6])).astype(np.uint8))
    e = estimate_illuminant(out)
    assert np.allclose(e, 3**-0.5, atol=0.01)


def test_named_functions_are_the_norms():
    img = _scene(3)
    assert np.array_equal(gray_world(img), shades_of_gray(img, p=1))
    assert np.array_equal(max_rgb(img), shades_of_gray(img, p=np.inf))
    assert np.array_equal(colour_constancy(img, "shades_of_gray", p=4), shades_of_gray(img, p=4))


def test_grey_illuminant_changes_nothing():
    img = np.full((4, 4, 3), 77, np.uint8)
    assert np.array_equal(shades_of_gray(img), img)


def test_errors_and_layouts():
    with pytest.raises(ConfigError, match="unknown colour-constancy method 'retinex'"):
        colour_constancy(_scene(), "retinex")
    with pytest.raises(ConfigError, match="p must be >= 1"):
        shades_of_gray(_scene(), p=0.5)
    with pytest.raises(ConfigError, match="gamma"):
        shades_of_gray(_scene(), gamma=0)
    with pytest.raises(DataError):
        shades_of_gray(np.zeros((4, 4, 5), np.uint8))
    assert shades_of_gray(np.zeros((4, 4), np.uint16)).shape == (4, 4, 3)
    assert np.array_equal(shades_of_gray(np.zeros((4, 4, 3), np.uint8)), np.zeros((4, 4, 3), np.uint8))
