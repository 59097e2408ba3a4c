"""Switchable image pre-processing for segmentation: colour constancy, hair removal, CLAHE.

Each step can be turned on or off independently (:class:`Preprocessing`), so the ablation of
"The effects of image pre- and post-processing ... on U-Nets" can be rerun: the same settings
are applied before training (:func:`preprocess_cases`) and before prediction. Colour constancy
and hair removal come from :mod:`dermkit.imaging`; CLAHE is OpenCV's, on the L* channel.

Example:
    >>> pre = Preprocessing(clahe=True)
    >>> preprocess_image(np.full((8, 8, 3), 128, np.uint8), pre).shape
    (8, 8, 3)
"""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from dermkit.errors import ConfigError


@dataclass(frozen=True)
class Preprocessing:
    """Which pre-processing steps run, in this order: hair removal, colour constancy, CLAHE.

    ``colour_constancy`` is ``None`` or a method of :mod:`dermkit.imaging.colour`
    (``"shades_of_gray"``, ``"gray_world"``, ``"max_rgb"``).
    """

    hair_removal: bool = False
    colour_constancy: str | None = None
    clahe: bool = False
    clahe_clip: float = 2.0
    clahe_tiles: int = 8

    def __post_init__(self) -> None:
        if self.colour_constancy not in (None, "shades_of_gray", "gray_world", "max_rgb"):
            raise ConfigError(f"unknown colour constancy {self.colour_constancy!r}; use shades_of_gray, gray_world or max_rgb")
        check_clahe(self.clahe_clip, self.clahe_tiles)

    @property
    def active(self) -> bool:
        """True when at least one step is on."""
        return self.hair_removal or self.colour_constancy is not None or self.clahe

    @property
    def key(self) -> str:
        """A short name for these settings, e.g. for a folder of images they pre-processed.

        Example:
            >>> Preprocessing().key == Preprocessing().key != Preprocessing(clahe=True).key
            True
        """
        import hashlib
        import json

        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings (stored in a run's config)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Preprocessing":
        """Settings from :meth:`to_dict` output; unknown keys raise :class:`ConfigError`."""
        data = dict(data or {})
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown pre-processing option(s): {', '.join(sorted(unknown))}")
        return cls(**data)


def check_clahe(clip: float, tiles: int) -> None:
    """Raise :class:`ConfigError` unless ``clip`` is a positive finite number and ``tiles`` a whole
    number >= 1 (OpenCV aborts the whole process on a grid of 0 tiles)."""
    clip_ok = isinstance(clip, numbers.Real) and not isinstance(clip, bool) and math.isfinite(clip) and clip > 0
    tiles_ok = isinstance(tiles, numbers.Integral) and not isinstance(tiles, bool) and tiles >= 1
    if not (clip_ok and tiles_ok):
        raise ConfigError(f"CLAHE needs a clip limit > 0 and a whole number of tiles >= 1, got clip={clip!r}, tiles={tiles!r}")


def clahe(image: np.ndarray, clip: float = 2.0, tiles: int = 8) -> np.ndarray:
    """Contrast-limited adaptive histogram equalisation of the L* channel (OpenCV); returns RGB uint8.

    ``image`` is grey, RGB or RGBA, uint8, uint16 or float in [0, 1] (:func:`dermkit.io.to_rgb_uint8`).

    Example:
        >>> clahe(np.zeros((16, 16, 3), np.uint8)).dtype
        dtype('uint8')
    """
    import cv2

    from dermkit.io import to_rgb_uint8

    check_clahe(clip, tiles)
    lab = cv2.cvtColor(to_rgb_uint8(image), cv2.COLOR_RGB2LAB)
    op = cv2.createCLAHE(clipLimit=float(clip), tileGridSize=(int(tiles), int(tiles)))
    lab[:, :, 0] = op.apply(np.ascontiguousarray(lab[:, :, 0]))
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def preprocess_image(image: np.ndarray, settings: Preprocessing) -> np.ndarray:
    """Apply the steps switched on in ``settings`` to one image; returns RGB uint8.

    ``image`` is grey, RGB or RGBA, uint8, uint16 or float in [0, 1] (:func:`dermkit.io.to_rgb_uint8`).

    Example:
        >>> int(preprocess_image(np.zeros((8, 8, 3), np.uint8), Preprocessing()).sum())
        0
    """
    from dermkit.io import to_rgb_uint8

    out = to_rgb_uint8(image)
    if settings.hair_removal:
        from dermkit.imaging.hair import remove_hair

        out, _ = remove_hair(out)
    if settings.colour_constancy is not None:
        from dermkit.imaging.colour import colour_constancy

        out = colour_constancy(out, settings.colour_constancy)
    if settings.clahe:
        out = clahe(out, settings.clahe_clip, settings.clahe_tiles)
    return np.ascontiguousarray(out, dtype=np.uint8)


def preprocess_cases(cases: pd.DataFrame, settings: Preprocessing, out_dir: str | os.PathLike[str], progress: bool = True) -> pd.DataFrame:
    """Pre-process every case's image once into ``out_dir`` and return the table pointing at the copies.

    Images already written by an earlier (interrupted) call are reused, so ``out_dir`` must hold
    images of these settings only (e.g. a folder named by :attr:`Preprocessing.key`). Each copy's
    name carries a digest of its source file's path, size and modification time, so a source
    rewritten at the same path, or another table with the same case ids, is pre-processed again.
    With no step switched on the table is returned unchanged.

    Example:
        >>> pre_cases = preprocess_cases(cases, Preprocessing(clahe=True), "cache/clahe")  # doctest: +SKIP
    """
    import hashlib
    import json

    from dermkit.io import file_identity, file_stems, read_image, write_image
    from rich.progress import track

    if not settings.active:
        return cases
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, src in track(list(zip(file_stems(cases["case_id"], folder), cases["image_path"])), "pre-processing", disable=not progress):
        source = json.dumps([str(Path(src).resolve()), file_identity(src)])
        dst = folder / f"{name}-{hashlib.sha1(source.encode()).hexdigest()[:12]}.png"  # a new source file is a new copy
        if not dst.is_file():
            write_image(dst, preprocess_image(read_image(src), settings))
        paths.append(str(dst))
    out = cases.copy()
    out["image_path"] = pd.Series(paths, index=out.index, dtype="string")
    return out
