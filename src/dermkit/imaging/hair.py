"""Hair detection and removal in the DullRazor manner (Lee et al., 1997).

Dark hairs are thin dark lines: a morphological black-hat (closing minus image) of the grayscale
image with a structuring element wider than a hair lights them up; a threshold gives the hair
mask, small specks are dropped, the mask is dilated a little, and OpenCV's inpainting fills the
hair pixels from the surrounding skin.

Example:
    >>> img = np.full((64, 64, 3), 200, np.uint8); img[30:32, :] = 20   # a dark horizontal "hair"
    >>> clean, mask = remove_hair(img)
    >>> bool(mask[30, 10]), int(clean[30, 10, 0]) > 150
    (True, True)
"""

from __future__ import annotations

import cv2
import numpy as np

from dermkit.errors import ConfigError
from dermkit.imaging._checks import check_image

_INPAINT = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}


def default_kernel_size(shape: tuple[int, ...]) -> int:
    """Black-hat kernel side for an image of ``shape``: about 1/28 of the short side, odd, at least 5.

    DullRazor's 17 px at ~500 px images scales to 9 px at 256 px.
    """
    k = max(5, int(round(min(shape[:2]) / 28)))
    return k + 1 - k % 2


def hair_mask(
    image: np.ndarray,
    kernel_size: int | None = None,
    threshold: float = 12.0,
    min_area: int | None = None,
    dilate: int = 1,
) -> np.ndarray:
    """Bool mask of dark hair pixels: black-hat response above ``threshold`` (grey levels 0-255).

    Connected specks smaller than ``min_area`` pixels (default: ``2 * kernel_size``) are dropped;
    the result is dilated by ``dilate`` pixels to catch hair edges.

    Example:
        >>> img = np.full((64, 64, 3), 200, np.uint8); img[:, 40] = 30
        >>> int(hair_mask(img, dilate=0)[:, 40].sum())
        64
    """
    rgb = check_image(image, min_side=3)
    k = default_kernel_size(rgb.shape) if kernel_size is None else int(kernel_size)
    if k < 3:
        raise ConfigError(f"kernel_size must be at least 3, got {kernel_size}")
    if dilate < 0:
        raise ConfigError(f"dilate must be >= 0, got {dilate}")
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    blackhat = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, element)
    mask = (blackhat > threshold).astype(np.uint8)
    area = 2 * k if min_area is None else int(min_area)
    if area > 1 and mask.any():
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        keep = stats[:, cv2.CC_STAT_AREA] >= area
        keep[0] = False
        mask = keep[labels].astype(np.uint8)
    if dilate:
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilate + 1, 2 * dilate + 1)))
    return mask.astype(bool)


def remove_hair(
    image: np.ndarray,
    kernel_size: int | None = None,
    threshold: float = 12.0,
    min_area: int | None = None,
    dilate: int = 1,
    inpaint_radius: int = 3,
    method: str = "telea",
) -> tuple[np.ndarray, np.ndarray]:
    """DullRazor hair removal: ``(clean RGB uint8, bool hair mask)``.

    ``method`` is OpenCV's inpainting algorithm, ``"telea"`` (default) or ``"ns"`` (Navier-Stokes).

    Example:
        >>> img = np.full((64, 64, 3), 180, np.uint8); img[20:22, 5:60] = 10
        >>> clean, mask = remove_hair(img)
        >>> int(np.abs(clean.astype(int) - 180).max()) < 20
        True
    """
    if method not in _INPAINT:
        raise ConfigError(f"unknown inpainting method {method!r}; known: {', '.join(_INPAINT)}")
    rgb = check_image(image, min_side=3)
    mask = hair_mask(rgb, kernel_size=kernel_size, threshold=threshold, min_area=min_area, dilate=dilate)
    if not mask.any():
        return rgb.copy(), mask
    clean = cv2.inpaint(rgb, mask.astype(np.uint8), float(inpaint_radius), _INPAINT[method])
    return clean, mask
