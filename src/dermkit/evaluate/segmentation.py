"""Lesion-segmentation metrics on bool masks, as the ISIC challenges score them.

``jaccard``, ``dice`` and ``hd95`` score one predicted mask against its ground truth;
``thresholded_jaccard`` is the ISIC 2018 Task 1 score of a whole set (each image's Jaccard below
0.65 counts as 0, then the mean); ``per_image`` applies any pair metric over a set and
``score_masks`` gives a per-image table of all three; ``mean_ci`` bootstraps a confidence interval
for the mean of per-image scores (or of paired per-image differences between two methods).

Masks are bool arrays ``(H, W)`` (``True`` = lesion). Integer masks holding only {0, 1} or
{0, 255} are accepted too; anything else (probabilities, labels) must be thresholded first.

Empty masks (defined behaviour):

* ``jaccard`` / ``dice``: both masks empty → ``1.0`` (perfect agreement: nothing to find and
  nothing found); exactly one empty → ``0.0``.
* ``hd95``: both empty → ``0.0``; exactly one empty → ``inf`` (the distance to an empty set is
  unbounded). Averages of ``hd95`` over a set should therefore use the median or drop ``inf``.

Masks of different shapes raise :class:`~dermkit.errors.DataError` naming both shapes.

Example:
    >>> import numpy as np
    >>> a = np.zeros((4, 4), bool); a[:2] = True       # 8 pixels
    >>> b = np.zeros((4, 4), bool); b[:1] = True       # 4 pixels, inside a
    >>> jaccard(a, b), dice(a, b)
    (0.5, 0.6666666666666666)
    >>> thresholded_jaccard([a, a], [b, a])            # 0.5 counts as 0, then mean of (0, 1)
    0.5
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from dermkit.checks import as_names, check_count
from dermkit.errors import ConfigError, DataError

ISIC2018_JACCARD_THRESHOLD = 0.65
"""ISIC 2018 Task 1: a per-image Jaccard below this counts as 0."""

MaskLike = np.ndarray


def as_mask(mask: object, name: str = "mask") -> np.ndarray:
    """Return ``mask`` as a 2-D bool array, accepting bool or integer {0,1} / {0,255} masks.

    Example:
        >>> as_mask(np.array([[0, 255]], np.uint8)).tolist()
        [[False, True]]
    """
    arr = np.asarray(mask)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise DataError(f"{name}: expected a 2-D mask (H, W), got shape {arr.shape}")
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind in "iu":
        values = np.unique(arr)
        if set(values.tolist()) <= {0, 1} or set(values.tolist()) <= {0, 255}:
            return arr > 0
    raise DataError(
        f"{name}: expected a bool mask (or integers in {{0,1}} / {{0,255}}), got dtype {arr.dtype}; threshold probabilities first"
    )


def _pair(pred: object, target: object) -> tuple[np.ndarray, np.ndarray]:
    p, t = as_mask(pred, "predicted mask"), as_mask(target, "ground-truth mask")
    if p.shape != t.shape:
        raise DataError(f"predicted mask is {p.shape} (H, W) but ground-truth mask is {t.shape}; they must match")
    return p, t


def jaccard(pred: MaskLike, target: MaskLike) -> float:
    """Jaccard index (IoU) ``|P ∩ T| / |P ∪ T|`` of two bool masks; 1.0 when both are empty.

    Example:
        >>> jaccard(np.eye(3, dtype=bool), np.ones((3, 3), bool))
        0.3333333333333333
    """
    p, t = _pair(pred, target)
    union = np.logical_or(p, t).sum()
    return 1.0 if union == 0 else float(np.logical_and(p, t).sum() / union)


def dice(pred: MaskLike, target: MaskLike) -> float:
    """Dice coefficient ``2|P ∩ T| / (|P| + |T|)`` of two bool masks; 1.0 when both are empty.

    Example:
        >>> dice(np.eye(3, dtype=bool), np.ones((3, 3), bool))
        0.5
    """
    p, t = _pair(pred, target)
    total = p.sum() + t.sum()
    return 1.0 if total == 0 else float(2.0 * np.logical_and(p, t).sum() / total)


def area_ratio(pred: MaskLike, target: MaskLike) -> float:
    """Predicted lesion area over the true one, ``|P| / |T|``: under 1 the model draws the lesion
    smaller than the annotator, over 1 larger; NaN when the true mask is empty.

    Example:
        >>> area_ratio(np.eye(3, dtype=bool), np.ones((3, 3), bool))
        0.3333333333333333
    """
    p, t = _pair(pred, target)
    return float(p.sum() / t.sum()) if t.any() else float("nan")


def _boundary(mask: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    eroded = ndimage.binary_erosion(mask, structure=ndimage.generate_binary_structure(2, 1), border_value=0)
    return mask & ~eroded


def hd95(pred: MaskLike, target: MaskLike, spacing: float | Sequence[float] = 1.0) -> float:
    """95th-percentile symmetric Hausdorff distance between the boundaries of two bool masks.

    Boundary pixels are the mask pixels with a 4-neighbour outside the mask (or on the image
    edge). For each boundary pixel of one mask the Euclidean distance to the nearest boundary
    pixel of the other is taken (scipy's exact distance transform); the result is the larger of
    the two directed 95th percentiles (MONAI's ``compute_hausdorff_distance(percentile=95)``).
    ``spacing`` is the pixel size (one number or ``(row, col)``), e.g. in mm. Both empty → 0.0;
    exactly one empty → ``inf``.

    Example:
        >>> a = np.zeros((5, 5), bool); a[2, 1] = True
        >>> b = np.zeros((5, 5), bool); b[2, 4] = True
        >>> hd95(a, b)
        3.0
    """
    from scipy import ndimage

    p, t = _pair(pred, target)
    try:
        sampling = np.broadcast_to(np.asarray(spacing, dtype=float), (2,))
    except ValueError:
        raise ConfigError(f"hd95: spacing must be one number or (row, col), got {spacing!r}") from None
    if not (np.isfinite(sampling) & (sampling > 0)).all():
        raise ConfigError(f"hd95: spacing must be positive, got {spacing}")
    if not p.any() and not t.any():
        return 0.0
    if not p.any() or not t.any():
        return float("inf")
    bp, bt = _boundary(p), _boundary(t)
    to_t = ndimage.distance_transform_edt(~bt, sampling=sampling)
    to_p = ndimage.distance_transform_edt(~bp, sampling=sampling)
    return float(max(np.percentile(to_t[bp], 95), np.percentile(to_p[bt], 95)))


def _check_sets(preds: Sequence[MaskLike], targets: Sequence[MaskLike]) -> tuple[list, list]:
    def listify(x: Sequence[MaskLike] | np.ndarray) -> list:
        arr = x if isinstance(x, np.ndarray) else None
        if arr is not None and arr.ndim == 2:
            return [arr]
        return list(x)

    ps, ts = listify(preds), listify(targets)
    if len(ps) != len(ts):
        raise DataError(f"{len(ps)} predicted masks but {len(ts)} ground-truth masks; they must pair up")
    if not ps:
        raise DataError("no masks to score")
    return ps, ts


def per_image(
    metric: Callable[[MaskLike, MaskLike], float], preds: Sequence[MaskLike], targets: Sequence[MaskLike]
) -> np.ndarray:
    """Apply a pair metric to every (pred, target) of two equal-length sets (lists or ``(N, H, W)``).

    A mask pair of mismatched shape raises :class:`DataError` naming its index and both shapes.

    Example:
        >>> per_image(jaccard, np.zeros((2, 3, 3), bool), np.zeros((2, 3, 3), bool)).tolist()
        [1.0, 1.0]
    """
    ps, ts = _check_sets(preds, targets)
    out = np.empty(len(ps))
    for i, (p, t) in enumerate(zip(ps, ts)):
        try:
            out[i] = metric(p, t)
        except DataError as exc:
            raise DataError(f"mask pair {i}: {exc}") from None
    return out


def thresholded_jaccard(
    preds: Sequence[MaskLike], targets: Sequence[MaskLike], threshold: float = ISIC2018_JACCARD_THRESHOLD
) -> float:
    """ISIC 2018 Task 1 score: mean over images of Jaccard, where a Jaccard below ``threshold`` counts as 0.

    A single ``(H, W)`` pair is scored as a set of one.

    Example:
        >>> m = np.ones((2, 2), bool); h = np.array([[1, 1], [0, 0]], bool)
        >>> thresholded_jaccard([m, m], [m, h])   # (1.0 + 0) / 2: the 0.5 is below 0.65
        0.5
    """
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"thresholded_jaccard: threshold must be in [0, 1], got {threshold}")
    scores = per_image(jaccard, preds, targets)
    return float(np.where(scores < threshold, 0.0, scores).mean())


def score_masks(
    preds: Sequence[MaskLike],
    targets: Sequence[MaskLike],
    case_ids: str | Sequence[str] | None = None,
    spacing: float | Sequence[float] = 1.0,
    with_hd95: bool = True,
) -> pd.DataFrame:
    """Per-image table with ``jaccard``, ``thresholded_jaccard``, ``dice``, ``hd95`` and ``area_ratio`` (index: case id).

    The ISIC 2018 score of the set is ``table["thresholded_jaccard"].mean()``. The Hausdorff
    distance takes about nine tenths of the time; ``with_hd95=False`` leaves it out (NaN).

    Example:
        >>> t = score_masks([np.ones((2, 2), bool)], [np.ones((2, 2), bool)], case_ids=["a"])
        >>> float(t.loc["a", "dice"])
        1.0
    """
    ps, ts = _check_sets(preds, targets)
    ids = as_names(case_ids) if case_ids is not None else list(range(len(ps)))
    if len(ids) != len(ps):
        raise DataError(f"{len(ids)} case ids for {len(ps)} mask pairs")
    jac = per_image(jaccard, ps, ts)
    table = pd.DataFrame(
        {
            "jaccard": jac,
            "thresholded_jaccard": np.where(jac < ISIC2018_JACCARD_THRESHOLD, 0.0, jac),
            "dice": per_image(dice, ps, ts),
            "hd95": per_image(lambda p, t: hd95(p, t, spacing=spacing), ps, ts) if with_hd95 else np.full(len(ps), np.nan),
            "area_ratio": per_image(area_ratio, ps, ts),
        },
        index=pd.Index(ids, name="case_id"),
    )
    return table


def mean_ci(scores: Sequence[float], confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of the mean of per-image ``scores`` (scipy's ``bootstrap``).

    Resampling images shows how much a set's score depends on which images it happens to hold;
    it does not include the spread between training runs. For two methods scored on the same
    images, pass the per-image differences: the interval of their mean difference is paired.
    The same ``seed`` gives the same interval; fewer than two scores give ``(nan, nan)``.

    Example:
        >>> lo, hi = mean_ci([0.0, 1.0] * 200)   # mean 0.5, standard error 0.025
        >>> round(lo, 2), round(hi, 2)
        (0.45, 0.55)
    """
    from scipy.stats import bootstrap

    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"mean_ci: confidence must be in (0, 1), got {confidence}")
    check_count("mean_ci: n_resamples", n_resamples, 1)
    values = np.asarray(scores, dtype=float)
    if values.ndim != 1 or not np.isfinite(values).all():
        raise DataError(f"mean_ci: scores must be a 1-D sequence of finite numbers, got shape {values.shape}")
    if len(values) < 2:
        return float("nan"), float("nan")
    if np.ptp(values) == 0:  # every resample has the same mean
        return float(values[0]), float(values[0])
    res = bootstrap((values,), np.mean, confidence_level=confidence, n_resamples=n_resamples, method="percentile",
                    vectorized=True, rng=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)
