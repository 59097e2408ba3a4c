"""``evaluate(preds, cases, by=[...])``: every metric of a predictions table, overall and by group.

Example:
    >>> result = evaluate(preds, cases, by=["skin_tone", "site"])  # doctest: +SKIP
    >>> result["overall"]["balanced_accuracy"], result["fairness"]["skin_tone"]["eod"]  # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from dermkit.checks import as_names
from dermkit.evaluate.calibration import expected_calibration_error, reliability_bins
from dermkit.evaluate.classification import classification_metrics
from dermkit.evaluate.groups import DEFAULT_METRICS, MISSING, SmallGroupWarning, fairness_summary, group_columns, group_metrics
from dermkit.evaluate.predictions import Joined, join_predictions

GROUP_CI_METRICS = DEFAULT_METRICS
"""Metrics given bootstrap confidence intervals in each group."""


def evaluate(
    preds: pd.DataFrame | str | os.PathLike[str],
    cases: pd.DataFrame | str | os.PathLike[str],
    by: str | Sequence[str] = (),
    split: str | None = None,
    n_boot: int = 200,
    seed: int = 0,
    min_group_size: int = 30,
    n_bins: int = 15,
    source: str = "predictions",
    cases_source: str = "cases",
) -> dict:
    """Score a predictions table against its cases: overall, per group of each ``by`` column, fairness.

    ``preds`` and ``cases`` are DataFrames or their files (``.parquet``/``.csv``); errors and notes
    name a file by its path, a DataFrame by ``source`` / ``cases_source``.

    Returns a JSON-ready dict:

    * ``overall``: :func:`~dermkit.evaluate.classification.classification_metrics` plus ``ece``;
    * ``groups.<column>.<value>``: the same metrics on that group (without the confusion
      matrix), ``n``, ``small`` and ``ci.<metric> = [lo, hi]`` (seeded bootstrap, 95%) for
      accuracy, balanced accuracy and macro AUC;
    * ``fairness.<column>``: :func:`~dermkit.evaluate.groups.fairness_summary` (``eod``,
      ``nar``, ``worst_group_accuracy``, gaps and ratios; ``eod_class`` as a class name);
    * ``calibration``: the reliability-diagram bins; ``classes``, ``n_cases``, ``notes``
      (what was left out) and ``warnings`` (small groups).

    ``by`` names case-table columns, ``age_bin`` or ``artifact`` / ``artifact_<name>`` (see
    :func:`~dermkit.evaluate.groups.group_columns`; one name may be given as a string); an unknown
    one raises :class:`~dermkit.errors.DataError` before any work. Metrics undefined on a set are
    ``nan``.

    Example:
        >>> import pandas as pd
        >>> cases = pd.DataFrame({"case_id": ["a", "b"], "diagnosis": ["nevus", "melanoma"], "site": ["x", "y"]})
        >>> preds = pd.DataFrame({"case_id": ["a", "b"], "prob_nevus": [.9, .4], "prob_melanoma": [.1, .6]})
        >>> r = evaluate(preds, cases, by=["site"], n_boot=0, min_group_size=1)
        >>> r["overall"]["accuracy"], r["groups"]["site"]["y"]["n"]
        (1.0, 1)
    """
    joined = join_predictions(preds, cases, split=split, source=source, cases_source=cases_source)
    columns = {name: col for b in as_names(by) for name, col in group_columns(joined.table, b).items()}
    result: dict = {
        "n_cases": int(len(joined.y_true)),
        "classes": joined.classes,
        "overall": _metrics(joined, np.ones(len(joined.y_true), bool), n_bins),
        "calibration": {"n_bins": n_bins, "bins": reliability_bins(joined.y_true, joined.probs, n_bins).to_dict(orient="records")},
        "groups": {},
        "fairness": {},
        "notes": list(joined.notes),
        "warnings": [],
    }
    for name, col in columns.items():
        labels = col.astype("string").fillna(MISSING).to_numpy(dtype=object)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SmallGroupWarning)
            table = group_metrics(
                joined.y_true, joined.probs, col, GROUP_CI_METRICS, y_pred=joined.y_pred,
                n_boot=n_boot, seed=seed, min_group_size=min_group_size,
            )
        result["warnings"] += [f"{name}: {w.message}" for w in caught if issubclass(w.category, SmallGroupWarning)]
        groups = {}
        for value, row in table.iterrows():
            mask = labels == value
            entry = {"n": int(row["n"]), "small": bool(row["small"])}
            entry.update({k: v for k, v in _metrics(joined, mask, n_bins).items() if k != "confusion_matrix"})
            entry["ci"] = {m: [float(row[f"{m}_lo"]), float(row[f"{m}_hi"])] for m in GROUP_CI_METRICS}
            groups[str(value)] = entry
        result["groups"][name] = groups
        summary = fairness_summary(table, joined.y_true, joined.y_pred, col, len(joined.classes))
        if summary.get("eod_class") is not None:
            summary["eod_class"] = joined.classes[summary["eod_class"]]
        result["fairness"][name] = summary
    for msg in result["warnings"]:
        warnings.warn(msg, SmallGroupWarning, stacklevel=2)
    return result


def _metrics(joined: Joined, mask: np.ndarray, n_bins: int) -> dict:
    out = classification_metrics(joined.y_true[mask], joined.probs[mask], joined.classes, y_pred=joined.y_pred[mask])
    out["ece"] = expected_calibration_error(joined.y_true[mask], joined.probs[mask], n_bins)
    return out
