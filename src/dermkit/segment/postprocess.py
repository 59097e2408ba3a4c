"""Switchable post-processing of a lesion probability map: threshold, largest connected
component, hole filling and morphological smoothing (scikit-image / scipy).

Each step can be switched off (:class:`Postprocessing`), so its effect can be measured alone.
The steps run in the order threshold → largest component → hole filling → smoothing (an opening
then a closing with a disk, OpenCV), then the largest component is taken again if smoothing split it.

An empty result (no pixel above the threshold) stays empty: every step maps an empty mask to
an empty mask, and :func:`dermkit.evaluate.segmentation.jaccard` scores it 0 against a lesion.

Example:
    >>> prob = np.zeros((9, 9)); prob[1:4, 1:4] = 0.9; prob[5:9, 5:9] = 0.8; prob[6, 6] = 0.1
    >>> int(postprocess(prob, Postprocessing()).sum())   # the bigger square, its hole filled
    16
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

import numpy as np

from dermkit.errors import ConfigError, DataError


@dataclass(frozen=True)
class Postprocessing:
    """Which post-processing steps run.

    ``smooth_radius`` is the disk radius in pixels for an image whose short side is 256 px; it
    scales with the image (10 px at 1024 px for ``smooth_radius=2.5``), so one setting suits
    every resolution. 0 switches smoothing off.
    """

    threshold: float = 0.5
    largest_component: bool = True
    fill_holes: bool = True
    smooth_radius: float = 0.0

    def __post_init__(self) -> None:
        for name in ("threshold", "smooth_radius"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ConfigError(f"{name} must be a number, got {value!r}")
        if not 0.0 < self.threshold < 1.0:
            raise ConfigError(f"threshold must be in (0, 1), got {self.threshold}")
        if not (self.smooth_radius >= 0 and math.isfinite(self.smooth_radius)):  # also refuses NaN
            raise ConfigError(f"smooth_radius must be a number >= 0, got {self.smooth_radius}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings (stored in a run's config)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Postprocessing":
        """Settings from :meth:`to_dict` output; unknown keys raise :class:`ConfigError`."""
        data = dict(data or {})
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown post-processing option(s): {', '.join(sorted(unknown))}")
        return cls(**data)


def largest_component(mask: np.ndarray) -> np.ndarray:
    """Keep the largest 8-connected component of a bool mask (an empty mask stays empty).

    Example:
        >>> largest_component(np.array([[1, 0, 1, 1]], bool)).tolist()
        [[False, False, True, True]]
    """
    from skimage.measure import label

    labels = label(mask, connectivity=2)
    if labels.max() == 0:
        return np.zeros_like(mask, dtype=bool)
    counts = np.bincount(labels.ravel())
    counts[0] = 0
    return labels == int(counts.argmax())


def postprocess(prob: np.ndarray, settings: Postprocessing = Postprocessing()) -> np.ndarray:
    """Turn an ``(H, W)`` lesion probability map into a bool mask with the steps of ``settings``.

    Probabilities outside [0, 1] (e.g. raw logits) raise :class:`DataError`.

    Example:
        >>> bool(postprocess(np.full((4, 4), 0.7), Postprocessing(largest_component=False)).all())
        True
    """
    import cv2
    from scipy import ndimage

    p = np.asarray(prob, dtype=np.float32)
    if p.ndim != 2:
        raise DataError(f"expected a 2-D probability map, got shape {p.shape}")
    if p.size and (p.min() < 0.0 or p.max() > 1.0 or not np.isfinite(p).all()):
        raise DataError("probability map has values outside [0, 1]; apply a sigmoid to logits first")
    mask = p > settings.threshold
    if settings.largest_component:
        mask = largest_component(mask)
    if settings.fill_holes:
        mask = ndimage.binary_fill_holes(mask)
    radius = int(round(settings.smooth_radius * min(p.shape) / 256.0))
    if settings.smooth_radius and radius >= 1:
        disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        smooth = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, disk)
        mask = cv2.morphologyEx(smooth, cv2.MORPH_CLOSE, disk, borderType=cv2.BORDER_REPLICATE) > 0
        if settings.largest_component:
            mask = largest_component(mask)
    return mask
