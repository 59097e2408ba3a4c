"""The skin layer: colour from a two-chromophore (melanin, haemoglobin) model, texture, light.

Reflectance in linear RGB follows Beer-Lambert over a melanin-free, bloodless base plus a small
surface reflection: ``R = S + (BASE - S) * exp(-(m * K_MELANIN + h * K_HAEMOGLOBIN))``.
Melanin's absorption falls with wavelength (a flattened lambda^-3.5 law, Jacques 1998),
haemoglobin's peaks in the green; the RGB channels stand for
~620, 540 and 460 nm. The melanin content ``m`` that gives a target ITA is found by inverting
the model through CIELAB (:func:`melanin_for_ita`), so the skin's ITA (and with it the ITA
category and the Fitzpatrick estimate of :mod:`dermkit.imaging.ita`) is a parameter.

Example:
    >>> import numpy as np
    >>> from skimage.color import rgb2lab
    >>> from dermkit.imaging.ita import ita_from_lab
    >>> lab = rgb2lab(skin_colour(30.0)[None, None])[0, 0]
    >>> round(float(ita_from_lab(lab[0], lab[2])))
    30
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from dermkit.errors import ConfigError
from dermkit.synth._noise import coordinates, fractal_noise, voronoi_edges

K_MELANIN = np.array([0.55, 0.80, 1.15], np.float32)
K_HAEMOGLOBIN = np.array([0.06, 0.75, 0.42], np.float32)
BASE_REFLECTANCE = np.array([0.96, 0.90, 0.84], np.float32)
SURFACE_REFLECTANCE = 0.03
"""Light scattered back by the stratum corneum before any absorption (desaturates dark skin)."""
ITA_LIMITS = (-60.0, 82.0)
"""ITA angles the model can render (degrees)."""

_LUT_SIZE = 4096
_SRGB_LUT = np.clip(np.round(255 * np.where(np.linspace(0, 1, _LUT_SIZE) <= 0.0031308, 12.92 * np.linspace(0, 1, _LUT_SIZE), 1.055 * np.linspace(0, 1, _LUT_SIZE) ** (1 / 2.4) - 0.055)), 0, 255).astype(np.uint8)


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] (or uint8) to linear RGB in [0, 1]."""
    x = np.asarray(rgb, np.float32)
    if np.asarray(rgb).dtype == np.uint8:
        x = x / 255.0
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb8(linear: np.ndarray) -> np.ndarray:
    """Linear RGB in [0, 1] to sRGB uint8 through a lookup table (fast for whole images)."""
    idx = np.clip(linear * (_LUT_SIZE - 1) + 0.5, 0, _LUT_SIZE - 1).astype(np.int32)
    return _SRGB_LUT[idx]


def reflectance(melanin: np.ndarray | float, haemoglobin: np.ndarray | float) -> np.ndarray:
    """Linear RGB reflectance for melanin and haemoglobin contents (arrays broadcast; last axis is RGB)."""
    m = np.asarray(melanin, np.float32)[..., None]
    h = np.asarray(haemoglobin, np.float32)[..., None]
    return SURFACE_REFLECTANCE + (BASE_REFLECTANCE - SURFACE_REFLECTANCE) * np.exp(-(m * K_MELANIN + h * K_HAEMOGLOBIN))


@lru_cache(maxsize=64)
def _ita_curve(haemoglobin: float) -> tuple[np.ndarray, np.ndarray]:
    from skimage.color import rgb2lab

    from dermkit.imaging.ita import ita_from_lab

    m = np.linspace(0.0, 12.0, 1200, dtype=np.float32)
    srgb = linear_to_srgb8(reflectance(m, np.full_like(m, haemoglobin)))
    lab = rgb2lab(srgb[None].astype(np.float64) / 255.0)[0]
    return m, np.asarray(ita_from_lab(lab[:, 0], lab[:, 2]))


def melanin_for_ita(ita: float, haemoglobin: float = 0.3) -> float:
    """The melanin content whose skin colour has the ITA angle ``ita`` (degrees) at this haemoglobin.

    Example:
        >>> melanin_for_ita(60.0) < melanin_for_ita(0.0)
        True
    """
    if not ITA_LIMITS[0] <= ita <= ITA_LIMITS[1]:
        raise ConfigError(f"target ITA {ita} is outside the renderable range {ITA_LIMITS}")
    m, itas = _ita_curve(round(float(haemoglobin), 3))
    # ITA falls monotonically with melanin; np.interp needs increasing x.
    return float(np.interp(ita, itas[::-1], m[::-1]))


def skin_colour(ita: float, haemoglobin: float = 0.3) -> np.ndarray:
    """sRGB colour in [0, 1] of skin with the given ITA and haemoglobin (see the module example)."""
    return linear_to_srgb8(reflectance(melanin_for_ita(ita, haemoglobin), haemoglobin)).astype(np.float32) / 255.0


def render_skin(size: int, ita: float, rng: np.random.Generator, haemoglobin: float = 0.3, texture: float = 1.0) -> np.ndarray:
    """Linear-RGB float32 skin of ``size x size``: chromophore mottling, furrows, pores and soft light.

    The median colour stays at the target ITA: mottling is symmetric and furrows/pores touch few pixels.

    Example:
        >>> render_skin(64, 40.0, np.random.default_rng(0)).shape
        (64, 64, 3)
    """
    m0 = melanin_for_ita(ita, haemoglobin)
    # Chromophore mottling is smooth: compute the colour at a quarter of the resolution, upsample.
    lo = max(16, size // 4)
    mel = m0 * (1.0 + 0.06 * texture * fractal_noise(lo, rng, scale=lo / 3, octaves=4))
    hb = haemoglobin * (1.0 + 0.18 * texture * fractal_noise(lo, rng, scale=lo / 3, octaves=3))
    skin = cv2.resize(reflectance(mel, np.maximum(hb, 0.0)), (size, size), interpolation=cv2.INTER_CUBIC)
    # Furrows: a coarse polygonal network of shallow lines (dermatoglyphics), fading in and out.
    furrows = voronoi_edges(size, rng, cell=size / rng.uniform(5, 9), width=0.6, jitter=0.9)
    furrows *= np.clip(0.5 + 0.5 * fractal_noise(size, rng, scale=size / 3, octaves=2), 0, 1)
    # Pores / follicular openings: sparse faint dots.
    pores = np.zeros((size, size), np.float32)
    ys, xs = rng.integers(0, size, size=(2, int(size * size / 900 * texture)))
    pores[ys, xs] = 1.0
    pores = np.minimum(cv2.GaussianBlur(pores, (0, 0), 0.8 * max(1.0, size / 256)) * 5.0, 1.0)
    grain = rng.standard_normal((size, size), dtype=np.float32)  # fine keratin / sensor grain
    shade = 1.0 - texture * (0.06 * furrows + 0.10 * pores - 0.015 * grain)
    # Dermoscope light: a mild tilt and a soft fall-off towards the rim.
    yy, xx = coordinates(size)
    yy, xx = yy / size - 0.5, xx / size - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    light = 1.0 + rng.uniform(0.0, 0.06) * (np.cos(angle) * xx + np.sin(angle) * yy) * 2 - rng.uniform(0.0, 0.12) * (xx**2 + yy**2)
    return (skin * (shade * light)[..., None]).astype(np.float32)
