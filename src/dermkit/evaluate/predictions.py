"""The predictions table and its join with the case table, checked at the edge.

A predictions table has ``case_id``, one ``prob_<class>`` column per class (rows sum to 1) and
optionally ``pred`` (the predicted class name; default: the most probable class) plus any extra
columns (``emb_*``, ``uncertainty``). :func:`join_predictions` pairs it with a case table and
returns everything a metric needs; every problem is a :class:`~dermkit.errors.DataError` naming the
table, the column, and the case at fault.

Example:
    >>> import pandas as pd
    >>> preds = pd.DataFrame({"case_id": ["a"], "prob_nevus": [0.8], "prob_melanoma": [0.2]})
    >>> prediction_classes(preds)
    ['nevus', 'melanoma']
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dermkit.errors import DataError

PROB_PREFIX = "prob_"
SUM_TOLERANCE = 1e-3
"""Largest accepted ``|sum of a row's probabilities - 1|``."""
UNLABELLED = ("unknown",)
"""Diagnoses (besides an empty one) that mean "no ground truth": such cases are left out."""


def prediction_classes(preds: pd.DataFrame, source: str = "predictions") -> list[str]:
    """Class names from the ``prob_<class>`` columns, in column order (at least two).

    Example:
        >>> prediction_classes(pd.DataFrame({"case_id": [], "prob_a": [], "prob_b": []}))
        ['a', 'b']
    """
    classes = [c[len(PROB_PREFIX):] for c in preds.columns if str(c).startswith(PROB_PREFIX)]
    odd = [str(c) for c in preds.columns if str(c).lower().startswith(PROB_PREFIX) and not str(c).startswith(PROB_PREFIX)]
    if odd:  # 'Prob_melanoma' was left out, and the others then failed to sum to 1
        raise DataError(f"{source}: column {odd[0]!r} looks like a probability column; they are named {PROB_PREFIX}<class>, in lower case")
    if len(classes) < 2:
        raise DataError(f"{source}: expected one prob_<class> column per class (at least two), found {classes or 'none'}")
    return classes


def read_predictions(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a predictions table (``.parquet`` or ``.csv``); a missing/unreadable file raises :class:`DataError`.

    Example:
        >>> preds = read_predictions("preds.parquet")  # doctest: +SKIP
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"predictions table not found: {p}")
    try:
        if p.suffix.lower() == ".parquet":
            return pd.read_parquet(p)
        if p.suffix.lower() == ".csv":
            return pd.read_csv(p, dtype={"case_id": str, "pred": str})
    except Exception as exc:  # pyarrow / pandas parse errors differ by version
        raise DataError(f"cannot read predictions table {p}: {str(exc).splitlines()[0]}") from None
    raise DataError(f"{p}: predictions tables are .parquet or .csv files")


@dataclass
class Joined:
    """Predictions paired with their cases: the inputs of every metric.

    ``table`` is the case rows (in prediction order) with the ``prob_*``/``pred`` columns added;
    ``y_true``/``y_pred`` are class indices into ``classes``; ``probs`` is ``(N, C)``; ``notes``
    lists what was left out and why.
    """

    table: pd.DataFrame
    classes: list[str]
    y_true: np.ndarray
    y_pred: np.ndarray
    probs: np.ndarray
    notes: list[str]


def read_tables(
    preds: pd.DataFrame | str | os.PathLike[str],
    cases: pd.DataFrame | str | os.PathLike[str],
    source: str = "predictions",
    cases_source: str = "cases",
) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    """``(preds, cases, source, cases_source)``: a table given as its file is read
    (:func:`read_predictions`, :func:`dermkit.cases.load_cases`) and named by its path; a
    DataFrame is kept with the name given. Read once, a file's warnings are printed once.

    Example:
        >>> t = pd.DataFrame({"case_id": ["a"]})
        >>> read_tables(t, t)[2:]
        ('predictions', 'cases')
    """
    if not isinstance(preds, pd.DataFrame):  # a file: 'DataFrame' object expected, or "str has no attribute columns"
        preds, source = read_predictions(preds), str(preds)
    if not isinstance(cases, pd.DataFrame):
        from dermkit.cases import load_cases

        cases, cases_source = load_cases(cases), str(cases)
    return preds, cases, source, cases_source


def join_predictions(
    preds: pd.DataFrame | str | os.PathLike[str],
    cases: pd.DataFrame | str | os.PathLike[str],
    split: str | None = None,
    source: str = "predictions",
    cases_source: str = "cases",
) -> Joined:
    """Check a predictions table and join it to a case table on ``case_id``.

    Errors (:class:`DataError`): no ``case_id`` column, a case id duplicated in either table,
    prediction case ids absent from the cases, NaN / out-of-range probabilities or rows not
    summing to 1 (within ``SUM_TOLERANCE``), a ``pred`` that is not a class, a diagnosis outside
    the classes. Cases without ground truth (empty or ``unknown`` diagnosis) are left out with a
    note; with ``split`` only cases of that split are kept. Either table may be given as its file
    (:func:`read_predictions`, :func:`dermkit.cases.load_cases`), which then names it in errors.

    Example:
        >>> cases = pd.DataFrame({"case_id": ["a", "b"], "diagnosis": ["nevus", "melanoma"]})
        >>> preds = pd.DataFrame({"case_id": ["b", "a"], "prob_nevus": [.3, .9], "prob_melanoma": [.7, .1]})
        >>> join_predictions(preds, cases).y_true.tolist()
        [1, 0]
    """
    preds, cases, source, cases_source = read_tables(preds, cases, source, cases_source)
    if "case_id" not in preds.columns:
        raise DataError(f"{source}: no case_id column; found {', '.join(map(str, preds.columns))}")
    if "case_id" not in cases.columns or "diagnosis" not in cases.columns:
        raise DataError(f"{cases_source}: a case table needs case_id and diagnosis columns")
    classes = prediction_classes(preds, source)
    ids = _unique_ids(preds, source)
    case_ids = _unique_ids(cases, cases_source)
    unknown = ids[~ids.isin(set(case_ids.dropna()))]
    if len(unknown):
        examples = ", ".join(repr(v) for v in unknown.head(3))
        raise DataError(f"{source}: {len(unknown)} of {len(ids)} case ids are not in {cases_source} (e.g. {examples}); are they predictions for another table?")
    probs = _check_probabilities(preds, classes, ids, source)
    both = [c for c in preds.columns if c != "case_id" and c in cases.columns]
    from_cases = [c for c in both if not _is_prediction_column(c)]  # a diagnosis column in the predictions replaced the ground truth
    table = cases.set_index(case_ids).loc[ids.to_numpy()].reset_index(drop=True)
    preds_part = preds.drop(columns=["case_id", *from_cases]).reset_index(drop=True)
    table = pd.concat([table.drop(columns=[c for c in both if c not in from_cases]), preds_part], axis=1)
    table["case_id"] = ids.to_numpy()
    notes: list[str] = []
    if from_cases:
        notes.append(f"{source} also has column(s) {', '.join(map(str, from_cases))}: ground truth, split and groups are read from {cases_source}")
    if split is not None and "split" in cases.columns and not (cases["split"] == split).fillna(False).any():
        present = ", ".join(sorted(cases["split"].dropna().astype(str).unique())) or "none"
        raise DataError(f"{cases_source}: no case has split {split!r}; splits there: {present}")
    scope = cases if split is None or "split" not in cases.columns else cases[cases["split"] == split]
    unpredicted = int((~scope["case_id"].astype("string").isin(set(ids.dropna()))).sum())
    if unpredicted:  # scored silently, a subset would read as the whole table's score
        where = "" if split is None else f" in split {split!r}"
        notes.append(f"{unpredicted} of {len(scope)} cases{where} of {cases_source} have no prediction: the metrics cover the predicted ones only")
    keep = np.ones(len(table), bool)
    if split is not None:
        if "split" not in table.columns:
            raise DataError(f"{cases_source}: cannot keep split {split!r}: no split column")
        keep &= (table["split"] == split).fillna(False).to_numpy()
        notes.append(f"kept the {int(keep.sum())} of {len(table)} predictions whose case is in split {split!r}")
    diag = table["diagnosis"].astype("string")
    unlabelled = (diag.isna() | diag.isin(UNLABELLED)).to_numpy() & keep
    if unlabelled.any():
        notes.append(f"left out {int(unlabelled.sum())} prediction(s) whose case has no diagnosis (empty or 'unknown')")
        keep &= ~unlabelled
    if not keep.any():
        raise DataError(f"{source}: no prediction left to evaluate ({'; '.join(notes) or 'empty table'})")
    table, probs, diag = table[keep].reset_index(drop=True), probs[keep], diag[keep].reset_index(drop=True)
    index = {c: i for i, c in enumerate(classes)}
    outside = diag[~diag.isin(list(classes))]
    if len(outside):
        cid = table.loc[outside.index[0], "case_id"]
        raise DataError(
            f"{cases_source}: diagnosis {outside.iloc[0]!r} of case {cid!r} ({len(outside)} case(s)) is not among the predicted classes {', '.join(classes)}"
        )
    y_true = diag.map(index).to_numpy(dtype=np.int64)
    y_pred = _predicted(table, probs, classes, source)
    return Joined(table=table, classes=classes, y_true=y_true, y_pred=y_pred, probs=probs, notes=notes)


def _is_prediction_column(name: object) -> bool:
    """Whether a column belongs to the predictions (``pred``, ``prob_*``, ``emb_*``, ``uncertainty``)
    rather than to the cases, whose table is the ground truth."""
    return name in ("pred", "uncertainty") or str(name).startswith((PROB_PREFIX, "emb_"))


def _unique_ids(table: pd.DataFrame, source: str) -> pd.Series:
    ids = table["case_id"].astype("string")
    dup = ids[ids.duplicated()]
    if len(dup):
        raise DataError(f"{source}: case_id {dup.iloc[0]!r} appears more than once ({len(dup)} duplicate row(s))")
    return ids


def _check_probabilities(preds: pd.DataFrame, classes: list[str], ids: pd.Series, source: str) -> np.ndarray:
    cols = [PROB_PREFIX + c for c in classes]
    try:
        probs = preds[cols].to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{source}: prob_* columns must be numbers ({exc})") from None
    bad = ~np.isfinite(probs).all(axis=1)
    if bad.any():
        raise DataError(f"{source}: {int(bad.sum())} row(s) have NaN or missing probabilities (first: case {ids.iloc[int(np.flatnonzero(bad)[0])]!r})")
    out = ((probs < 0) | (probs > 1)).any(axis=1)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise DataError(f"{source}: probabilities must be in [0, 1]; case {ids.iloc[i]!r} has {probs[i].round(4).tolist()}")
    sums = probs.sum(axis=1)
    off = np.abs(sums - 1.0) > SUM_TOLERANCE
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise DataError(
            f"{source}: probabilities of {int(off.sum())} row(s) do not sum to 1 (case {ids.iloc[i]!r} sums to {sums[i]:.4f}); pass softmax outputs, not logits"
        )
    return probs


def _predicted(table: pd.DataFrame, probs: np.ndarray, classes: list[str], source: str) -> np.ndarray:
    if "pred" not in table.columns or table["pred"].isna().all():
        return probs.argmax(axis=1)
    pred = table["pred"].astype("string")
    bad = pred[pred.isna() | ~pred.isin(classes)]
    if len(bad):
        raise DataError(f"{source}: pred {bad.iloc[0]!r} of case {table.loc[bad.index[0], 'case_id']!r} is not one of the classes {', '.join(classes)}")
    return pred.map({c: i for i, c in enumerate(classes)}).to_numpy(dtype=np.int64)
