"""Skin tone of an image: the Individual Typology Angle (ITA) of its healthy skin.

ITA is computed per pixel with :func:`dermkit.imaging.ita.ita_from_lab` (``arctan`` of the ratio,
not ``atan2``; see that module) on **healthy-skin pixels only**. :func:`skin_mask` drops

* the lesion: the given mask, else an automatic estimate (Otsu's threshold on a smoothed L*
  channel, kept only when the dark class is clearly darker than the rest), widened by a margin;
* hair: the DullRazor black-hat detector of :mod:`dermkit.imaging.hair`;
* dark corners and vignetting: pixels much darker than the bright skin that are connected to
  the image border (the dermatoscope's round field of view), plus a thin outer frame;
* glare: near-white pixels (L* > 92 with chroma below 8, or every channel at 250+).

The remaining per-pixel ITAs are reduced to one number by a robust aggregation
(:data:`AGGREGATIONS`): ``median`` (default; robust to up to half the pixels being outliers),
``trimmed_mean`` (mean of the central 60%), ``mode`` (peak of a Gaussian kernel density of the
ITAs, the most robust to leftover lesion or shadow but noisier) and ``lab_median`` (ITA of the
median L* and median b*, as in studies that average the colour first). Work is done at a
reduced resolution (``max_side``, default 128 px): ITA is a colour statistic and averaging
pixels barely changes it, while it makes estimation several times faster.

An estimate is flagged ``reliable=False`` when fewer than ``min_skin_fraction`` of the pixels are
healthy skin (with no skin pixel at all, an all-lesion image, ``ita`` is NaN), or when the skin's
median b* is below ``min_skin_b`` (default :data:`MIN_SKIN_B`). Skin of every tone is yellowish
(b* of roughly 8-25); a b* near or below zero means a blue or grey colour cast (some dermatoscopes'
white balance), where the ratio (L* - 50) / b* is ill-conditioned: light skin at L* 76, b* -2
gives ITA -82°, "dark". The ITA is still returned, but should not be trusted.

Example:
    >>> from dermkit.imaging._lab import lab_to_rgb
    >>> img = lab_to_rgb(np.tile(np.array([70.0, 10.0, 16.0], np.float32), (96, 96, 1)))
    >>> est = measure_ita(img)  # ITA of L*=70, b*=16 is 51.3°; 8-bit rounding moves it a little
    >>> round(est.ita), est.category, est.fitzpatrick, est.reliable
    (52, 'light', 2, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.stats import trim_mean

from dermkit.errors import ConfigError
from dermkit.imaging._checks import check_image, check_mask
from dermkit.imaging._lab import rgb_to_lab
from dermkit.imaging.hair import hair_mask
from dermkit.imaging.ita import FITZPATRICK_SCHEMES, ita_category, ita_from_lab, ita_to_fitzpatrick

MIN_SIDE = 8  # smaller images cannot be told apart into skin, lesion and border
MAX_PIXELS = 4096  # skin pixels aggregated at most (an even subsample of more)
MIN_SKIN_B = 3.0  # median skin b* below this: a colour cast, ITA ill-conditioned (module note)


@dataclass(frozen=True)
class ToneEstimate:
    """The skin tone of one image.

    ``n_skin_pixels`` counts healthy-skin pixels at the image's own resolution (estimated from
    the working resolution); ``L`` and ``b`` are the median L* and b* of those pixels.
    """

    ita: float
    category: str | None
    fitzpatrick: int | None
    reliable: bool
    n_skin_pixels: int
    skin_fraction: float
    L: float
    b: float
    method: str

    def as_dict(self) -> dict[str, object]:
        """The fields as a plain dict (for tables and JSON)."""
        return asdict(self)


def _mode(ita: np.ndarray, L: np.ndarray, b: np.ndarray) -> float:
    """Peak of a Gaussian kernel density of the ITAs (Silverman bandwidth, 0.25° grid)."""
    step = 0.25
    counts, edges = np.histogram(ita, bins=int(180 / step), range=(-90.0, 90.0))
    bandwidth = 1.06 * float(np.std(ita)) * len(ita) ** -0.2
    density = gaussian_filter1d(counts.astype(np.float64), sigma=float(np.clip(bandwidth, 0.5, 5.0)) / step)
    return float(edges[int(np.argmax(density))] + step / 2)


AGGREGATIONS: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], float]] = {
    "median": lambda ita, L, b: float(np.median(ita)),
    "trimmed_mean": lambda ita, L, b: float(trim_mean(ita, 0.2)),
    "mode": _mode,
    "lab_median": lambda ita, L, b: float(ita_from_lab(np.median(L), np.median(b))),
}


def _odd(n: float) -> int:
    k = max(1, int(round(n)))
    return k + 1 - k % 2


def _ellipse(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _dark_border_regions(L: np.ndarray, valid: np.ndarray, ratio: float) -> np.ndarray:
    """Pixels darker than ``ratio`` x the bright skin's L* that are connected to the image border.

    An opening first cuts thin dark bridges (hairs) so a lesion reached by a hair is not taken in;
    the regions found are widened a little to cover their soft rim.
    """
    ref = float(np.percentile(L[valid], 90)) if valid.any() else float(L.max())
    dark = (L < ratio * ref).astype(np.uint8)
    if not dark.any():
        return dark.astype(bool)
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, _ellipse(max(3, _odd(min(L.shape) / 40))))
    _, labels = cv2.connectedComponents(dark, connectivity=8)
    on_border = np.zeros(int(labels.max()) + 1, np.uint8)
    on_border[np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])] = 1
    on_border[0] = 0
    corners = on_border[labels]
    return cv2.dilate(corners, _ellipse(max(3, _odd(min(L.shape) / 32)))).astype(bool)  # their soft rim


def _glare(rgb: np.ndarray, lab: np.ndarray) -> np.ndarray:
    """Near-white pixels (L* > 92 with chroma < 8, or all channels >= 250), widened by 2 pixels."""
    glare = lab[:, :, 0] > 92.0
    if glare.any():
        glare[glare] = np.hypot(lab[:, :, 1][glare], lab[:, :, 2][glare]) < 8.0
    glare |= cv2.inRange(rgb, (250, 250, 250), (255, 255, 255)) > 0
    if not glare.any():
        return glare
    return cv2.dilate(glare.astype(np.uint8), _ellipse(5)).astype(bool)


def estimate_lesion_mask(
    lab: np.ndarray, valid: np.ndarray | None = None, min_contrast: float = 8.0, min_skin_share: float = 0.15
) -> np.ndarray:
    """Automatic lesion estimate: the darker Otsu class of the smoothed L* channel, or nothing.

    ``valid`` restricts the pixels the threshold is computed from (e.g. without glare and dark
    corners). The dark class counts as lesion only when its median L* is at least
    ``min_contrast`` below the bright class's and the bright class (the skin) holds at least
    ``min_skin_share`` of the pixels (else the "bright" class is a few outliers such as glare
    edges); small specks are removed by a morphological opening.

    Example:
        >>> from dermkit.imaging._lab import lab_to_rgb
        >>> img = np.full((64, 64, 3), 200, np.uint8); img[20:44, 20:44] = 90
        >>> m = estimate_lesion_mask(rgb_to_lab(img))
        >>> bool(m[32, 32]), bool(m[2, 2])
        (True, False)
    """
    L = lab[:, :, 0]
    valid = np.ones(L.shape, bool) if valid is None else valid
    if valid.sum() < 16:
        return np.zeros(L.shape, bool)
    sigma = max(1.0, min(L.shape) / 100)
    smooth = cv2.GaussianBlur(L, (0, 0), sigma)
    values = smooth[valid]
    if float(values.max() - values.min()) < min_contrast:
        return np.zeros(L.shape, bool)
    levels = np.clip(values * 2.55, 0, 255).astype(np.uint8).reshape(-1, 1)  # L* in 256 levels
    t, _ = cv2.threshold(levels, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = (smooth * 2.55 < t + 1) & valid
    bright = valid & ~dark
    if not dark.any() or bright.sum() < min_skin_share * valid.sum():
        return np.zeros(L.shape, bool)
    if float(np.median(smooth[bright]) - np.median(smooth[dark])) < min_contrast:
        return np.zeros(L.shape, bool)
    k = _odd(min(L.shape) / 40)
    return cv2.morphologyEx(dark.astype(np.uint8), cv2.MORPH_OPEN, _ellipse(max(3, k))).astype(bool)


def _skin_selection(
    rgb: np.ndarray,
    lab: np.ndarray,
    lesion: np.ndarray | None,
    exclude_hair: bool,
    exclude_dark_corners: bool,
    exclude_glare: bool,
    lesion_margin: float,
    border: float,
    corner_ratio: float,
) -> np.ndarray:
    h, w = lab.shape[:2]
    L = lab[:, :, 0]
    keep = np.ones((h, w), bool)
    if border > 0:
        bw = int(round(border * min(h, w)))
        if bw:
            keep[:bw], keep[-bw:], keep[:, :bw], keep[:, -bw:] = False, False, False, False
    if exclude_glare:
        keep &= ~_glare(rgb, lab)
    if exclude_dark_corners:
        keep &= ~_dark_border_regions(L, keep, corner_ratio)
    if exclude_hair and min(h, w) >= 16:
        keep &= ~hair_mask(rgb, threshold=10.0, min_area=1, dilate=1)
    if lesion is None:
        lesion = estimate_lesion_mask(lab, keep)
    if lesion.any():
        margin = _odd(2 * lesion_margin * min(h, w))
        if margin > 1:
            lesion = cv2.dilate(lesion.astype(np.uint8), _ellipse(margin)).astype(bool)
        keep &= ~lesion
    return keep


def _working_copy(rgb: np.ndarray, lesion: np.ndarray | None, max_side: int | None):
    h, w = rgb.shape[:2]
    if max_side is None or max(h, w) <= max_side:
        return rgb, lesion
    scale = max_side / max(h, w)
    size = (max(MIN_SIDE, round(w * scale)), max(MIN_SIDE, round(h * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    if lesion is not None:  # a pixel touched by lesion counts as lesion
        lesion = cv2.resize(lesion.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
    return small, lesion


def skin_mask(
    image: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    exclude_hair: bool = True,
    exclude_dark_corners: bool = True,
    exclude_glare: bool = True,
    lesion_margin: float = 0.03,
    border: float = 0.02,
    corner_ratio: float = 0.5,
) -> np.ndarray:
    """Bool mask of the healthy-skin pixels of ``image`` (full resolution); see the module notes.

    ``mask`` is the lesion (bool or {0,255}, the image's size); without it the lesion is estimated.
    ``lesion_margin`` widens the lesion by that fraction of the short side; ``border`` drops an
    outer frame of that fraction; ``corner_ratio`` sets how dark (relative to the bright skin)
    border-connected regions must be to count as dark corners.

    Example:
        >>> img = np.full((64, 64, 3), (220, 180, 150), np.uint8); img[24:40, 24:40] = (90, 60, 40)
        >>> m = skin_mask(img)
        >>> bool(m[32, 32]), bool(m[10, 10])
        (False, True)
    """
    rgb = check_image(image, min_side=MIN_SIDE)
    lesion = None if mask is None else check_mask(mask, rgb.shape, name="lesion mask")
    return _skin_selection(rgb, rgb_to_lab(rgb), lesion, exclude_hair, exclude_dark_corners, exclude_glare, lesion_margin, border, corner_ratio)


def measure_ita(
    image: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    method: str = "median",
    max_side: int | None = 128,
    min_skin_fraction: float = 0.05,
    min_skin_b: float = MIN_SKIN_B,
    scheme: str = "kinyanjui",
    exclude_hair: bool = True,
    exclude_dark_corners: bool = True,
    exclude_glare: bool = True,
    lesion_margin: float = 0.03,
    border: float = 0.02,
    corner_ratio: float = 0.5,
) -> ToneEstimate:
    """Measure the ITA of the healthy skin of an RGB image (any layout :func:`check_image` takes).

    ``mask`` is the lesion mask when known. ``method`` is one of :data:`AGGREGATIONS`;
    ``max_side`` the working resolution (``None``: full size); ``min_skin_fraction`` and
    ``min_skin_b`` the reliability limits (module note); ``scheme`` the ITA-to-Fitzpatrick
    mapping (:data:`dermkit.imaging.ita.FITZPATRICK_SCHEMES`). The other keywords are those of
    :func:`skin_mask`.

    Example:
        >>> img = np.full((64, 64, 3), (224, 190, 160), np.uint8)  # L* 79.2, b* 19.7: ITA 56.0
        >>> e = measure_ita(img); round(e.ita), e.category, e.reliable
        (56, 'very_light', True)
    """
    if method not in AGGREGATIONS:
        raise ConfigError(f"unknown ITA aggregation {method!r}; known: {', '.join(AGGREGATIONS)}")
    if scheme not in FITZPATRICK_SCHEMES:
        raise ConfigError(f"unknown Fitzpatrick scheme {scheme!r}; known: {', '.join(FITZPATRICK_SCHEMES)}")
    if max_side is not None and max_side < MIN_SIDE:
        raise ConfigError(f"max_side must be at least {MIN_SIDE}, got {max_side}")
    if not 0.0 <= min_skin_fraction <= 1.0:
        raise ConfigError(f"min_skin_fraction must be in [0, 1], got {min_skin_fraction}")
    rgb = check_image(image, min_side=MIN_SIDE)
    lesion = None if mask is None else check_mask(mask, rgb.shape, name="lesion mask")
    small, small_lesion = _working_copy(rgb, lesion, max_side)
    lab = rgb_to_lab(small)
    keep = _skin_selection(small, lab, small_lesion, exclude_hair, exclude_dark_corners, exclude_glare, lesion_margin, border, corner_ratio)
    n = int(keep.sum())
    fraction = n / keep.size
    n_full = int(round(fraction * rgb.shape[0] * rgb.shape[1]))
    if n == 0:
        return ToneEstimate(float("nan"), None, None, False, 0, 0.0, float("nan"), float("nan"), method)
    L, b = lab[:, :, 0][keep], lab[:, :, 2][keep]
    if n > MAX_PIXELS:  # an even subsample: the statistics move by hundredths of a degree
        L, b = L[:: n // MAX_PIXELS], b[:: n // MAX_PIXELS]
    ita = float(AGGREGATIONS[method](ita_from_lab(L, b), L, b))
    median_b = float(np.median(b))
    return ToneEstimate(
        ita=ita,
        category=ita_category(ita),
        fitzpatrick=ita_to_fitzpatrick(ita, scheme),
        reliable=bool(fraction >= min_skin_fraction and n >= 32 and median_b >= min_skin_b),
        n_skin_pixels=n_full,
        skin_fraction=float(fraction),
        L=float(np.median(L)),
        b=median_b,
        method=method,
    )
