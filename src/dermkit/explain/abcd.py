"""Clinical ABCD features of a lesion from its mask and image (the dermoscopic ABCD rule).

* **A**symmetry: the lesion is reflected about each of its two principal axes (through the
  centroid, from the second moments; for a shape without distinct axes, such as a square, the
  least asymmetric orthogonal pair); ``asymmetry_major`` / ``asymmetry_minor`` are the shares
  of the lesion's area not covered by its mirror image (0 = perfectly symmetric, 1 = no
  overlap), ``asymmetry_index`` their mean. ``a_score`` (0-2) counts the axes above ``asymmetry_threshold``.
* **B**order: shape indices of the outline - ``compactness`` = P²/(4πA) (1 for an ideal disc,
  larger for ragged outlines; scikit-image's pixel perimeter reads a digital disc as about 1.10
  and a square as 1.21-1.25 against its true 1.27, so compare values measured this way),
  ``solidity`` = A / convex-hull area, ``convexity`` = convex-hull perimeter / P - and
  ``b_score`` (0-8): the number of the eight 45° sectors whose border is abrupt, i.e. whose mean
  L* gradient across the border exceeds ``abrupt_gradient`` (in L* units per 1% of the lesion's
  equivalent diameter, smoothed at 4% of it, so the score hardly depends on resolution: the same
  edge measures within 5% from 96 px to 1 000 px across the image, 15% lower at 48 px).
* **C**olour: each lesion pixel is assigned to the nearest of the six dermoscopic colours
  (white, red, light brown, dark brown, blue-grey, black) in CIELAB if it lies within
  ``max_colour_distance`` ΔE; a colour counts when it covers at least ``min_colour_fraction``
  of the lesion. ``c_score`` is the count, at least 1.
* **D**iameter: the largest Feret diameter in pixels, and in mm when ``mm_per_px`` is known.

``tds`` is the total dermoscopy score of Stolz et al. (1994), ``1.3A + 0.1B + 0.5C + 0.5D``,
where D is the number of differential structures (1-5). Structures cannot be read from a mask:
``structures`` supplies them when known, otherwise D takes its minimum, 1, so ``tds`` is
"TDS-style" - a lower bound of the clinical score. (Clinically TDS > 5.45 suggests melanoma.)

Bad input: a mask of another size than its image, or with values other than {0,1}/{0,255}, raises
:class:`~dermkit.errors.DataError`; an empty mask raises in :func:`abcd_features` and gives a
row of NaN (counted in a warning) in :func:`add_abcd_features`.

Example:
    >>> img = np.full((64, 64, 3), 200, np.uint8); mask = np.zeros((64, 64), bool)
    >>> mask[16:48, 16:48] = True; img[mask] = (90, 50, 25)
    >>> f = abcd_features(img, mask)
    >>> f["asymmetry_major"] < 0.05, f["c_score"], round(f["diameter_px"])
    (True, 1, 45)
"""

from __future__ import annotations

import inspect
import math
import os
import warnings
from typing import Any, Sequence

import numpy as np
import pandas as pd

from dermkit.errors import ConfigError, DataError

#: The six dermoscopic colours of the ABCD rule (sRGB), close to the references of automated
#: ABCD studies (e.g. Kasmi & Mokrani, IET Image Processing 2016).
DERMOSCOPIC_COLOURS: dict[str, tuple[int, int, int]] = {
    "white": (197, 188, 217),
    "red": (118, 21, 17),
    "light_brown": (163, 82, 16),
    "dark_brown": (135, 44, 5),
    "blue_gray": (113, 108, 139),
    "black": (41, 31, 30),
}
#: Columns :func:`add_abcd_features` adds to a case table.
FEATURE_COLUMNS: tuple[str, ...] = (
    "asymmetry_major", "asymmetry_minor", "asymmetry_index", "a_score",
    "compactness", "solidity", "convexity", "b_score",
    *(f"colour_{c}" for c in DERMOSCOPIC_COLOURS), "c_score",
    "diameter_px", "diameter_mm", "tds",
)


def _check(mask: np.ndarray, image: np.ndarray | None = None, source: str = "mask") -> np.ndarray:
    from dermkit.evaluate.segmentation import as_mask

    m = as_mask(mask, source)
    if image is not None and tuple(np.asarray(image).shape[:2]) != m.shape:
        raise DataError(f"{source} is {m.shape[1]}x{m.shape[0]} but its image is {image.shape[1]}x{image.shape[0]} (width x height)")
    if not m.any():
        raise DataError(f"{source} is empty: no lesion pixels to describe")
    return m


def _rgb(image: np.ndarray | str | os.PathLike[str]) -> np.ndarray:
    """The image as RGB uint8 (grey, RGBA, 16-bit and float images converted as :func:`dermkit.io.to_rgb_uint8`
    does), read first when it is a file's path, as the imaging functions do."""
    from dermkit.imaging._checks import check_image

    return check_image(image)


def _check_scale(mm_per_px: float | None) -> None:
    """Raise :class:`ConfigError` unless ``mm_per_px`` is None (scale unknown) or a positive finite number."""
    if mm_per_px is not None and not (isinstance(mm_per_px, (int, float, np.number)) and math.isfinite(mm_per_px) and mm_per_px > 0):
        raise ConfigError(f"mm_per_px must be a positive number of millimetres, got {mm_per_px!r}")


def principal_axes(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centroid ``(row, col)`` and unit major / minor axis directions of a bool mask.

    Example:
        >>> m = np.zeros((9, 9), bool); m[4, 1:8] = True; m[3:6, 4] = True
        >>> np.abs(principal_axes(m)[1]).round(3).tolist()   # the major axis runs along the columns
        [0.0, 1.0]
    """
    centre, _, vectors = _second_moments(_check(mask))
    return centre, vectors[:, 1], vectors[:, 0]


def _second_moments(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centroid, eigenvalues (ascending) and eigenvectors (columns) of a mask's pixel covariance."""
    pts = np.argwhere(m).astype(float)
    centre = pts.mean(axis=0)
    cov = np.cov((pts - centre).T) if len(pts) > 1 else np.eye(2)
    values, vectors = np.linalg.eigh(cov)
    return centre, values, vectors


#: Second moments this close (smaller / larger eigenvalue) leave the principal axes undefined.
ISOTROPIC_RATIO = 0.95


def asymmetry(mask: np.ndarray) -> tuple[float, float]:
    """Asymmetry about the major and minor principal axes: 1 − |M ∩ mirror(M)| / |M| for each.

    A shape whose second moments are (nearly) the same in every direction - a square, a cross,
    a disc - has no defined principal axes; for it the orthogonal pair of axes (in 1° steps) with
    the least asymmetry is used, so a rotated square still scores 0.

    Example:
        >>> m = np.zeros((40, 40), bool); m[10:30, 5:35] = True        # a rectangle: symmetric
        >>> [round(a, 3) for a in asymmetry(m)]
        [0.0, 0.0]
    """
    m = _check(mask)
    centre, values, vectors = _second_moments(m)
    pts = np.argwhere(m)

    def about(axis: np.ndarray, points: np.ndarray = pts) -> float:  # the share of pixels whose mirror image (nearest pixel) is not lesion
        reflect = 2.0 * np.outer(axis, axis) - np.eye(2)
        mirrored = np.floor(centre + (points - centre) @ reflect.T + 0.5).astype(np.int64)
        inside = ((mirrored >= 0) & (mirrored < m.shape)).all(axis=1)
        return float(1.0 - m[mirrored[inside, 0], mirrored[inside, 1]].sum() / len(points))

    major, minor = vectors[:, 1], vectors[:, 0]
    if values[0] >= ISOTROPIC_RATIO * values[1]:  # search the axis pairs on a sample of the pixels, then score the best on all
        sample = pts[:: max(1, len(pts) // 5_000)]
        turns = [(np.array([math.sin(t), math.cos(t)]), np.array([math.cos(t), -math.sin(t)])) for t in np.deg2rad(np.arange(1, 90))]
        major, minor = min([(major, minor), *turns], key=lambda pair: about(pair[0], sample) + about(pair[1], sample))
    return about(major), about(minor)


def border_indices(mask: np.ndarray) -> dict[str, float]:
    """Shape indices of the lesion outline: ``compactness``, ``solidity``, ``convexity``.

    Example:
        >>> m = np.zeros((60, 60), bool); m[10:50, 10:50] = True
        >>> {k: round(v, 2) for k, v in border_indices(m).items()}
        {'compactness': 1.21, 'solidity': 1.0, 'convexity': 1.0}
    """
    from skimage.measure import perimeter, regionprops

    m = _check(mask)
    props = regionprops(m.astype(np.uint8))[0]
    area = float(m.sum())
    p = max(float(perimeter(m)), 1e-9)
    hull_p = float(perimeter(props.image_convex))
    return {
        "compactness": p * p / (4.0 * math.pi * area),
        "solidity": area / float(props.area_convex),
        "convexity": min(1.0, hull_p / p),
    }


def border_score(image: np.ndarray, mask: np.ndarray, abrupt_gradient: float = 2.0, sectors: int = 8) -> int:
    """TDS border score: how many of ``sectors`` angular sectors have an abrupt border.

    The L* channel is smoothed with σ = 4% of the lesion's equivalent diameter (at least 1 px: an
    edge is judged at the same scale at every resolution) and its gradient magnitude averaged over
    the border pixels of each sector, then scaled to L* per 1% of that diameter.

    Example:
        >>> img = np.full((64, 64, 3), 210, np.uint8); m = np.zeros((64, 64), bool)
        >>> m[16:48, 16:48] = True; img[m] = 60                     # a sharp dark square
        >>> border_score(img, m)
        8
    """
    from scipy import ndimage
    from skimage.color import rgb2lab

    m = _check(mask, image)
    diameter = math.sqrt(4.0 * m.sum() / math.pi)
    lum = ndimage.gaussian_filter(rgb2lab(_rgb(image))[:, :, 0], max(1.0, 0.04 * diameter))
    grad = np.hypot(ndimage.sobel(lum, axis=0), ndimage.sobel(lum, axis=1)) / 8.0
    edge = m & ~ndimage.binary_erosion(m)
    rows, cols = np.nonzero(edge)
    centre = np.argwhere(m).mean(axis=0)
    angle = np.arctan2(rows - centre[0], cols - centre[1])
    sector = ((angle + math.pi) / (2 * math.pi) * sectors).astype(int) % sectors
    scale = diameter / 100.0
    score = 0
    for s in range(sectors):
        sel = sector == s
        if sel.any() and grad[rows[sel], cols[sel]].mean() * scale > abrupt_gradient:
            score += 1
    return score


def colour_fractions(image: np.ndarray, mask: np.ndarray, max_colour_distance: float = 40.0) -> dict[str, float]:
    """Share of the lesion's pixels assigned to each dermoscopic colour (nearest in CIELAB, within ΔE).

    Example:
        >>> img = np.zeros((4, 4, 3), np.uint8); img[:] = DERMOSCOPIC_COLOURS["black"]
        >>> colour_fractions(img, np.ones((4, 4), bool))["black"]
        1.0
    """
    from skimage.color import rgb2lab

    m = _check(mask, image)
    lab = rgb2lab(_rgb(image)[m][None])[0]
    refs = rgb2lab(np.array([list(DERMOSCOPIC_COLOURS.values())], dtype=np.uint8))[0]
    dist = np.linalg.norm(lab[:, None, :] - refs[None, :, :], axis=2)
    nearest = dist.argmin(axis=1)
    close = dist[np.arange(len(lab)), nearest] <= max_colour_distance
    counts = np.bincount(nearest[close], minlength=len(refs))
    return {name: float(counts[i] / len(lab)) for i, name in enumerate(DERMOSCOPIC_COLOURS)}


def max_diameter(mask: np.ndarray) -> float:
    """Largest Feret diameter of the lesion in pixels (scikit-image; pixels count by their extent).

    Example:
        >>> m = np.zeros((10, 10), bool); m[2, 1:9] = True
        >>> max_diameter(m)
        8.0
    """
    from skimage.measure import regionprops

    return float(regionprops(_check(mask).astype(np.uint8))[0].feret_diameter_max)


def tds_score(a: float, b: float, c: float, d: float = 1.0) -> float:
    """Total dermoscopy score ``1.3A + 0.1B + 0.5C + 0.5D`` (Stolz et al.).

    Example:
        >>> tds_score(2, 8, 6, 5)
        8.9
    """
    return round(1.3 * a + 0.1 * b + 0.5 * c + 0.5 * d, 6)


def abcd_features(
    image: np.ndarray | str | os.PathLike[str],
    mask: np.ndarray | str | os.PathLike[str],
    mm_per_px: float | None = None,
    structures: int | None = None,
    asymmetry_threshold: float = 0.1,
    abrupt_gradient: float = 2.0,
    max_colour_distance: float = 40.0,
    min_colour_fraction: float = 0.05,
) -> dict[str, float]:
    """All ABCD features of one lesion (the keys of :data:`FEATURE_COLUMNS`).

    ``image`` is grey, RGB or RGBA, uint8, uint16 or float in [0, 1], or an image file; ``mask`` is
    its lesion, of its size, as an array or a mask file. An empty mask is a :class:`DataError`
    (:func:`add_abcd_features` gives such a case NaN features instead). ``mm_per_px`` (a positive number, or None when the scale is unknown) gives
    ``diameter_mm``. ``structures`` is the number of differential structures seen (the TDS D
    term, counted 1 to 5; values outside are clipped, and None counts 1).

    Example:
        >>> f = abcd_features(np.zeros((32, 32, 3), np.uint8), np.pad(np.ones((8, 8), bool), 12), mm_per_px=0.1)
        >>> f["colour_black"], round(f["diameter_mm"], 2)
        (1.0, 1.06)
    """
    _check_scale(mm_per_px)
    image = _rgb(image)
    if isinstance(mask, (str, os.PathLike)):  # read as the importers and segment commands read masks
        from dermkit.io import read_mask

        mask = read_mask(mask, image.shape[:2])
    m = _check(mask, image)
    a_major, a_minor = asymmetry(m)
    colours = colour_fractions(image, m, max_colour_distance)
    c = max(1, sum(v >= min_colour_fraction for v in colours.values()))
    a = int(a_major > asymmetry_threshold) + int(a_minor > asymmetry_threshold)
    b = border_score(image, m, abrupt_gradient)
    d_px = max_diameter(m)
    d = 1 if structures is None else int(np.clip(structures, 1, 5))
    return {
        "asymmetry_major": a_major,
        "asymmetry_minor": a_minor,
        "asymmetry_index": (a_major + a_minor) / 2.0,
        "a_score": a,
        **border_indices(m),
        "b_score": b,
        **{f"colour_{k}": v for k, v in colours.items()},
        "c_score": c,
        "diameter_px": d_px,
        "diameter_mm": d_px * mm_per_px if mm_per_px else float("nan"),
        "tds": tds_score(a, b, c, d),
    }


def _scales(cases: pd.DataFrame, mm_per_px: float | None) -> list[float | None]:
    """Each case's pixel size in mm (its ``mm_per_px`` column, else - also for a blank cell - the
    argument); :class:`DataError` or :class:`ConfigError` for one that is not a positive finite number."""
    _check_scale(mm_per_px)  # also with a column: --mm-per-px -1 went unchecked
    if "mm_per_px" not in cases.columns:
        return [mm_per_px] * len(cases)
    values = _numbers(cases, "mm_per_px", lambda v: v > 0, "a positive number of millimetres")
    return [mm_per_px if pd.isna(v) else float(v) for v in values]


def _numbers(cases: pd.DataFrame, column: str, ok: Any, meaning: str) -> pd.Series:
    """``cases[column]`` as numbers (blank cells NaN); :class:`DataError` naming the first case whose
    cell is not a finite number for which ``ok`` holds."""
    values = pd.to_numeric(cases[column], errors="coerce")
    bad = cases[column].notna() & ~(np.isfinite(values.fillna(np.inf)) & ok(values.fillna(0)))
    if bad.any():
        first = bad.to_numpy().nonzero()[0][0]
        raise DataError(f"{column} column: case {cases['case_id'].iloc[first]!r} has {cases[column].iloc[first]!r}, not {meaning}")
    return values


def add_abcd_features(
    cases: pd.DataFrame,
    mask_column: str = "mask_path",
    mm_per_px: float | None = None,
    progress: bool = True,
    **options: Any,
) -> pd.DataFrame:
    """Return ``cases`` with the :data:`FEATURE_COLUMNS` added, from each case's image and mask.

    A ``mm_per_px`` column in the table gives each case's scale (else, and for its blank cells,
    the ``mm_per_px`` argument); an ``n_structures`` column (whole numbers) feeds the TDS D term. Cases without a mask, or with an
    empty one, get NaN features and one warning with their count. ``options`` go to
    :func:`abcd_features`.

    Example:
        >>> out = add_abcd_features(load_cases("cases.parquet"), mask_column="mask_pred_path")  # doctest: +SKIP
    """
    from rich.progress import track

    from dermkit.io import read_image, read_mask

    if mask_column not in cases.columns:
        raise DataError(f"case table has no {mask_column!r} column (found: {', '.join(map(str, cases.columns))})")
    tunable = [name for name in inspect.signature(abcd_features).parameters if name not in ("image", "mask", "mm_per_px", "structures")]
    unknown = sorted(set(options) - set(tunable))
    if unknown:
        raise ConfigError(f"unknown ABCD option(s) {', '.join(unknown)}; known: {', '.join(tunable)}")
    scales: Sequence[Any] = _scales(cases, mm_per_px)
    structures: Sequence[Any] = [None] * len(cases)
    if "n_structures" in cases.columns:  # text was a ValueError traceback mid-run
        structures = _numbers(cases, "n_structures", lambda v: v == v.round(), "a whole number of structures").tolist()
    rows, skipped = [], []
    items = list(zip(cases["case_id"], cases["image_path"], cases[mask_column], scales, structures))
    for case_id, img_path, mask_path, scale, n_struct in track(items, "ABCD features", disable=not progress):
        if pd.isna(mask_path):
            rows.append({}), skipped.append(case_id)
            continue
        image = read_image(img_path)
        mask = read_mask(mask_path, image.shape[:2])
        if not mask.any():
            rows.append({}), skipped.append(case_id)
            continue
        try:
            rows.append(abcd_features(image, mask, None if pd.isna(scale) else float(scale), None if pd.isna(n_struct) else int(n_struct), **options))
        except DataError as exc:
            raise DataError(f"case {case_id!r} ({mask_path}): {exc}") from None
    if skipped:
        warnings.warn(f"{len(skipped)} case(s) have no or an empty mask; their ABCD features are NaN (first: {skipped[0]!r})", stacklevel=2)
    features = pd.DataFrame(rows, index=cases.index).reindex(columns=list(FEATURE_COLUMNS)).astype(float)
    return pd.concat([cases.drop(columns=[c for c in FEATURE_COLUMNS if c in cases.columns]), features], axis=1)
