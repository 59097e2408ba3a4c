"""Move an image's skin to a target ITA while keeping the lesion's contrast with the skin.

The healthy skin's median colour (L*, b*) is measured with :func:`~dermkit.imaging.skin_tone.
measure_ita`; a target colour with the requested ITA is chosen on the line of constant b*
(L* = 50 + b* tan(ITA)), with b* changed only where L* would leave [15, 92]; then the same CIELAB
offset (dL*, db*) is added to every pixel, lesion included. An additive Lab offset leaves every
colour difference (ΔE) between lesion and skin unchanged, except where the result leaves the sRGB
gamut and is clipped (e.g. a very dark lesion moved onto very dark skin). Dark corners and glare
keep their colour (they are not skin), through a soft weight. The offset is refined by re-measuring
(``max_iter`` steps) so the *measured* ITA of the output lands on the target.

Used for counterfactual tests ("same lesion, other skin tone") and the CIRCLe regulariser; the
albumentations transform :class:`SkinToneShift` draws a random target per image.

Example:
    >>> from dermkit.imaging.skin_tone import measure_ita
    >>> img = np.full((64, 64, 3), (224, 190, 160), np.uint8)
    >>> out = shift_skin_tone(img, target_ita=-20.0)
    >>> abs(measure_ita(out).ita + 20.0) < 1.0
    True
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import albumentations as A
import cv2
import numpy as np

from dermkit.errors import ConfigError, DataError
from dermkit.imaging._checks import check_image, check_mask
from dermkit.imaging._lab import lab_to_rgb, rgb_to_lab
from dermkit.imaging.skin_tone import _dark_border_regions, measure_ita

L_RANGE = (15.0, 92.0)  # target skin L* is kept inside this range; b* absorbs the rest
ITA_RANGE = (-80.0, 80.0)


def target_skin_colour(L: float, b: float, target_ita: float) -> tuple[float, float]:
    """``(L*, b*)`` with ITA ``target_ita`` nearest to keeping ``b``: L* moves, b* only if L* hits its range.

    Example:
        >>> target_skin_colour(70.0, 16.0, 0.0)
        (50.0, 16.0)
    """
    t = math.tan(math.radians(target_ita))
    b_new = max(float(b), 4.0)
    L_new = 50.0 + b_new * t
    if not L_RANGE[0] <= L_new <= L_RANGE[1]:
        L_new = min(max(L_new, L_RANGE[0]), L_RANGE[1])
        b_new = (L_new - 50.0) / t
    return L_new, b_new


def _keep_weight(lab: np.ndarray, lesion: np.ndarray | None) -> np.ndarray:
    """1 on skin and lesion, fading to 0 on dark corners and glare (which keep their colour)."""
    L = lab[:, :, 0]
    fixed = _dark_border_regions(L, np.ones(L.shape, bool), 0.5) | (
        (L > 92.0) & (np.hypot(lab[:, :, 1], lab[:, :, 2]) < 8.0)
    )
    if lesion is not None:
        fixed &= ~lesion
    if not fixed.any():
        return np.ones(L.shape, np.float32)
    sigma = max(1.0, min(L.shape) / 128)
    return 1.0 - cv2.GaussianBlur(fixed.astype(np.float32), (0, 0), sigma)


def shift_skin_tone(
    image: np.ndarray,
    target_ita: float,
    mask: np.ndarray | None = None,
    *,
    max_iter: int = 3,
    tol: float = 0.5,
    **measure_kw: Any,
) -> np.ndarray:
    """Return a copy of ``image`` (RGB uint8) whose healthy skin measures ``target_ita`` degrees.

    ``mask`` is the lesion (recommended; else estimated); ``measure_kw`` go to
    :func:`~dermkit.imaging.skin_tone.measure_ita`. Iterates until the measured ITA is within
    ``tol`` degrees of the target or ``max_iter`` refinements were made.
    Raises :class:`DataError` when the image has no healthy skin to measure.

    Example:
        >>> img = np.full((32, 32, 3), (150, 110, 80), np.uint8)
        >>> bool(shift_skin_tone(img, 50.0).mean() > img.mean())
        True
    """
    if isinstance(target_ita, bool) or not isinstance(target_ita, numbers.Real) or not ITA_RANGE[0] <= target_ita <= ITA_RANGE[1]:
        raise ConfigError(f"target_ita must be a number within {ITA_RANGE[0]}..{ITA_RANGE[1]} degrees, got {target_ita!r}")
    rgb = check_image(image, min_side=8)
    lesion = None if mask is None else check_mask(mask, rgb.shape, name="lesion mask")
    est = measure_ita(rgb, lesion, **measure_kw)
    if not math.isfinite(est.ita):
        raise DataError("shift_skin_tone: no healthy-skin pixels to measure (is the whole image lesion?)")
    lab = rgb_to_lab(rgb)
    weight = _keep_weight(lab, lesion)
    L_goal, b_goal = target_skin_colour(est.L, est.b, float(target_ita))
    dL, db = L_goal - est.L, b_goal - est.b
    out = rgb
    for _ in range(max_iter + 1):
        shifted = lab.copy()
        shifted[:, :, 0] += weight * dL
        shifted[:, :, 2] += weight * db
        out = lab_to_rgb(shifted)
        now = measure_ita(out, lesion, **measure_kw)
        if not math.isfinite(now.ita) or abs(now.ita - target_ita) <= tol:
            break
        L_fix, b_fix = target_skin_colour(now.L, now.b, float(target_ita))
        dL += L_fix - now.L
        db += b_fix - now.b
    return out


class SkinToneShift(A.ImageOnlyTransform):
    """Albumentations transform: move the skin to a random (or fixed) target ITA.

    ``target_ita`` is a number (fixed target) or a ``(low, high)`` range sampled uniformly per
    image from albumentations' seeded generator. With ``use_mask`` the sample's ``mask`` (lesion)
    is used for measuring the skin; the mask itself is not changed. Place it before
    ``Normalize``: it works on RGB uint8 images.

    Example:
        >>> import albumentations as A
        >>> t = A.Compose([SkinToneShift(target_ita=(-40, 50), p=1.0)], seed=0)
        >>> t(image=np.full((32, 32, 3), (200, 160, 130), np.uint8))["image"].dtype
        dtype('uint8')
    """

    def __init__(self, target_ita: float | Sequence[float] = (-50.0, 60.0), use_mask: bool = True, p: float = 0.5):
        super().__init__(p=p)
        bounds = (float(target_ita),) * 2 if np.isscalar(target_ita) else tuple(float(v) for v in target_ita)
        if len(bounds) != 2 or bounds[0] > bounds[1] or bounds[0] < ITA_RANGE[0] or bounds[1] > ITA_RANGE[1]:
            raise ConfigError(f"target_ita must be a number or a (low, high) range within {ITA_RANGE}, got {target_ita}")
        self.target_ita = bounds
        self.use_mask = use_mask

    def get_params_dependent_on_data(self, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """Draw the target ITA and pick up the lesion mask."""
        mask = data.get("mask") if self.use_mask else None
        return {"target": self.py_random.uniform(*self.target_ita), "lesion": mask}

    def apply(self, img: np.ndarray, target: float = 0.0, lesion: np.ndarray | None = None, **params: Any) -> np.ndarray:
        """Shift one image."""
        if img.dtype != np.uint8:
            raise DataError(f"SkinToneShift expects RGB uint8 images (place it before Normalize), got {img.dtype}")
        return shift_skin_tone(img, target, lesion)

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        """Arguments for albumentations' serialisation."""
        return ("target_ita", "use_mask")
