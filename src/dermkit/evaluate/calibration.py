"""Calibration: expected calibration error, reliability-diagram data and temperature scaling.

Confidence is the top-label probability (Guo et al. 2017). Bins are ``n_bins`` equal-width
intervals ``(lo, hi]`` of confidence (the first one closed at 0), as in Guo et al. torchmetrics'
``multiclass_calibration_error`` bins ``[lo, hi)`` instead (a confidence of exactly 1.0 gets a bin
of its own), so the two agree unless some confidence lies on a bin edge.
Temperature scaling divides the log-probabilities by one scalar ``T`` fitted on validation
predictions by minimising the negative log-likelihood (scipy's bounded scalar minimiser); it
changes confidence, never the predicted class.

Example:
    >>> import numpy as np
    >>> p = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    >>> round(expected_calibration_error([0, 1, 0, 0], p, n_bins=10), 3)   # |.9-.5|/2 + |.6-1|/2
    0.4
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dermkit.checks import check_count
from dermkit.errors import ConfigError, DataError, NotFittedError
from dermkit.evaluate.classification import check_labels, check_probs


def _checked(y_true: object, probs: object) -> tuple[np.ndarray, np.ndarray]:
    p = check_probs(probs)
    t = check_labels(y_true, p.shape[1], "true labels")
    if len(t) != len(p):
        raise DataError(f"{len(p)} rows of probabilities for {len(t)} labels")
    return t, p


def reliability_bins(y_true: object, probs: object, n_bins: int = 15) -> pd.DataFrame:
    """Reliability-diagram data: one row per confidence bin.

    Columns: ``lo``, ``hi`` (bin edges), ``count``, ``confidence`` (mean top-label probability)
    and ``accuracy`` (share correct); ``nan`` for empty bins.

    Example:
        >>> b = reliability_bins([0, 1], [[0.9, 0.1], [0.85, 0.15]], n_bins=5)
        >>> b.loc[4, ["count", "confidence", "accuracy"]].tolist()
        [2.0, 0.875, 0.5]
    """
    check_count("n_bins", n_bins, 1)
    t, p = _checked(y_true, probs)
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == t).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(idx, weights=conf, minlength=n_bins) / count
        acc = np.bincount(idx, weights=correct, minlength=n_bins) / count
    return pd.DataFrame({"lo": edges[:-1], "hi": edges[1:], "count": count, "confidence": mean_conf, "accuracy": acc})


def expected_calibration_error(y_true: object, probs: object, n_bins: int = 15) -> float:
    """ECE: the count-weighted mean over bins of ``|accuracy - confidence|`` (``nan`` for no cases).

    Example:
        >>> round(expected_calibration_error([0, 1], [[0.9, 0.1], [0.2, 0.8]], n_bins=10), 3)
        0.15
    """
    b = reliability_bins(y_true, probs, n_bins)
    n = b["count"].sum()
    if n == 0:
        return float("nan")
    filled = b[b["count"] > 0]
    return float((filled["count"] * (filled["accuracy"] - filled["confidence"]).abs()).sum() / n)


def _log(probs: np.ndarray) -> np.ndarray:
    return np.log(np.clip(probs, 1e-12, None))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class TemperatureScaler:
    """Temperature scaling of predicted probabilities, scikit-learn style (``fit`` / ``transform``).

    ``fit(probs, y)`` finds ``temperature_`` in ``[min_t, max_t]`` minimising the NLL of
    ``softmax(log(probs) / T)`` on validation predictions; ``transform`` applies it.

    Example:
        >>> rng = np.random.default_rng(0); y = rng.integers(0, 3, 500)
        >>> over = np.eye(3)[np.where(rng.random(500) < .6, y, (y + 1) % 3)] * .97 + .01  # 97% sure, 60% right
        >>> ts = TemperatureScaler().fit(over, y)
        >>> ts.temperature_ > 1, bool((ts.transform(over).argmax(1) == over.argmax(1)).all())
        (True, True)
    """

    def __init__(self, min_t: float = 0.05, max_t: float = 20.0) -> None:
        if not 0 < min_t < max_t:
            raise ConfigError(f"temperature bounds must satisfy 0 < min_t < max_t, got {min_t}, {max_t}")
        self.min_t = min_t
        self.max_t = max_t

    def fit(self, probs: object, y_true: object) -> "TemperatureScaler":
        """Fit the temperature on validation probabilities and their true class indices."""
        from scipy.optimize import minimize_scalar

        t, p = _checked(y_true, probs)
        if len(t) == 0:
            raise DataError("temperature scaling needs at least one validation prediction")
        logp = _log(p)
        rows = np.arange(len(t))

        def nll(log_t: float) -> float:
            z = logp / np.exp(log_t)
            z = z - z.max(axis=1, keepdims=True)
            return float(-(z[rows, t] - np.log(np.exp(z).sum(axis=1))).mean())

        res = minimize_scalar(nll, bounds=(np.log(self.min_t), np.log(self.max_t)), method="bounded", options={"xatol": 1e-6})
        self.temperature_ = float(np.exp(res.x))
        self.nll_before_ = nll(0.0)
        self.nll_after_ = float(res.fun)
        return self

    def transform(self, probs: object) -> np.ndarray:
        """Return the temperature-scaled probabilities (rows sum to 1; argmax unchanged)."""
        if not hasattr(self, "temperature_"):
            raise NotFittedError("TemperatureScaler: call fit(val_probs, val_labels) before transform")
        return _softmax(_log(check_probs(probs)) / self.temperature_)
