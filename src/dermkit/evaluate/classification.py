"""Classification metrics as the ISIC challenges define them.

Inputs are ``y_true`` (class indices ``0..C-1``, shape ``(N,)``), ``probs`` (``(N, C)`` scores, one
column per class) and, for label metrics, ``y_pred`` (class indices; ``probs.argmax(1)`` when not
given). scikit-learn computes the curves (ROC, precision-recall), the confusion matrix and top-k
accuracy; this module fixes the ISIC definitions around them:

* **balanced multiclass accuracy** (ISIC 2018/2019 Task 3 headline): the mean over classes of the
  per-class recall ``TP_c / N_c``.
* **AUC** one-vs-rest per class, **macro AUC** their mean.
* **AUC above 80% sensitivity** (ISIC 2019 leaderboard "AUC, Sens > 80%"): the area under the ROC
  curve over the part of the curve whose sensitivity is at least 0.8 (the ROC point at exactly
  0.8 is interpolated), *not* rescaled: a perfect classifier scores 1.0, a random one 0.18.
* **average precision** per class (scikit-learn's step-wise AP), macro mean.
* **sensitivity, specificity, F1** one-vs-rest per class from the confusion matrix.
* **malignant vs benign**: scores are the summed probabilities of the malignant classes
  (:func:`dermkit.labels.is_malignant`); sensitivity at a fixed specificity and vice versa are
  read off the ROC curve's operating points (no interpolation).

Edge cases (defined behaviour):

* A class absent from ``y_true`` has undefined recall, AUC and AP: they are ``nan`` for that class
  and macro means (and balanced accuracy) average over the classes present, as the ISIC scorer
  does. Its specificity is still defined; its F1 is 0 when it was predicted, ``nan`` otherwise.
* Binary metrics on a set with only one kind of label (e.g. a group of size one) return ``nan``.
* NaN or infinite probabilities raise :class:`~dermkit.errors.DataError` naming the first row; they
  are a broken model output and silently dropping them would bias every metric.

Example:
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 2])
    >>> p = np.array([[.8, .1, .1], [.3, .6, .1], [.2, .7, .1], [.1, .2, .7]])
    >>> balanced_accuracy(y, p.argmax(1), 3)   # recalls 1/2, 1, 1
    0.8333333333333334
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from dermkit.checks import as_names
from dermkit.errors import ConfigError, DataError

ISIC_MIN_SENSITIVITY = 0.8
"""ISIC 2019 leaderboard: partial AUC over the ROC region with sensitivity of at least 80%."""


def check_probs(probs: object, n: int | None = None, source: str = "probabilities") -> np.ndarray:
    """Return ``probs`` as a finite float ``(N, C)`` array; NaN/inf or a wrong shape raise :class:`DataError`.

    Example:
        >>> check_probs([[0.2, 0.8]]).shape
        (1, 2)
    """
    p = np.asarray(probs, dtype=float)
    if p.ndim != 2 or p.shape[1] < 2:
        raise DataError(f"{source}: expected an (N, C) array with C >= 2 classes, got shape {p.shape}")
    if n is not None and p.shape[0] != n:
        raise DataError(f"{source}: {p.shape[0]} rows of probabilities for {n} labels")
    bad = ~np.isfinite(p).all(axis=1)
    if bad.any():
        raise DataError(f"{source}: {int(bad.sum())} row(s) have NaN or infinite probabilities (first: row {int(np.flatnonzero(bad)[0])})")
    return p


def check_labels(y: object, num_classes: int, source: str = "labels") -> np.ndarray:
    """Return ``y`` as an int ``(N,)`` array of class indices in ``0..num_classes-1``.

    Example:
        >>> check_labels([0, 2], 3).tolist()
        [0, 2]
    """
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise DataError(f"{source}: expected a 1-D array of class indices, got shape {arr.shape}")
    expected = f"class indices must be integers in 0..{num_classes - 1}"
    if arr.size and arr.dtype.kind not in "iu":
        example = next((v for v in arr.tolist() if type(v) is not int), arr[0])
        raise DataError(f"{source}: {expected}, got {arr.dtype} values such as {example!r}")
    if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        raise DataError(f"{source}: {expected}, got values in [{arr.min()}, {arr.max()}]")
    return arr.astype(np.int64)


def check_predicted_labels(y_true: np.ndarray, y_pred: object, num_classes: int) -> np.ndarray:
    """``y_pred`` as class indices (:func:`check_labels`), one per label of ``y_true``, else :class:`DataError`."""
    pred = check_labels(y_pred, num_classes, "predicted labels")
    if pred.shape != y_true.shape:
        raise DataError(f"{len(pred)} predicted labels for {len(y_true)} true labels")
    return pred


def confusion_matrix(y_true: object, y_pred: object, num_classes: int) -> np.ndarray:
    """``(C, C)`` counts: row = true class, column = predicted class (scikit-learn's layout).

    Example:
        >>> confusion_matrix([0, 1, 1], [0, 0, 1], 2).tolist()
        [[1, 0], [1, 1]]
    """
    t = check_labels(y_true, num_classes, "true labels")
    p = check_predicted_labels(t, y_pred, num_classes)
    # the same counts as sklearn.metrics.confusion_matrix(labels=range(C)), without its per-call
    # validation overhead (group bootstraps call this thousands of times)
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def one_vs_rest_counts(y_true: object, y_pred: object, num_classes: int) -> dict[str, np.ndarray]:
    """Per-class ``tp``, ``fp``, ``fn``, ``tn`` (each ``(C,)``) from the confusion matrix.

    Example:
        >>> one_vs_rest_counts([0, 1, 1], [0, 0, 1], 2)["fn"].tolist()
        [0, 1]
    """
    cm = confusion_matrix(y_true, y_pred, num_classes)
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    return {"tp": tp, "fp": fp, "fn": fn, "tn": cm.sum() - tp - fp - fn}


def sensitivity(y_true: object, y_pred: object, num_classes: int) -> np.ndarray:
    """Per-class recall ``TP / (TP + FN)``; ``nan`` for a class absent from ``y_true``.

    Example:
        >>> sensitivity([0, 1, 1], [0, 0, 1], 3).tolist()
        [1.0, 0.5, nan]
    """
    c = one_vs_rest_counts(y_true, y_pred, num_classes)
    return _ratio(c["tp"], c["tp"] + c["fn"])


def specificity(y_true: object, y_pred: object, num_classes: int) -> np.ndarray:
    """Per-class ``TN / (TN + FP)``; ``nan`` only when every case is of that class.

    Example:
        >>> specificity([0, 1, 1], [0, 0, 1], 2).tolist()
        [0.5, 1.0]
    """
    c = one_vs_rest_counts(y_true, y_pred, num_classes)
    return _ratio(c["tn"], c["tn"] + c["fp"])


def f1(y_true: object, y_pred: object, num_classes: int) -> np.ndarray:
    """Per-class F1 ``2TP / (2TP + FP + FN)``; ``nan`` for a class neither present nor predicted.

    Example:
        >>> f1([0, 1, 1], [0, 0, 1], 2).round(3).tolist()
        [0.667, 0.667]
    """
    c = one_vs_rest_counts(y_true, y_pred, num_classes)
    return _ratio(2 * c["tp"], 2 * c["tp"] + c["fp"] + c["fn"])


def accuracy(y_true: object, y_pred: object) -> float:
    """Share of correct predictions (``nan`` for an empty set).

    Example:
        >>> accuracy([0, 1, 1], [0, 0, 1])
        0.6666666666666666
    """
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape:
        raise DataError(f"{len(p)} predicted labels for {len(t)} true labels")
    return float(np.mean(t == p)) if t.size else float("nan")


def balanced_accuracy(y_true: object, y_pred: object, num_classes: int) -> float:
    """ISIC balanced multiclass accuracy: mean per-class recall over the classes present in ``y_true``.

    Example:
        >>> balanced_accuracy([0, 0, 0, 1], [0, 0, 0, 0], 2)   # recalls 1 and 0
        0.5
    """
    return _nanmean(sensitivity(y_true, y_pred, num_classes))


def _nanmean(values: np.ndarray) -> float:
    v = np.asarray(values, dtype=float)
    return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")


def _binary(y: object, scores: object) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y)
    s = np.asarray(scores, dtype=float)
    if t.shape != s.shape or t.ndim != 1:
        raise DataError(f"binary labels {t.shape} and scores {s.shape} must be two 1-D arrays of one length")
    if t.dtype != bool:
        other = {repr(v): None for v in t.tolist() if not (isinstance(v, (int, float)) and v in (0, 1))}
        if other:
            raise DataError(f"binary labels must be 0/1 or bool; found {', '.join(list(other)[:5])}")
        t = t.astype(bool)
    if not np.isfinite(s).all():
        raise DataError(f"scores: {int((~np.isfinite(s)).sum())} NaN or infinite value(s) (first: row {int(np.flatnonzero(~np.isfinite(s))[0])})")
    return t, s


def _both_kinds(t: np.ndarray) -> bool:
    return bool(t.any() and not t.all())


def _check_level(name: str, level: float) -> None:
    if not 0.0 < level <= 1.0:
        raise ConfigError(f"{name} must be in (0, 1], got {level}")


def binary_auc(y: object, scores: object) -> float:
    """ROC AUC of binary labels against scores; ``nan`` unless both labels occur.

    Example:
        >>> binary_auc([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
        0.75
    """
    from sklearn.metrics import roc_auc_score

    t, s = _binary(y, scores)
    return float(roc_auc_score(t, s)) if _both_kinds(t) else float("nan")


def auc_above_sensitivity(y: object, scores: object, min_sensitivity: float = ISIC_MIN_SENSITIVITY) -> float:
    """ISIC 2019 partial AUC: area under the ROC curve where sensitivity >= ``min_sensitivity``.

    The area is integrated over the false-positive rate from the ROC point where the sensitivity
    first reaches ``min_sensitivity`` (linearly interpolated between the two operating points
    around it) to FPR = 1. It is not rescaled: perfect = 1.0, chance = ``(1 - t**2) / 2``.
    ``nan`` unless both labels occur.

    Example:
        >>> auc_above_sensitivity([0, 1], [0.2, 0.9])
        1.0
        >>> round(auc_above_sensitivity([0, 0, 1, 1], [0.5, 0.5, 0.5, 0.5]), 3)   # chance: the diagonal
        0.18
    """
    from sklearn.metrics import roc_curve

    _check_level("min_sensitivity", min_sensitivity)
    t, s = _binary(y, scores)
    if not _both_kinds(t):
        return float("nan")
    fpr, tpr, _ = roc_curve(t, s, drop_intermediate=False)
    i = int(np.searchsorted(tpr, min_sensitivity, side="left"))  # tpr[0] = 0 < min_sensitivity
    f0, f1_, t0, t1 = fpr[i - 1], fpr[i], tpr[i - 1], tpr[i]
    fpr_at = f0 + (f1_ - f0) * (min_sensitivity - t0) / (t1 - t0)
    xs = np.concatenate([[fpr_at], fpr[i:]])
    ys = np.concatenate([[min_sensitivity], tpr[i:]])
    return float(np.trapezoid(ys, xs))


def binary_average_precision(y: object, scores: object) -> float:
    """scikit-learn's average precision; ``nan`` unless both labels occur.

    Example:
        >>> binary_average_precision([0, 1, 1], [0.2, 0.9, 0.1])   # precisions 1 at r=.5, 2/3 at r=1
        0.8333333333333333
    """
    from sklearn.metrics import average_precision_score

    t, s = _binary(y, scores)
    return float(average_precision_score(t, s)) if _both_kinds(t) else float("nan")


def sensitivity_at_specificity(y: object, scores: object, min_specificity: float = 0.9) -> tuple[float, float]:
    """Highest sensitivity among operating points with specificity >= ``min_specificity``, and its threshold.

    Operating points are those of the ROC curve (predict positive when ``score >= threshold``;
    a threshold of ``inf`` predicts nothing positive).
    ``(nan, nan)`` unless both labels occur.

    Example:
        >>> sensitivity_at_specificity([0, 0, 0, 0, 1, 1], [.1, .2, .3, .8, .7, .9], 0.75)
        (1.0, 0.7)
    """
    from sklearn.metrics import roc_curve

    _check_level("min_specificity", min_specificity)
    t, s = _binary(y, scores)
    if not _both_kinds(t):
        return float("nan"), float("nan")
    fpr, tpr, thr = roc_curve(t, s, drop_intermediate=False)
    ok = np.flatnonzero(1.0 - fpr >= min_specificity - 1e-12)
    best = ok[np.argmax(tpr[ok])]
    return float(tpr[best]), float(thr[best])


def specificity_at_sensitivity(y: object, scores: object, min_sensitivity: float = 0.9) -> tuple[float, float]:
    """Highest specificity among operating points with sensitivity >= ``min_sensitivity``, and its threshold.

    Example:
        >>> specificity_at_sensitivity([0, 0, 0, 0, 1, 1], [.1, .2, .3, .8, .7, .9], 1.0)
        (0.75, 0.7)
    """
    from sklearn.metrics import roc_curve

    _check_level("min_sensitivity", min_sensitivity)
    t, s = _binary(y, scores)
    if not _both_kinds(t):
        return float("nan"), float("nan")
    fpr, tpr, thr = roc_curve(t, s, drop_intermediate=False)
    ok = np.flatnonzero(tpr >= min_sensitivity - 1e-12)
    best = ok[np.argmax(1.0 - fpr[ok])]
    return float(1.0 - fpr[best]), float(thr[best])


def _per_class(fn, y_true: np.ndarray, probs: np.ndarray, **kw) -> np.ndarray:
    return np.array([fn(y_true == c, probs[:, c], **kw) for c in range(probs.shape[1])])


def roc_auc(y_true: object, probs: object) -> np.ndarray:
    """One-vs-rest ROC AUC per class (``(C,)``); ``nan`` for a class absent from ``y_true``.

    Example:
        >>> roc_auc([0, 1, 1], [[.9, .1], [.4, .6], [.6, .4]]).tolist()
        [1.0, 1.0]
    """
    from scipy.stats import rankdata

    p = check_probs(probs)
    t = check_labels(y_true, p.shape[1], "true labels")
    if len(t) != len(p):
        raise DataError(f"{len(p)} rows of probabilities for {len(t)} labels")
    # Mann-Whitney form of the one-vs-rest AUC, all classes at once (ties count one half): the
    # same value as sklearn's roc_auc_score, fast enough for bootstrap resampling
    ranks = rankdata(p, axis=0)
    pos = t[:, None] == np.arange(p.shape[1])[None, :]
    n_pos = pos.sum(axis=0).astype(float)
    n_neg = len(t) - n_pos
    return _ratio((ranks * pos).sum(axis=0) - n_pos * (n_pos + 1) / 2, n_pos * n_neg)


def average_precision(y_true: object, probs: object) -> np.ndarray:
    """One-vs-rest average precision per class (``(C,)``); ``nan`` for a class absent from ``y_true``.

    Example:
        >>> average_precision([0, 1], [[.9, .1], [.4, .6]]).tolist()
        [1.0, 1.0]
    """
    p = check_probs(probs)
    return _per_class(binary_average_precision, check_labels(y_true, p.shape[1]), p)


def top_k_accuracy(y_true: object, probs: object, k: int = 3) -> float:
    """Share of cases whose true class is among the ``k`` highest probabilities (differential diagnosis).

    Example:
        >>> top_k_accuracy([2, 0], [[.5, .3, .2], [.1, .3, .6]], k=2)
        0.0
        >>> top_k_accuracy([0, 1], [[.9, .1], [.6, .4]], k=1), top_k_accuracy([0, 1], [[.9, .1], [.6, .4]], k=2)
        (0.5, 1.0)
    """
    p = check_probs(probs)
    t = check_labels(y_true, p.shape[1])
    if not 1 <= k <= p.shape[1]:
        raise ConfigError(f"top-k accuracy: k must be in 1..{p.shape[1]}, got {k}")
    if not t.size:
        return float("nan")
    # ranked directly: sklearn reads two classes as a binary problem and thresholds the second column
    top = np.argsort(-p, axis=1, kind="stable")[:, :k]
    return float((top == t[:, None]).any(axis=1).mean())


def malignant_scores(probs: object, classes: str | Sequence[str]) -> np.ndarray:
    """P(malignant) per case: the summed probabilities of the malignant classes of ``classes``.

    Example:
        >>> malignant_scores([[.7, .2, .1]], ["nevus", "melanoma", "bcc"]).round(2).tolist()
        [0.3]
    """
    p = check_probs(probs)
    return p[:, _malignant_mask(_class_names(classes, p.shape[1]))].sum(axis=1)


def _class_names(classes: str | Sequence[str], num_classes: int) -> list[str]:
    names = as_names(classes)
    if len(names) != num_classes:
        raise DataError(f"{len(names)} class names for {num_classes} probability columns")
    return names


def _malignant_mask(names: Sequence[str]) -> np.ndarray:
    from dermkit.labels import is_malignant

    return np.array([is_malignant(c) is True for c in names])


def malignancy_metrics(
    y_malignant: object,
    scores: object,
    specificities: Sequence[float] = (0.8, 0.9, 0.95),
    sensitivities: Sequence[float] = (0.8, 0.9, 0.95),
) -> dict[str, float]:
    """Malignant-vs-benign metrics of P(malignant): AUC, AUC above 80% sensitivity, AP, and operating points.

    Keys: ``auc``, ``auc_sens80``, ``average_precision``, ``sensitivity_at_specificity_<s>`` and
    ``specificity_at_sensitivity_<s>`` for each requested level (e.g. ``..._0.9``).

    Example:
        >>> m = malignancy_metrics([0, 0, 1, 1], [.1, .4, .35, .8])
        >>> m["auc"], m["sensitivity_at_specificity_0.9"]
        (0.75, 0.5)
    """
    t, s = _binary(y_malignant, scores)
    out = {
        "n_malignant": int(t.sum()),
        "n_benign": int((~t).sum()),
        "auc": binary_auc(t, s),
        "auc_sens80": auc_above_sensitivity(t, s),
        "average_precision": binary_average_precision(t, s),
    }
    for level in specificities:
        out[f"sensitivity_at_specificity_{level:g}"] = sensitivity_at_specificity(t, s, level)[0]
    for level in sensitivities:
        out[f"specificity_at_sensitivity_{level:g}"] = specificity_at_sensitivity(t, s, level)[0]
    return out


def classification_metrics(
    y_true: object,
    probs: object,
    classes: str | Sequence[str],
    y_pred: object | None = None,
    top_k: Sequence[int] = (2, 3),
) -> dict:
    """All ISIC classification metrics of one set of predictions, as a JSON-ready dict.

    Scalars: ``n``, ``balanced_accuracy``, ``accuracy``, ``auc_macro``, ``auc_sens80_macro``,
    ``average_precision_macro``, ``sensitivity_macro``, ``specificity_macro``, ``f1_macro``,
    ``top<k>_accuracy``; dicts by class name: ``auc_per_class``, ``auc_sens80_per_class``,
    ``average_precision_per_class``, ``sensitivity_per_class``, ``specificity_per_class``,
    ``f1_per_class``, ``support``; ``confusion_matrix`` (rows = true); and ``malignant`` (see
    :func:`malignancy_metrics`) when ``classes`` holds both malignant and benign diagnoses and
    every class is a diagnosis of dermkit's taxonomy (:data:`dermkit.labels.DIAGNOSES`): with any
    other class name (e.g. ``"foo"``) its malignancy is unknown, so ``malignant`` is left out and
    the other metrics are computed as usual. Macro means skip ``nan`` (classes absent from
    ``y_true``).

    Example:
        >>> m = classification_metrics([0, 1], [[.9, .1], [.2, .8]], ["nevus", "melanoma"])
        >>> m["balanced_accuracy"], m["auc_per_class"]["melanoma"]
        (1.0, 1.0)
    """
    from dermkit.labels import DIAGNOSES

    p = check_probs(probs)
    names = _class_names(classes, p.shape[1])
    malignant = _malignant_mask(names) if all(c in DIAGNOSES for c in names) else None
    t = check_labels(y_true, p.shape[1], "true labels")
    if len(t) != len(p):
        raise DataError(f"{len(p)} rows of probabilities for {len(t)} labels")
    pred = p.argmax(axis=1) if y_pred is None else check_predicted_labels(t, y_pred, p.shape[1])
    C = p.shape[1]

    def by_class(values: np.ndarray) -> dict[str, float]:
        return {c: float(v) for c, v in zip(names, values)}

    auc = roc_auc(t, p)
    auc80 = _per_class(auc_above_sensitivity, t, p)
    ap = average_precision(t, p)
    sens, spec, f1s = sensitivity(t, pred, C), specificity(t, pred, C), f1(t, pred, C)
    out: dict = {
        "n": int(len(t)),
        "balanced_accuracy": _nanmean(sens),
        "accuracy": accuracy(t, pred),
        "auc_macro": _nanmean(auc),
        "auc_sens80_macro": _nanmean(auc80),
        "average_precision_macro": _nanmean(ap),
        "sensitivity_macro": _nanmean(sens),
        "specificity_macro": _nanmean(spec),
        "f1_macro": _nanmean(f1s),
    }
    for k in top_k:
        if k < C:
            out[f"top{k}_accuracy"] = top_k_accuracy(t, p, k)
    out.update(
        {
            "support": {c: int(n) for c, n in zip(names, np.bincount(t, minlength=C))},
            "auc_per_class": by_class(auc),
            "auc_sens80_per_class": by_class(auc80),
            "average_precision_per_class": by_class(ap),
            "sensitivity_per_class": by_class(sens),
            "specificity_per_class": by_class(spec),
            "f1_per_class": by_class(f1s),
            "confusion_matrix": confusion_matrix(t, pred, C).tolist(),
        }
    )
    if malignant is not None and malignant.any() and not malignant.all():
        out["malignant"] = malignancy_metrics(malignant[t], p[:, malignant].sum(axis=1))
    return out
