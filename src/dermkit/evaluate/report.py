"""``metrics.json`` and a self-contained ``report.html`` for a predictions table.

The report is one HTML file (Jinja2 template ``templates/report.html``): figures are embedded as
base64 PNGs and thumbnails as base64 JPEGs, with no script, font or style fetched from the
network, so it opens anywhere (and can be mailed). Both files are written atomically.

Example:
    >>> paths = write_report(preds, cases, "eval-out", by=["skin_tone", "site"])  # doctest: +SKIP
    >>> paths["html"]  # doctest: +SKIP
    PosixPath('eval-out/report.html')
"""

from __future__ import annotations

import base64
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from dermkit.errors import DataError
from dermkit.io import atomic_path, write_json

if TYPE_CHECKING:
    import jinja2

SUMMARY_KEYS = (
    ("balanced_accuracy", "balanced accuracy"),
    ("accuracy", "accuracy"),
    ("auc_macro", "macro AUC"),
    ("auc_sens80_macro", "AUC, sens > 80%"),
    ("average_precision_macro", "macro AP"),
    ("ece", "ECE"),
)


def jsonable(value: Any) -> Any:
    """``value`` with NaN / inf floats replaced by ``None`` (strict JSON has no NaN), numpy scalars unwrapped.

    Example:
        >>> jsonable({"a": float("nan"), "b": [np.float64(1.5)]})
        {'a': None, 'b': [1.5]}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def worst_errors(table: pd.DataFrame, classes: Sequence[str], y_true: np.ndarray, probs: np.ndarray, y_pred: np.ndarray, n: int = 12) -> pd.DataFrame:
    """The ``n`` wrong predictions made with the highest confidence (probability of the predicted class).

    Columns: ``case_id``, ``image_path``, ``true``, ``pred``, ``confidence``, ``p_true``.

    Example:
        >>> t = pd.DataFrame({"case_id": ["a", "b"], "image_path": ["a.png", "b.png"]})
        >>> worst_errors(t, ["x", "y"], np.array([0, 0]), np.array([[.9, .1], [.2, .8]]), np.array([0, 1]))["case_id"].tolist()
        ['b']
    """
    rows = np.arange(len(y_true))
    wrong = np.flatnonzero(y_pred != y_true)
    conf = probs[rows, y_pred]
    order = wrong[np.argsort(-conf[wrong], kind="stable")][:n]
    return pd.DataFrame(
        {
            "case_id": table["case_id"].to_numpy()[order],
            "image_path": table["image_path"].to_numpy()[order] if "image_path" in table.columns else [None] * len(order),
            "true": [classes[i] for i in y_true[order]],
            "pred": [classes[i] for i in y_pred[order]],
            "confidence": conf[order],
            "p_true": probs[order, y_true[order]],
        }
    )


def thumbnail_uri(path: object, size: int = 128) -> str | None:
    """A JPEG thumbnail (longest side ``size``) of an image file as a data URI; ``None`` if unreadable.

    Example:
        >>> thumbnail_uri("/no/such/file.png") is None
        True
    """
    from dermkit.io import read_image

    if path is None or (isinstance(path, float) and math.isnan(path)) or path is pd.NA:
        return None
    try:
        img = read_image(str(path))
    except DataError:
        return None
    return image_uri(img, size)


def shrunk_size(shape: tuple[int, ...], size: int) -> tuple[int, int] | None:
    """``(width, height)`` of an image of ``shape`` (height first) shrunk to longest side ``size``, as
    OpenCV's ``resize`` takes it; ``None`` when it already fits (images are never enlarged).

    Example:
        >>> shrunk_size((300, 400, 3), 100), shrunk_size((30, 40), 100)
        ((100, 75), None)
    """
    scale = size / max(shape[:2])
    return (max(1, round(shape[1] * scale)), max(1, round(shape[0] * scale))) if scale < 1 else None


def image_uri(image: np.ndarray, size: int = 128) -> str | None:
    """An RGB uint8 image, shrunk to longest side ``size`` (never enlarged), as a JPEG data URI.

    Example:
        >>> image_uri(np.zeros((300, 200, 3), np.uint8), 64)[:23]
        'data:image/jpeg;base64,'
    """
    import cv2

    img = np.asarray(image)
    shrunk = shrunk_size(img.shape, size)
    if shrunk:
        img = cv2.resize(img, shrunk, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(img[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii") if ok else None


def write_report(
    preds: pd.DataFrame | str | os.PathLike[str],
    cases: pd.DataFrame | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    by: Sequence[str] = (),
    metrics: dict | None = None,
    split: str | None = None,
    counterfactual: dict | None = None,
    n_worst: int = 12,
    title: str = "dermkit evaluation",
    source: str = "predictions",
    cases_source: str = "cases",
    **evaluate_kw: Any,
) -> dict[str, Path]:
    """Write ``out_dir/metrics.json`` and ``out_dir/report.html``; return their paths.

    ``preds`` and ``cases`` are DataFrames or their files, named in errors as for
    :func:`dermkit.evaluate.evaluate`.

    ``metrics`` is a result of :func:`dermkit.evaluate.evaluate` (computed here with ``by``,
    ``split`` and ``evaluate_kw`` when not given). ``counterfactual`` is an optional result of
    :func:`dermkit.evaluate.counterfactual.skin_tone_flip_rate`, stored under
    ``counterfactual`` and shown in the report. NaN metrics are written as JSON ``null``.

    Example:
        >>> write_report(preds, cases, "eval-out", by=["skin_tone"])  # doctest: +SKIP
        {'json': PosixPath('eval-out/metrics.json'), 'html': PosixPath('eval-out/report.html')}
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from dermkit.evaluate import figures
    from dermkit.evaluate.core import evaluate
    from dermkit.evaluate.predictions import join_predictions, read_tables

    out = Path(out_dir)
    paths = {"json": out / "metrics.json", "html": out / "report.html"}
    for path in paths.values():  # before anything is replaced: the pair is written both or neither
        if path.is_dir():
            raise DataError(f"cannot write {path}: it is a folder")
    preds, cases, source, cases_source = read_tables(preds, cases, source, cases_source)  # once, for the join and the metrics
    names = {"source": source, "cases_source": cases_source}
    joined = join_predictions(preds, cases, split=split, **names)
    result = dict(metrics) if metrics is not None else evaluate(preds, cases, by=by, split=split, **names, **evaluate_kw)
    if counterfactual is not None:
        result["counterfactual"] = counterfactual
    result = jsonable(result)
    overall = result["overall"]
    figs = {
        "roc": figures.to_data_uri(figures.roc_figure(joined.y_true, joined.probs, joined.classes)),
        "confusion": figures.to_data_uri(figures.confusion_figure(overall["confusion_matrix"], joined.classes)),
        "reliability": figures.to_data_uri(figures.reliability_figure(result["calibration"]["bins"], _nan(overall["ece"]))),
        "groups": {col: figures.to_data_uri(figures.group_figure(col, groups)) for col, groups in result["groups"].items()},
    }
    errors = worst_errors(joined.table, joined.classes, joined.y_true, joined.probs, joined.y_pred, n_worst)
    gallery = [dict(row, thumb=thumbnail_uri(row["image_path"])) for row in errors.to_dict(orient="records")]
    html = load_template().render(
        title=title,
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        r=result,
        classes=joined.classes,
        summary=[(label, overall.get(key)) for key, label in SUMMARY_KEYS],
        figs=figs,
        gallery=gallery,
        fmt=format_value,
    )
    with atomic_path(paths["json"]) as json_tmp, atomic_path(paths["html"]) as html_tmp:  # both files new, or both as they were
        write_json(json_tmp, result)
        html_tmp.write_text(html, encoding="utf-8")
    return paths


def _nan(v: float | None) -> float:
    return float("nan") if v is None else float(v)


def format_value(v: object, digits: int = 3) -> str:
    """A metric for display: ``digits`` decimals, ``–`` for a missing/undefined value.

    Example:
        >>> format_value(0.12345), format_value(None), format_value(3)
        ('0.123', '–', '3')
    """
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def load_template(name: str = "report.html") -> jinja2.Template:
    """A Jinja2 template of ``dermkit/evaluate/templates`` (HTML autoescaped, undefined names raise).

    Example:
        >>> load_template("segmentation_report.html").name
        'segmentation_report.html'
    """
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("dermkit.evaluate", "templates"), autoescape=select_autoescape(["html"]), undefined=StrictUndefined)
    return env.get_template(name)
