"""A self-contained ``report.html`` of a segmentation evaluation: the scores, and the images behind them.

``dermkit segment evaluate ... -o DIR`` writes it beside ``segmentation_metrics.json``. It holds:

* summary cards: the ISIC 2018 thresholded Jaccard with its 95% bootstrap interval, Jaccard,
  Dice, median HD95, the median predicted-over-true lesion area, and the share of images whose
  Jaccard falls under 0.65 (they score 0), with how those failed: drawn smaller than the truth,
  larger, or about the right size but elsewhere (:func:`dermkit.segment.evaluate.failure_kinds`);
* a histogram of the per-image Jaccard, with the 0.65 line;
* per group column (e.g. skin tone, diagnosis): bars of thresholded Jaccard, with interval
  whiskers, beside plain Jaccard (the gap between them comes from the images under 0.65); groups
  under ``min_group_size`` images (30 by default) are hatched; and the table;
* with a paired comparison (``--against``): the per-image change and its interval, per group;
* two galleries: the lowest-scoring images, and some around the median. Each image is drawn with
  the true outline in green and the predicted one in magenta (:func:`overlay_contours`), so one can
  see whether the model misses the lesion, spills into the skin, or draws the boundary elsewhere
  than the annotator did.

Like the classification report (:mod:`dermkit.evaluate.report`), figures and images are embedded,
so the file opens anywhere, and it is written atomically.

Example:
    >>> per_image, summary = evaluate_masks(table, by=("skin_tone",))  # doctest: +SKIP
    >>> write_segmentation_report(per_image, summary, table, "eval-out")  # doctest: +SKIP
    PosixPath('eval-out/report.html')
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from dermkit.errors import DataError

TRUTH_COLOUR = (0, 255, 0)
"""RGB of the true outline in the report's images (green)."""
PRED_COLOUR = (255, 0, 255)
"""RGB of the predicted outline (magenta), drawn over the true one where they meet."""


def overlay_contours(image: np.ndarray, truth: np.ndarray | None, pred: np.ndarray, size: int = 192, thickness: int = 2) -> np.ndarray:
    """An RGB uint8 copy of ``image``, shrunk to longest side ``size`` (never enlarged), with the
    outlines of the ``truth`` mask (:data:`TRUTH_COLOUR`; ``None`` when there is none) and the
    ``pred`` mask (:data:`PRED_COLOUR`, on top) drawn ``thickness`` pixels wide. Masks must have the
    image's height and width.

    Example:
        >>> img = np.zeros((8, 8, 3), np.uint8); truth = np.zeros((8, 8), bool); truth[2:6, 2:6] = True
        >>> overlay_contours(img, truth, np.zeros((8, 8), bool))[2, 3].tolist()
        [0, 255, 0]
    """
    import cv2

    from dermkit.evaluate.report import shrunk_size

    img = np.asarray(image)
    masks = [(m, name, colour) for m, name, colour in ((truth, "true", TRUTH_COLOUR), (pred, "predicted", PRED_COLOUR)) if m is not None]
    for mask, name, _ in masks:
        if np.shape(mask)[:2] != img.shape[:2]:
            raise DataError(f"{name} mask is {np.shape(mask)[1]}x{np.shape(mask)[0]} but the image is {img.shape[1]}x{img.shape[0]} (width x height)")
    shrunk = shrunk_size(img.shape, size)
    out = np.ascontiguousarray(cv2.resize(img, shrunk, interpolation=cv2.INTER_AREA) if shrunk else img.copy())
    for mask, _, colour in masks:
        small = np.asarray(mask).astype(np.uint8)
        if shrunk:
            small = cv2.resize(small, shrunk, interpolation=cv2.INTER_NEAREST)
        contours, _ = cv2.findContours(small, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(out, contours, -1, colour, thickness)
    return out


def gallery_rows(per_image: pd.DataFrame, n_worst: int = 12, n_typical: int = 6) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``n_worst`` lowest-Jaccard images (ties by ``case_id``), and ``n_typical`` of the rest
    around its median; each ordered by Jaccard, lowest first.

    Example:
        >>> t = pd.DataFrame({"case_id": list("abcde"), "jaccard": [0.9, 0.1, 0.5, 0.7, 0.3]})
        >>> [p["case_id"].tolist() for p in gallery_rows(t, n_worst=2, n_typical=1)]
        [['b', 'e'], ['d']]
    """
    ordered = per_image.sort_values(["jaccard", "case_id"], kind="stable").reset_index(drop=True)
    worst, rest = ordered.iloc[:n_worst], ordered.iloc[n_worst:]
    start = max(0, (len(rest) - n_typical) // 2)
    return worst, rest.iloc[start : start + n_typical]


def write_segmentation_report(
    per_image: pd.DataFrame,
    summary: Mapping[str, Any],
    cases: pd.DataFrame,
    out_dir: str | os.PathLike[str],
    *,
    pred_column: str = "mask_pred_path",
    truth_column: str = "mask_path",
    comparison: Mapping[str, Any] | None = None,
    n_worst: int = 12,
    n_typical: int = 6,
    min_group_size: int = 30,
    title: str = "dermkit segmentation evaluation",
) -> Path:
    """Write ``out_dir/report.html`` for the scores of :func:`dermkit.segment.evaluate_masks` and return its path.

    ``per_image`` and ``summary`` are what :func:`~dermkit.segment.evaluate_masks` returned for
    ``cases`` (the scored case table, which gives each image and its two masks);
    ``comparison`` is a result of :func:`~dermkit.segment.paired_differences`. Groups of fewer
    than ``min_group_size`` images are hatched and flagged as unreliable. An image that cannot be
    read shows as an empty tile with its scores; the report is still written.

    Example:
        >>> write_segmentation_report(per_image, summary, table, "eval-out")  # doctest: +SKIP
        PosixPath('eval-out/report.html')
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from dermkit.evaluate import figures
    from dermkit.evaluate.report import format_value, jsonable, load_template
    from dermkit.evaluate.segmentation import ISIC2018_JACCARD_THRESHOLD
    from dermkit.io import atomic_path
    from dermkit.segment.evaluate import FAILURE_AREA_RATIOS, labelled_rows

    summary = jsonable(dict(summary))
    groups = {col: {g: {**s, "small": s["n"] < min_group_size, "ci": {"thresholded_jaccard": s["thresholded_jaccard_ci"]}} for g, s in part.items()}
              for col, part in summary["by"].items()}
    figs = {
        "histogram": figures.to_data_uri(figures.score_histogram_figure(per_image["jaccard"], ISIC2018_JACCARD_THRESHOLD)),
        "groups": {col: figures.to_data_uri(figures.group_figure(col, part, ("thresholded_jaccard", "jaccard"))) for col, part in groups.items()},
    }
    paths = cases.set_index("case_id")[["image_path", truth_column, pred_column]]
    worst, typical = gallery_rows(per_image, n_worst, n_typical)
    html = load_template("segmentation_report.html").render(
        title=title,
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        s=summary,
        groups=groups,
        threshold=ISIC2018_JACCARD_THRESHOLD,
        ratios=FAILURE_AREA_RATIOS,
        min_group=min_group_size,
        comparison_rows=labelled_rows(jsonable(dict(comparison))) if comparison is not None else [],
        figs=figs,
        galleries=[("Lowest-scoring images", worst), ("Around the median", typical)],
        tile=lambda row: _tile(row, paths.loc[row["case_id"]], truth_column, pred_column, list(groups)),
        fmt=format_value,
    )
    path = Path(out_dir) / "report.html"
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path


def _tile(row: pd.Series, paths: pd.Series, truth_column: str, pred_column: str, group_columns: list[str]) -> dict[str, Any]:
    """One gallery tile: the overlay as a data URI (``None`` if the image or a mask cannot be read),
    the scores, and the image's groups."""
    from dermkit.evaluate.report import image_uri
    from dermkit.io import read_image, read_mask

    try:
        image = read_image(paths["image_path"])
        uri = image_uri(overlay_contours(image, read_mask(paths[truth_column], image.shape[:2]), read_mask(paths[pred_column], image.shape[:2])), 192)
    except DataError:
        uri = None
    return {"case_id": row["case_id"], "jaccard": row["jaccard"], "dice": row["dice"], "image": uri,
            "groups": " · ".join(str(row[c]) for c in group_columns if c in row.index)}
