"""Input checks shared by the imaging functions: every public function validates at the edge here.

Images of any common layout (grayscale, RGB, RGBA; uint8, uint16 or float) become RGB uint8
through :func:`dermkit.io.to_rgb_uint8`; masks must match the image's size, and a mismatch is a
:class:`~dermkit.errors.DataError` naming both sizes.
"""

from __future__ import annotations

import os

import numpy as np

from dermkit.errors import DataError
from dermkit.io import read_image, refuse_label_map, to_rgb_uint8


def check_image(image: np.ndarray, name: str = "image", min_side: int = 1) -> np.ndarray:
    """Return ``image`` as contiguous RGB uint8 ``(H, W, 3)``; raise :class:`DataError` if it cannot be one.

    ``image`` is an array of any layout :func:`dermkit.io.to_rgb_uint8` reads, or an image file's path.

    Example:
        >>> check_image(np.zeros((4, 5), dtype=np.uint16)).shape
        (4, 5, 3)
    """
    if image is None:
        raise DataError(f"{name}: expected an image array, got None")
    rgb = read_image(image) if isinstance(image, (str, os.PathLike)) else to_rgb_uint8(np.asarray(image), source=name)
    h, w = rgb.shape[:2]
    if min(h, w) < min_side:
        raise DataError(f"{name} is {w}x{h} pixels; this needs at least {min_side}x{min_side}")
    return rgb


def check_mask(mask: np.ndarray, shape: tuple[int, ...], name: str = "mask") -> np.ndarray:
    """Return ``mask`` as bool ``(H, W)`` matching ``shape`` (the image's); a size mismatch names both sizes.

    Accepts bool, {0, 1} or {0, 255} arrays, with an optional trailing channel axis (smooth values
    are thresholded at the middle of their range); a label map whose lesion is neither 1 nor 255,
    such as {0, 2}, is refused (:func:`dermkit.io.refuse_label_map`).

    Example:
        >>> bool(check_mask(np.full((4, 5), 255, np.uint8), (4, 5, 3)).all())
        True
    """
    m = np.asarray(mask)
    if m.ndim == 3 and m.shape[2] in (1, 3, 4):
        m = m[:, :, 0]
    if m.ndim != 2:
        raise DataError(f"{name}: expected a 2-D mask, got shape {m.shape}")
    if m.shape != tuple(shape[:2]):
        raise DataError(
            f"{name} is {m.shape[1]}x{m.shape[0]} but the image is {shape[1]}x{shape[0]} (width x height)"
        )
    if m.dtype == bool:
        return m
    if not np.issubdtype(m.dtype, np.number):
        raise DataError(f"{name}: unsupported mask dtype {m.dtype}")
    refuse_label_map(m, name)
    return m > (0.5 if m.max(initial=0) <= 1 else 127)
