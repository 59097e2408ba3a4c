"""Score predicted lesion masks against the truth, per image and per group (e.g. skin tone).

Metrics are :mod:`dermkit.evaluate.segmentation`'s (Jaccard, ISIC 2018 thresholded Jaccard,
Dice, HD95). Masks are read with :func:`dermkit.io.read_mask`: pixels above 128 are lesion, so a
non-binary (e.g. smoothly resized) mask is binarised at 128; a predicted mask of another size
than its true mask raises :class:`~dermkit.errors.DataError` naming both files. An empty true or
predicted mask is scored as the metrics module defines (Jaccard 0 against a lesion, 1 when both
are empty; HD95 ``inf`` when exactly one is empty, so group HD95 is a median over finite values).

Example:
    >>> per_image, summary = evaluate_masks(predicted_cases, by=("skin_tone",))  # doctest: +SKIP
    >>> summary["overall"]["thresholded_jaccard"]  # doctest: +SKIP
    0.78
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
import pandas as pd

from dermkit.errors import DataError


def evaluate_masks(
    cases: pd.DataFrame | str | os.PathLike[str],
    pred_column: str = "mask_pred_path",
    truth_column: str = "mask_path",
    by: Sequence[str] = ("skin_tone",),
    progress: bool = False,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-image scores and a summary ``{"overall": {...}, "by": {column: {group: {...}}}}``.

    Each summary holds ``n``, the means of ``jaccard``, ``thresholded_jaccard`` (the ISIC 2018
    score) and ``dice``, the median finite ``hd95``, and ``thresholded_jaccard_ci``: the seeded
    95% bootstrap interval of the score over the images (``[nan, nan]`` for a single image), so a
    small group's score reads with its uncertainty. Cases lacking either mask raise
    :class:`DataError` naming the first one.

    Example:
        >>> table, summary = evaluate_masks("out/cases.parquet")  # doctest: +SKIP
    """
    from rich.progress import track

    from dermkit.cases import load_cases, validate_cases
    from dermkit.evaluate.segmentation import score_masks
    from dermkit.io import read_mask

    table = validate_cases(cases) if isinstance(cases, pd.DataFrame) else load_cases(cases)
    for col in (pred_column, truth_column):
        if col not in table.columns:
            raise DataError(f"case table has no {col!r} column (found: {', '.join(table.columns)})")
        absent = table["case_id"][table[col].isna()]
        if len(absent):
            raise DataError(f"{len(absent)} case(s) have no {col} (first: {absent.iloc[0]!r})")
    truths, preds = [], []
    for t_path, p_path in track(list(zip(table[truth_column], table[pred_column])), "scoring", disable=not progress):
        truth = read_mask(t_path)
        preds.append(read_mask(p_path, truth.shape))
        truths.append(truth)
    scores = score_masks(preds, truths, case_ids=list(table["case_id"]))
    groups = [c for c in by if c in table.columns]
    per_image = scores.reset_index()
    for col in groups:
        per_image[col] = table[col].astype("string").fillna("<none>").to_numpy()
    summary: dict[str, Any] = {"overall": _summarise(per_image), "by": {}}
    for col in groups:
        summary["by"][col] = {str(k): _summarise(g) for k, g in per_image.groupby(col, sort=True)}
    return per_image, summary


def _summarise(scores: pd.DataFrame) -> dict[str, Any]:
    from dermkit.evaluate.segmentation import mean_ci

    hd = scores["hd95"].to_numpy()
    finite = hd[np.isfinite(hd)]
    return {
        "n": int(len(scores)),
        "jaccard": float(scores["jaccard"].mean()),
        "thresholded_jaccard": float(scores["thresholded_jaccard"].mean()),
        "thresholded_jaccard_ci": list(mean_ci(scores["thresholded_jaccard"])),
        "dice": float(scores["dice"].mean()),
        "hd95_median": float(np.median(finite)) if len(finite) else float("nan"),
    }
