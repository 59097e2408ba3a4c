"""Matplotlib figures of the evaluation report, and their embedding as base64 PNG data URIs.

Each function returns a :class:`matplotlib.figure.Figure` (Agg backend, no display needed);
:func:`to_data_uri` turns one into a ``data:image/png;base64,...`` string for a self-contained
HTML page.

Example:
    >>> fig = confusion_figure([[5, 1], [2, 4]], ["nevus", "melanoma"])
    >>> to_data_uri(fig).startswith("data:image/png;base64,")
    True
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from dermkit.checks import as_names

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_LABELS = {"auc_macro": "macro AUC", "balanced_accuracy": "balanced accuracy", "accuracy": "accuracy", "thresholded_jaccard": "thresholded Jaccard", "jaccard": "Jaccard"}
_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def to_data_uri(fig: Figure) -> str:
    """Render a figure as PNG and return it as a ``data:`` URI.

    Example:
        >>> to_data_uri(_figure(1, 1))[:22]
        'data:image/png;base64,'
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def roc_figure(y_true: np.ndarray, probs: np.ndarray, classes: Sequence[str]) -> Figure:
    """One-vs-rest ROC curve per class (classes absent from ``y_true`` are skipped), AUC in the legend.

    Example:
        >>> fig = roc_figure(np.array([0, 1]), np.array([[.8, .2], [.3, .7]]), ["nevus", "melanoma"])
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    fig = _figure(5.2, 4.4)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], ls=":", c="#999", lw=1)
    ax.axhline(0.8, ls="--", c="#bbb", lw=0.8)
    for c, name in enumerate(classes):
        t = np.asarray(y_true) == c
        if not t.any() or t.all():
            continue
        fpr, tpr, _ = roc_curve(t, probs[:, c])
        ax.plot(fpr, tpr, lw=1.6, c=_COLOURS[c % len(_COLOURS)], label=f"{name} ({roc_auc_score(t, probs[:, c]):.3f})")
    ax.set(xlabel="false-positive rate (1 - specificity)", ylabel="sensitivity", xlim=(0, 1), ylim=(0, 1.01), title="ROC, one vs rest (AUC)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right", fontsize=8)
    else:  # one class present: no curve to draw (the legend call printed a matplotlib warning)
        ax.text(0.5, 0.5, "no ROC: the cases hold a single class", ha="center", va="center", fontsize=9, color="#666")
    return fig


def confusion_figure(matrix: Sequence[Sequence[int]], classes: Sequence[str]) -> Figure:
    """Confusion matrix coloured by row-normalised recall, annotated with counts (rows = true class).

    Example:
        >>> fig = confusion_figure([[1, 0], [0, 1]], ["a", "b"])
    """
    cm = np.asarray(matrix, dtype=float)
    rows = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    size = 1.6 + 0.55 * len(classes)
    fig = _figure(size + 1.2, size)
    ax = fig.add_subplot()
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", fontsize=8, color="white" if share[i, j] > 0.55 else "#222")
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(classes)), classes, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true", title="confusion matrix (colour: share of the true class)")
    fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def reliability_figure(bins: Sequence[Mapping[str, float]], ece: float) -> Figure:
    """Reliability diagram: accuracy per confidence bin against the diagonal, with bin counts below.

    Example:
        >>> fig = reliability_figure([{"lo": 0.5, "hi": 1.0, "count": 2, "confidence": .8, "accuracy": .5}], 0.3)
    """
    lo = np.array([b["lo"] for b in bins], dtype=float)
    hi = np.array([b["hi"] for b in bins], dtype=float)
    count = np.array([b["count"] for b in bins], dtype=float)
    acc = np.array([np.nan if b["accuracy"] is None else b["accuracy"] for b in bins], dtype=float)
    conf = np.array([np.nan if b["confidence"] is None else b["confidence"] for b in bins], dtype=float)
    fig = _figure(5.2, 4.8)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    filled = count > 0
    top.bar(lo[filled], acc[filled], width=(hi - lo)[filled], align="edge", color="#4c78a8", edgecolor="white", label="accuracy")
    top.hlines(conf[filled], lo[filled], hi[filled], colors="#d62728", lw=2.2, label="mean confidence")
    top.plot([0, 1], [0, 1], ls=":", c="#555", lw=1)
    top.set(ylabel="accuracy", ylim=(0, 1), title=f"reliability diagram (ECE {ece:.3f})")
    top.legend(loc="upper left", fontsize=8)
    bottom.bar(lo, count, width=hi - lo, align="edge", color="#999")
    bottom.set(xlabel="confidence (top-class probability)", ylabel="cases", xlim=(0, 1))
    return fig


def group_figure(column: str, groups: Mapping[str, Mapping], metrics: str | Sequence[str] = ("accuracy", "balanced_accuracy", "auc_macro")) -> Figure:
    """Grouped bars of ``metrics`` per group value with 95% bootstrap CI whiskers; small groups hatched.

    ``groups`` is ``evaluate(...)["groups"][column]``; one metric may be given as a string.

    Example:
        >>> g = {"a": {"n": 40, "small": False, "accuracy": .8, "ci": {"accuracy": [.7, .9]}}}
        >>> fig = group_figure("site", g, ["accuracy"])
    """
    metrics = as_names(metrics)
    names = list(groups)
    x = np.arange(len(names))
    width = 0.8 / len(metrics)
    fig = _figure(min(10.0, max(5.2, 1.4 + 0.4 * len(names) * len(metrics))), 3.6)
    ax = fig.add_subplot()
    for k, m in enumerate(metrics):
        vals = np.array([_num(groups[n].get(m)) for n in names])
        ci = np.array([[_num(v) for v in groups[n].get("ci", {}).get(m, [None, None])] for n in names]).reshape(len(names), 2)
        err = np.vstack([vals - ci[:, 0], ci[:, 1] - vals])
        err = np.where(np.isfinite(err), np.clip(err, 0, None), 0) if np.isfinite(ci).any() else None  # no whiskers for a metric without intervals
        bars = ax.bar(x + (k - (len(metrics) - 1) / 2) * width, np.nan_to_num(vals), width, yerr=err, capsize=2, color=_COLOURS[k], label=_LABELS.get(m, m.replace("_", " ")))
        for bar, n in zip(bars, names):
            if groups[n].get("small"):
                bar.set_hatch("///")
                bar.set_alpha(0.6)
    ax.set_xticks(x, [f"{n}\n(n={groups[n]['n']})" for n in names], fontsize=8)
    ax.set(ylim=(0, 1.0), ylabel=f"score by {column}")
    ax.legend(fontsize=8, ncols=len(metrics), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return fig


def score_histogram_figure(scores: Sequence[float], threshold: float, label: str = "Jaccard per image") -> Figure:
    """Histogram of per-image scores in [0, 1] (20 bins), with a dashed line at ``threshold`` and the
    share of images below it (e.g. the ISIC 2018 rule: a Jaccard under 0.65 scores 0).

    Example:
        >>> fig = score_histogram_figure([0.2, 0.7, 0.9], threshold=0.65)
    """
    values = np.asarray(scores, dtype=float)
    fig = _figure(5.2, 3.4)
    ax = fig.add_subplot()
    ax.hist(values, bins=np.linspace(0.0, 1.0, 21), color=_COLOURS[0], edgecolor="white")
    ax.axvline(threshold, ls="--", c=_COLOURS[1], lw=1.2)
    below = float((values < threshold).mean()) if len(values) else float("nan")
    ax.text(threshold, 0.97, f" {below:.0%} below {threshold:g}", transform=ax.get_xaxis_transform(), va="top", color=_COLOURS[1], fontsize=8)
    ax.set(xlim=(0, 1), xlabel=label, ylabel="images")
    return fig


def _num(v: object) -> float:
    return float("nan") if v is None else float(v)
