"""Colour constancy: remove a camera/illuminant colour cast before learning or measuring.

All three methods estimate the illuminant's RGB colour ``e`` as a Minkowski p-norm mean of each
channel, ``e_c = (mean(I_c ** p)) ** (1/p)`` (Finlayson & Trezzi, 2004), and scale the channels by
``|e| / (sqrt(3) e_c)`` so the illuminant becomes the grey of its RMS level (a flat (90, 60, 30) image becomes
(65, 65, 65)):

* Shades of Gray, p = 6 by default (Barata et al. 2015 found it best on dermoscopy images; the
  ISIC 2019 winners used it);
* Gray World, p = 1 (the mean colour is assumed grey);
* max-RGB / White Patch, p = inf (the brightest value of each channel is assumed white).

With ``gamma`` (e.g. 2.2) the 8-bit values are first linearised (``(x/255) ** gamma``), corrected
in linear light and re-encoded; without it the correction works on the 8-bit values directly, as
in most dermoscopy pipelines. Note that colour constancy changes skin colour, so measure ITA on
the original images.

Example:
    >>> img = np.full((8, 8, 3), (200, 150, 100), np.uint8)
    >>> shades_of_gray(img)[0, 0].tolist()
    [155, 155, 155]
"""

from __future__ import annotations

import numpy as np

from dermkit.errors import ConfigError
from dermkit.imaging._checks import check_image

METHODS: dict[str, float] = {"shades_of_gray": 6.0, "gray_world": 1.0, "max_rgb": float("inf")}
"""Method name -> its Minkowski norm p (Shades of Gray's default p)."""


def estimate_illuminant(image: np.ndarray, p: float = 6.0, gamma: float | None = None) -> np.ndarray:
    """The illuminant colour (RGB, unit norm) by the Minkowski p-norm of each channel.

    Example:
        >>> e = estimate_illuminant(np.full((4, 4, 3), (100, 100, 100), np.uint8))
        >>> np.allclose(e, 3 ** -0.5)
        True
    """
    rgb = check_image(image)
    return _illuminant(_to_linear(rgb, gamma), p)


def _to_linear(rgb: np.ndarray, gamma: float | None) -> np.ndarray:
    x = rgb.astype(np.float32) / 255.0
    if gamma is None:
        return x
    if gamma <= 0:
        raise ConfigError(f"gamma must be > 0, got {gamma}")
    return x ** np.float32(gamma)


def _illuminant(x: np.ndarray, p: float) -> np.ndarray:
    if not p >= 1:
        raise ConfigError(f"Minkowski norm p must be >= 1 (or inf), got {p}")
    flat = x.reshape(-1, 3).astype(np.float64)
    e = flat.max(axis=0) if np.isinf(p) else np.mean(flat**p, axis=0) ** (1.0 / p)
    norm = float(np.linalg.norm(e))
    return e / norm if norm > 0 else np.full(3, 3**-0.5)


def shades_of_gray(image: np.ndarray, p: float = 6.0, gamma: float | None = None) -> np.ndarray:
    """Shades of Gray colour constancy (Minkowski norm ``p``, default 6); returns RGB uint8.

    Example:
        >>> img = np.full((4, 4, 3), (120, 100, 80), np.uint8); img[0, 0] = (240, 200, 160)
        >>> out = shades_of_gray(img); int(out[0, 0].max()) - int(out[0, 0].min()) <= 1
        True
    """
    rgb = check_image(image)
    x = _to_linear(rgb, gamma)
    e = _illuminant(x, p)
    out = np.clip(x * (1.0 / (np.sqrt(3.0) * e)).astype(np.float32), 0.0, 1.0)
    if gamma is not None:
        out = out ** np.float32(1.0 / gamma)
    return (out * 255.0 + 0.5).astype(np.uint8)


def gray_world(image: np.ndarray, gamma: float | None = None) -> np.ndarray:
    """Gray World colour constancy (Shades of Gray with p = 1).

    Example:
        >>> gray_world(np.full((2, 2, 3), (90, 60, 30), np.uint8))[0, 0].tolist()
        [65, 65, 65]
    """
    return shades_of_gray(image, p=1.0, gamma=gamma)


def max_rgb(image: np.ndarray, gamma: float | None = None) -> np.ndarray:
    """max-RGB (White Patch) colour constancy (Shades of Gray with p = inf).

    Example:
        >>> img = np.zeros((2, 2, 3), np.uint8); img[0, 0] = (200, 100, 50)
        >>> max_rgb(img)[0, 0].tolist()
        [132, 132, 132]
    """
    return shades_of_gray(image, p=float("inf"), gamma=gamma)


def colour_constancy(image: np.ndarray, method: str = "shades_of_gray", p: float | None = None, gamma: float | None = None) -> np.ndarray:
    """Apply a colour-constancy method by name (:data:`METHODS`); ``p`` overrides the method's norm.

    Example:
        >>> colour_constancy(np.full((2, 2, 3), (90, 60, 30), np.uint8), "gray_world")[0, 0].tolist()
        [65, 65, 65]
    """
    if method not in METHODS:
        raise ConfigError(f"unknown colour-constancy method {method!r}; known: {', '.join(METHODS)}")
    return shades_of_gray(image, p=METHODS[method] if p is None else p, gamma=gamma)
