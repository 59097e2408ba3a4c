"""Images of known skin colour built in Lab: flat skin of a chosen ITA, a darker disc lesion,
black hair lines, dark corners outside a round field of view and glare spots."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from dermkit.imaging._lab import lab_to_rgb


def skin_lab(ita: float, b: float = 16.0) -> tuple[float, float, float]:
    """L*, a*, b* of a skin colour whose ITA is ``ita`` (b* fixed)."""
    return 50.0 + b * math.tan(math.radians(ita)), 10.0, b


def make_skin_image(
    ita: float,
    size: int = 256,
    b: float = 16.0,
    lesion_dL: float = -25.0,
    lesion_radius: float = 0.2,
    hair: int = 0,
    corners: bool = False,
    glare: bool = False,
    noise: float = 1.5,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rgb, lesion_mask, hair_mask)`` with skin of the given ITA; the lesion is ``lesion_dL`` darker."""
    rng = np.random.default_rng(seed)
    L, a, bb = skin_lab(ita, b)
    lab = np.empty((size, size, 3), np.float32)
    lab[:] = (L, a, bb)
    lab += rng.normal(0, noise, lab.shape).astype(np.float32)
    yy, xx = np.mgrid[:size, :size]
    c = size / 2
    lesion = (yy - c * 1.05) ** 2 + (xx - c * 0.95) ** 2 < (lesion_radius * size) ** 2
    lab[lesion, 0] = np.clip(L + lesion_dL, 3, 100)
    lab[lesion, 1] += 8
    lab[lesion, 2] += 4
    rgb = lab_to_rgb(lab)
    hair_mask = np.zeros((size, size), np.uint8)
    for _ in range(hair):
        p0 = tuple(int(v) for v in rng.integers(0, size, 2))
        p1 = tuple(int(v) for v in rng.integers(0, size, 2))
        cv2.line(hair_mask, p0, p1, 1, thickness=int(rng.integers(1, 3)))
    rgb[hair_mask.astype(bool)] = (25, 20, 18)
    if corners:
        rgb[(yy - c) ** 2 + (xx - c) ** 2 > (0.56 * size) ** 2] = (6, 5, 5)
    if glare:
        for _ in range(4):
            cv2.circle(rgb, tuple(int(v) for v in rng.integers(0, size, 2)), size // 40, (255, 255, 255), -1)
    return rgb, lesion, hair_mask.astype(bool)


@pytest.fixture
def skin_image():
    """The :func:`make_skin_image` builder."""
    return make_skin_image
