"""Score predicted lesion masks against the truth, per image and per group (e.g. skin tone).

Metrics are :mod:`dermkit.evaluate.segmentation`'s (Jaccard, ISIC 2018 thresholded Jaccard,
Dice, HD95). Masks are read with :func:`dermkit.io.read_mask`: pixels above 128 are lesion, so a
non-binary (e.g. smoothly resized) mask is binarised at 128, a 0/1 label map's 1s are lesion, and
a colour mask's brightest channel counts (a lesion drawn in red is read). A predicted mask of
another size than its true mask raises :class:`~dermkit.errors.DataError` naming both files and
sizes, and a table whose every true mask reads as empty (masks encoded some other way) raises one
naming a mask. An empty true or predicted mask is scored as the metrics module defines (Jaccard 0
against a lesion, 1 when both are empty; HD95 ``inf`` when exactly one is empty, so group HD95 is
a median over finite values).

:func:`paired_differences` compares two scorings of the same images (say, with and without TTA)
image by image, which shows a small consistent change that the two scores' own intervals hide.

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

from dermkit.checks import as_names
from dermkit.errors import ConfigError, DataError

FAILURE_AREA_RATIOS = (0.7, 1.3)
"""A failing image (Jaccard under 0.65) whose predicted area is under 0.7 of the true area counts as
drawn smaller than the truth, over 1.3 as larger, and otherwise as about the right size."""


def evaluate_masks(
    cases: pd.DataFrame | str | os.PathLike[str],
    pred_column: str = "mask_pred_path",
    truth_column: str = "mask_path",
    by: str | Sequence[str] | None = None,
    progress: bool = False,
    with_hd95: bool = True,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-image scores and a summary ``{"overall": {...}, "by": {column: {group: {...}}}}``.

    ``by`` names the group columns (one name or several); by default ``skin_tone`` where the
    table has it. A named column the table lacks raises :class:`ConfigError`. Each summary holds ``n``, the means of ``jaccard``, ``thresholded_jaccard`` (the ISIC 2018
    score) and ``dice``, the median finite ``hd95``, ``thresholded_jaccard_ci``: the seeded
    95% bootstrap interval of the score over the images (``[nan, nan]`` for a single image), so a
    small group's score reads with its uncertainty, the median ``area_ratio`` (predicted over true
    area: under 1, the model draws lesions smaller than the annotators), and ``failures``: how the
    images under 0.65 failed (:func:`failure_kinds`). ``with_hd95=False`` skips the Hausdorff
    distance, most of the scoring time (``hd95`` NaN), e.g. for a baseline only compared by
    :func:`paired_differences`. Cases lacking either mask raise :class:`DataError` naming the first one,
    as does a table whose every true mask reads as empty.

    Example:
        >>> table, summary = evaluate_masks("out/cases.parquet")  # doctest: +SKIP
    """
    from rich.progress import track

    from dermkit.cases import load_cases
    from dermkit.evaluate.segmentation import score_masks
    from dermkit.io import check_mask_shape, check_some_mask_has_a_lesion, read_mask

    if pred_column == truth_column:
        raise ConfigError(f"the predicted and true masks must be different columns, got {pred_column!r} for both")
    table = load_cases(cases)
    groups = group_columns(by, table.columns, default=("skin_tone",))
    for col in (pred_column, truth_column):
        if col not in table.columns:
            raise DataError(f"case table has no {col!r} column (found: {', '.join(table.columns)})")
        absent = table["case_id"][table[col].isna()]
        if len(absent):
            raise DataError(f"{len(absent)} case(s) have no {col} (first: {absent.iloc[0]!r})")
    check_some_mask_has_a_lesion(table[truth_column], "true")
    truths, preds = [], []
    for t_path, p_path in track(list(zip(table[truth_column], table[pred_column])), "scoring", disable=not progress):
        truth, pred = read_mask(t_path), read_mask(p_path)
        check_mask_shape(p_path, pred.shape, truth.shape, reference=f"its true mask {t_path}")
        preds.append(pred)
        truths.append(truth)
    scores = score_masks(preds, truths, case_ids=list(table["case_id"]), with_hd95=with_hd95)
    per_image = scores.reset_index()
    for col in groups:
        per_image[col] = table[col].astype("string").fillna("<none>").to_numpy()
    summary: dict[str, Any] = {"overall": _summarise(per_image), "by": {}}
    for col in groups:
        summary["by"][col] = {str(k): _summarise(g) for k, g in per_image.groupby(col, sort=True)}
    return per_image, summary


def group_columns(by: str | Sequence[str] | None, columns: Sequence[str], default: Sequence[str] = ()) -> list[str]:
    """The group columns ``by`` names (one name or several), each checked against ``columns``; for
    ``by=None``, those of ``default`` that ``columns`` holds. A named column missing raises
    :class:`ConfigError` listing the columns found.

    Example:
        >>> group_columns("site", ["case_id", "site"]), group_columns(None, ["case_id"], default=("skin_tone",))
        (['site'], [])
    """
    if by is None:
        return [c for c in default if c in columns]
    names = as_names(by)
    unknown = [c for c in names if c not in columns]
    if unknown:
        raise ConfigError(f"by: no column {unknown[0]!r} in the table (found: {', '.join(map(str, columns))})")
    return names


def labelled_rows(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``("overall", ...)`` then ``("column=group", ...)`` for every group of a summary of
    :func:`evaluate_masks` or a result of :func:`paired_differences`: the rows of a table.

    Example:
        >>> labelled_rows({"overall": {"n": 3}, "by": {"skin_tone": {"dark": {"n": 1}}}})
        [('overall', {'n': 3}), ('skin_tone=dark', {'n': 1})]
    """
    return [("overall", result["overall"])] + [(f"{col}={group}", part) for col, groups in result["by"].items() for group, part in groups.items()]


def failure_kinds(scores: pd.DataFrame) -> dict[str, int]:
    """How the images under the ISIC 2018 threshold (Jaccard < 0.65, scored 0) failed, from their
    ``area_ratio`` (predicted over true area; see :data:`FAILURE_AREA_RATIOS`): ``smaller`` (the
    lesion drawn too small or missed), ``larger`` (spilling into the skin, or a lesion drawn where
    the truth has none), ``similar_size`` (about the right size but in the wrong place or shape);
    ``n`` is their total.

    Example:
        >>> failure_kinds(pd.DataFrame({"jaccard": [0.9, 0.2, 0.5, 0.1], "area_ratio": [1.0, 0.2, 2.0, 1.1]}))
        {'n': 3, 'smaller': 1, 'larger': 1, 'similar_size': 1}
    """
    from dermkit.evaluate.segmentation import ISIC2018_JACCARD_THRESHOLD

    failed = scores.loc[scores["jaccard"] < ISIC2018_JACCARD_THRESHOLD, "area_ratio"].fillna(np.inf)  # no true lesion, one drawn: larger
    low, high = FAILURE_AREA_RATIOS
    smaller, larger = int((failed < low).sum()), int((failed > high).sum())
    return {"n": int(len(failed)), "smaller": smaller, "larger": larger, "similar_size": int(len(failed)) - smaller - larger}


def _summarise(scores: pd.DataFrame) -> dict[str, Any]:
    from dermkit.evaluate.segmentation import mean_ci

    hd = scores["hd95"].to_numpy()
    finite = hd[np.isfinite(hd)]
    ratio = scores["area_ratio"].dropna()
    return {
        "n": int(len(scores)),
        "jaccard": float(scores["jaccard"].mean()),
        "thresholded_jaccard": float(scores["thresholded_jaccard"].mean()),
        "thresholded_jaccard_ci": list(mean_ci(scores["thresholded_jaccard"])),
        "dice": float(scores["dice"].mean()),
        "hd95_median": float(np.median(finite)) if len(finite) else float("nan"),
        "area_ratio_median": float(ratio.median()) if len(ratio) else float("nan"),
        "failures": failure_kinds(scores),
    }


def check_same_truth(cases: pd.DataFrame, other: pd.DataFrame, truth_column: str = "mask_path", other_name: str = "other") -> None:
    """Raise :class:`DataError` when a case of both tables has different true masks in them, which
    would make a paired comparison of their predictions meaningless. Masks are the same when their
    paths resolve to one file or their pixels read the same (:func:`dermkit.io.read_mask`), so a
    copied mask folder passes. ``other_name`` names ``other`` in the message.

    Example:
        >>> check_same_truth(load_cases("tta/cases.parquet"), load_cases("plain/cases.parquet"))  # doctest: +SKIP
    """
    from dermkit.io import read_mask

    for table in (cases, other):
        if truth_column not in table.columns:
            raise DataError(f"case table has no {truth_column!r} column (found: {', '.join(table.columns)})")
    theirs = other.drop_duplicates("case_id").set_index("case_id")[truth_column]
    for case_id, mine in zip(cases["case_id"], cases[truth_column]):
        if case_id not in theirs.index or pd.isna(mine) or pd.isna(theirs[case_id]):
            continue  # a case one table lacks, or a missing mask: reported where the tables are scored
        if os.path.realpath(mine) != os.path.realpath(theirs[case_id]) and not np.array_equal(read_mask(mine), read_mask(theirs[case_id])):
            raise DataError(
                f"case {case_id!r} has another true mask in {other_name} ({theirs[case_id]}) than here ({mine}): "
                "compare predictions scored against the same masks"
            )


def paired_differences(
    baseline: pd.DataFrame, other: pd.DataFrame, by: str | Sequence[str] = (), metric: str = "thresholded_jaccard"
) -> dict[str, Any]:
    """Mean per-image change in ``metric`` from ``baseline`` to ``other``, with its paired 95% bootstrap interval.

    Both are per-image tables of :func:`evaluate_masks` (``case_id``, the metric, group columns)
    scoring the same cases, matched by ``case_id``. Returns ``{"overall": {...}, "by": {column:
    {group: {...}}}}`` like its summaries, each ``{"n", "difference", "ci"}``; the ``by`` columns
    (one name or several) come from ``other``, and one it lacks raises :class:`ConfigError`.
    Different case sets raise :class:`DataError` naming a case one lacks.

    Example:
        >>> a = pd.DataFrame({"case_id": ["x", "y"], "thresholded_jaccard": [0.0, 0.8]})
        >>> b = pd.DataFrame({"case_id": ["y", "x"], "thresholded_jaccard": [0.9, 0.7]})
        >>> round(paired_differences(a, b)["overall"]["difference"], 3)
        0.4
    """
    from dermkit.evaluate.segmentation import mean_ci

    for table, name in ((baseline, "baseline"), (other, "other")):
        missing = [c for c in ("case_id", metric) if c not in table.columns]
        if missing:
            raise DataError(f"the {name} scores have no {', '.join(missing)} column")
    base = baseline.set_index("case_id")[metric]
    ids = other["case_id"]
    twice = list(base.index[base.index.duplicated()]) + list(ids[ids.duplicated()])
    if twice:
        raise DataError(f"case {twice[0]!r} is scored twice in one of the two tables")
    differ = sorted(set(base.index).symmetric_difference(ids))
    if differ:
        raise DataError(f"the two scorings hold different cases (first difference: {differ[0]!r}): compare predictions of the same table")
    table = other.assign(difference=other[metric].to_numpy() - base.loc[other["case_id"]].to_numpy())

    def summarise(part: pd.DataFrame) -> dict[str, Any]:
        return {"n": int(len(part)), "difference": float(part["difference"].mean()), "ci": list(mean_ci(part["difference"]))}

    groups = group_columns(by, table.columns)
    return {"overall": summarise(table), "by": {c: {str(k): summarise(g) for k, g in table.groupby(c, sort=True)} for c in groups}}
