"""Colour contrast between a lesion and the skin around it, in the spirit of DDI-CoCo.

DDI-CoCo (Cheng et al., 2023) showed that classifiers fail more on lesions with low colour
contrast against the surrounding skin, more common on dark skin. :func:`colour_contrast` measures
it from a lesion mask: the lesion's median CIELAB colour against that of the healthy skin in a
ring around it (hair, dark corners and glare excluded as in :func:`~dermkit.imaging.skin_tone.
skin_mask`), as CIE76 ΔE (Euclidean Lab distance, the default score), CIEDE2000 ΔE, the L*
difference, the Weber luminance contrast and the ITA difference.

Example:
    >>> img = np.full((64, 64, 3), 200, np.uint8); img[24:40, 24:40] = 100
    >>> m = np.zeros((64, 64), bool); m[24:40, 24:40] = True
    >>> c = colour_contrast(img, m)
    >>> round(c.delta_L), round(c.delta_e)
    (38, 38)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000

from dermkit.errors import ConfigError, DataError
from dermkit.imaging._checks import check_image, check_mask
from dermkit.imaging._lab import rgb_to_lab
from dermkit.imaging.ita import ita_from_lab
from dermkit.imaging.skin_tone import MIN_SIDE, skin_mask


@dataclass(frozen=True)
class ColourContrast:
    """Lesion-vs-skin contrast scores; ``*_lab`` are median (L*, a*, b*) colours."""

    delta_e: float
    delta_e2000: float
    delta_L: float
    weber: float
    delta_ita: float
    lesion_lab: tuple[float, float, float]
    skin_lab: tuple[float, float, float]
    n_lesion: int
    n_skin: int

    def as_dict(self) -> dict[str, object]:
        """The fields as a plain dict."""
        return asdict(self)


def surrounding_skin(image: np.ndarray, mask: np.ndarray, ring: float = 0.1, gap: float = 0.02) -> np.ndarray:
    """Healthy-skin pixels in a ring around the lesion: from ``gap`` to ``gap + ring`` of the short side.

    Falls back to all healthy skin when the ring holds fewer than 32 skin pixels.

    Example:
        >>> img = np.full((64, 64, 3), 200, np.uint8); m = np.zeros((64, 64), bool); m[28:36, 28:36] = True
        >>> s = surrounding_skin(img, m); bool(s[32, 20]), bool(s[2, 2])
        (True, False)
    """
    rgb = check_image(image, min_side=MIN_SIDE)
    lesion = check_mask(mask, rgb.shape, name="lesion mask")
    skin = skin_mask(rgb, lesion, lesion_margin=gap)
    side = min(rgb.shape[:2])
    k = 2 * int(round((gap + ring) * side)) + 1
    near = cv2.dilate(lesion.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(bool)
    in_ring = skin & near
    return in_ring if in_ring.sum() >= 32 else skin


def colour_contrast(image: np.ndarray, mask: np.ndarray, ring: float = 0.1, gap: float = 0.02) -> ColourContrast:
    """Contrast scores of the lesion ``mask`` against its surrounding skin (see :func:`surrounding_skin`).

    Raises :class:`DataError` when the mask is empty or no healthy skin is left.

    Example:
        >>> img = np.full((64, 64, 3), (220, 180, 150), np.uint8); img[24:40, 24:40] = (120, 70, 50)
        >>> m = np.zeros((64, 64), bool); m[24:40, 24:40] = True
        >>> colour_contrast(img, m).delta_e > 30
        True
    """
    if ring <= 0 or gap < 0:
        raise ConfigError(f"ring must be > 0 and gap >= 0, got ring={ring}, gap={gap}")
    rgb = check_image(image, min_side=MIN_SIDE)
    lesion = check_mask(mask, rgb.shape, name="lesion mask")
    if not lesion.any():
        raise DataError("colour_contrast: the lesion mask is empty")
    skin = surrounding_skin(rgb, lesion, ring=ring, gap=gap)
    if not skin.any():
        raise DataError("colour_contrast: no healthy-skin pixels around the lesion (is the whole image lesion?)")
    lab = rgb_to_lab(rgb).astype(np.float64)
    les = np.median(lab[lesion], axis=0)
    sk = np.median(lab[skin], axis=0)
    return ColourContrast(
        delta_e=float(np.linalg.norm(les - sk)),
        delta_e2000=float(deltaE_ciede2000(sk, les)),
        delta_L=float(sk[0] - les[0]),
        weber=float((sk[0] - les[0]) / max(sk[0], 1e-6)),
        delta_ita=float(ita_from_lab(sk[0], sk[2]) - ita_from_lab(les[0], les[2])),
        lesion_lab=tuple(float(v) for v in les),
        skin_lab=tuple(float(v) for v in sk),
        n_lesion=int(lesion.sum()),
        n_skin=int(skin.sum()),
    )
