"""Any metric broken down by any group column, with bootstrap CIs, and fairness summaries.

In the spirit of fairlearn's ``MetricFrame``: :func:`group_metrics` evaluates named metrics on
each group of a column (skin tone, Fitzpatrick type, site, sex, age bin, an artifact flag) with
seeded percentile-bootstrap confidence intervals, and :func:`fairness_summary` condenses the
table into gaps and ratios between groups plus the fairness figures the skin-lesion literature
reports:

* ``eod`` — equal-opportunity difference: the largest gap in true-positive rate (per-class recall)
  between two groups, over all classes (``eod_class`` names the class); a class only counts in
  the groups where it occurs.
* ``nar`` — normalised accuracy range, ``(max - min) / mean`` of the group accuracies (as CIRCLe,
  Pakzad et al. 2022, reports it across skin types).
* ``worst_group_accuracy`` (and ``worst_group``), ``<metric>_gap`` (max - min) and
  ``<metric>_ratio`` (min / max) for every metric of the table.

Defined behaviour: rows whose group value is missing form the group ``"<missing>"``, shown in the
table but left out of fairness summaries; a group with fewer than ``min_group_size`` cases is
flagged ``small`` (and listed in ``small_groups``) and a :class:`SmallGroupWarning` is issued;
metrics undefined on a group (e.g. AUC for a group of one) are ``nan`` and are skipped by gaps and
ratios.

Example:
    >>> import numpy as np
    >>> y = np.array([0, 1, 0, 1]); p = np.array([[.9, .1], [.2, .8], [.4, .6], [.7, .3]])
    >>> t = group_metrics(y, p, ["a", "a", "b", "b"], n_boot=0, min_group_size=1)
    >>> t["accuracy"].tolist()
    [1.0, 0.0]
"""

from __future__ import annotations

import warnings
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from dermkit.checks import as_names, check_count
from dermkit.errors import ConfigError, DataError
from dermkit.evaluate import classification as clf

MISSING = "<missing>"
"""Group label of rows whose group value is missing."""

Metric = Callable[[np.ndarray, np.ndarray, np.ndarray], float]
"""A group metric: ``metric(y_true, probs, y_pred) -> float``."""

METRICS: dict[str, Metric] = {
    "accuracy": lambda t, p, yp: clf.accuracy(t, yp),
    "balanced_accuracy": lambda t, p, yp: clf.balanced_accuracy(t, yp, p.shape[1]),
    "auc_macro": lambda t, p, yp: float(np.nanmean(a)) if np.isfinite(a := clf.roc_auc(t, p)).any() else float("nan"),
    "f1_macro": lambda t, p, yp: float(np.nanmean(f)) if np.isfinite(f := clf.f1(t, yp, p.shape[1])).any() else float("nan"),
}
"""Metrics :func:`group_metrics` knows by name."""

DEFAULT_METRICS = ("accuracy", "balanced_accuracy", "auc_macro")


class SmallGroupWarning(UserWarning):
    """A group is too small for its metrics to be trusted."""


def age_bins(age: pd.Series, edges: Sequence[float] = (30, 45, 60, 75)) -> pd.Series:
    """Bin ages into labelled ranges (``<30``, ``30-44``, ..., ``75+``); missing stays missing.

    Example:
        >>> age_bins(pd.Series([12, 44, 80, None])).tolist()
        ['<30', '30-44', '75+', <NA>]
    """
    e = list(edges)
    if not e or any(b <= a for a, b in zip(e, e[1:])):
        raise ConfigError(f"age bin edges must be increasing numbers, got {e}")
    labels = [f"<{e[0]:g}"] + [f"{a:g}-{b - 1:g}" for a, b in zip(e[:-1], e[1:])] + [f"{e[-1]:g}+"]
    binned = pd.cut(pd.to_numeric(age, errors="coerce"), [-np.inf, *e, np.inf], right=False, labels=labels)
    return binned.astype("string")


def group_columns(cases: pd.DataFrame, by: str) -> dict[str, pd.Series]:
    """The group column(s) that ``by`` names on a case table, as strings.

    ``by`` is a column of the table, ``age_bin`` (from ``age``), ``artifact`` (one yes/no column
    per artifact, via :func:`dermkit.cases.artifact_flags`) or ``artifact_<name>`` (an artifact of
    the table, or one the generator knows). An unknown name raises :class:`DataError` listing the
    columns, or the artifacts, there are.

    Example:
        >>> list(group_columns(pd.DataFrame({"artifacts": ["hair", None]}), "artifact"))
        ['artifact_hair']
    """
    from dermkit.cases import artifact_flags

    if by in cases.columns:
        col = cases[by]
        return {by: col.astype("string") if not pd.api.types.is_float_dtype(col) else col.map(lambda v: None if pd.isna(v) else f"{v:g}").astype("string")}
    if by == "age_bin" and "age" in cases.columns:
        return {by: age_bins(cases["age"])}
    flags = artifact_flags(cases)
    if by == "artifact" and "artifacts" in cases.columns:
        return {c: flags[c].map({True: "yes", False: "no"}).astype("string") for c in flags.columns}
    if by.startswith("artifact_") and "artifacts" in cases.columns:
        from dermkit.synth.artifacts import ARTIFACTS

        name = by[len("artifact_"):]
        if by not in flags.columns and name not in ARTIFACTS:  # a misspelt artifact put every case in group "no"
            present = ", ".join(c[len("artifact_"):] for c in flags.columns) or "none"
            raise DataError(f"cannot group by {by!r}: no case has artifact {name!r}; artifacts in the table: {present}")
        flag = flags[by] if by in flags.columns else pd.Series(False, index=cases.index)  # a known artifact no case has
        return {by: flag.map({True: "yes", False: "no"}).astype("string")}
    extra = ["age_bin"] if "age" in cases.columns else []
    extra += ["artifact", "artifact_<name>"] if "artifacts" in cases.columns else []
    columns = [str(c) for c in cases.columns if not str(c).startswith(("prob_", "emb_"))]  # not prediction columns
    raise DataError(f"cannot group by {by!r}: no such column; available: {', '.join([*columns, *extra])}")


def _resolve(metrics: str | Sequence[str] | Mapping[str, Metric] | None) -> dict[str, Metric]:
    if metrics is None:
        metrics = DEFAULT_METRICS
    if isinstance(metrics, Mapping):
        return dict(metrics)
    names = as_names(metrics)
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise ConfigError(f"unknown group metric(s) {', '.join(unknown)}; known: {', '.join(METRICS)}")
    return {m: METRICS[m] for m in names}


def _labels(groups: object, n: int) -> np.ndarray:
    g = pd.Series(groups).astype("string").reset_index(drop=True)
    if len(g) != n:
        raise DataError(f"{len(g)} group values for {n} predictions")
    return g.fillna(MISSING).to_numpy(dtype=object)


def _ordered(values: set[str]) -> list[str]:
    """Group values in order: by number when every value is one (``2`` before ``10``), else as text."""
    try:
        return sorted(values, key=float)
    except ValueError:
        return sorted(values)


def group_metrics(
    y_true: object,
    probs: object,
    groups: object,
    metrics: str | Sequence[str] | Mapping[str, Metric] | None = None,
    y_pred: object | None = None,
    n_boot: int = 200,
    ci: float = 0.95,
    seed: int = 0,
    min_group_size: int = 30,
) -> pd.DataFrame:
    """Metrics per group with percentile-bootstrap confidence intervals.

    Returns one row per group value (sorted, by number when every value is one; ``"<missing>"``
    last) with columns ``n``, ``small``, and for each metric ``<m>``, ``<m>_lo``, ``<m>_hi`` (the
    ``ci`` interval from ``n_boot`` resamples of the group's cases; ``nan`` when ``n_boot=0``).
    ``metrics`` are names of :data:`METRICS` (one name may be given as a string) or a mapping of
    names to metric functions. ``y_pred`` (default: ``probs.argmax(1)``) must have one label per
    case. The same ``seed`` gives the same intervals. Groups smaller than ``min_group_size`` are
    flagged and warned about.

    Example:
        >>> y = np.array([0, 1, 1, 1]); p = np.eye(2)[[0, 1, 0, 1]]
        >>> group_metrics(y, p, ["x", "x", "y", "y"], ["accuracy"], n_boot=0, min_group_size=1).loc["y", "accuracy"]
        np.float64(0.5)
    """
    p = clf.check_probs(probs)
    t = clf.check_labels(y_true, p.shape[1], "true labels")
    if len(t) != len(p):
        raise DataError(f"{len(p)} rows of probabilities for {len(t)} labels")
    pred = p.argmax(axis=1) if y_pred is None else clf.check_predicted_labels(t, y_pred, p.shape[1])
    if not 0 < ci < 1:
        raise ConfigError(f"ci must be in (0, 1), got {ci}")
    check_count("n_boot", n_boot, 0)
    funcs = _resolve(metrics)
    g = _labels(groups, len(t))
    values = _ordered(set(g) - {MISSING}) + ([MISSING] if MISSING in set(g) else [])
    alpha = (1 - ci) / 2
    rows = []
    for k, value in enumerate(values):
        idx = np.flatnonzero(g == value)
        row: dict = {"group": value, "n": len(idx), "small": len(idx) < min_group_size}
        rng = np.random.default_rng([seed, k])
        boots = rng.integers(0, len(idx), size=(n_boot, len(idx))) if n_boot else None
        for name, fn in funcs.items():
            row[name] = _safe(fn, t[idx], p[idx], pred[idx])
            lo = hi = float("nan")
            if boots is not None:
                samples = np.array([_safe(fn, t[idx[b]], p[idx[b]], pred[idx[b]]) for b in boots])
                if np.isfinite(samples).any():
                    lo, hi = np.nanquantile(samples, [alpha, 1 - alpha])
            row[f"{name}_lo"], row[f"{name}_hi"] = float(lo), float(hi)
        rows.append(row)
    table = pd.DataFrame(rows).set_index("group")
    small = [f"{v}: {table.loc[v, 'n']}" for v in values if table.loc[v, "small"] and v != MISSING]
    if small:
        warnings.warn(
            f"{len(small)} group(s) have fewer than {min_group_size} cases ({', '.join(small)}); their metrics are unreliable",
            SmallGroupWarning,
            stacklevel=2,
        )
    return table


def _safe(fn: Metric, t: np.ndarray, p: np.ndarray, yp: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(fn(t, p, yp))


def fairness_summary(
    table: pd.DataFrame,
    y_true: object,
    y_pred: object,
    groups: object,
    num_classes: int,
) -> dict:
    """Fairness figures across the (non-missing) groups of a :func:`group_metrics` table.

    Keys: ``n_groups``, ``eod``, ``eod_class`` (index of the class with the largest TPR gap),
    ``nar``, ``worst_group_accuracy``, ``worst_group``, ``best_group_accuracy``, ``small_groups``,
    and ``<metric>_gap`` / ``<metric>_ratio`` for each metric column of ``table``. With fewer
    than two groups, gaps, ``eod`` and ``nar`` are ``nan``.

    Example:
        >>> y = np.array([0, 1, 0, 1]); yp = np.array([0, 1, 0, 0])
        >>> t = group_metrics(y, np.eye(2)[yp], ["a", "a", "b", "b"], ["accuracy"], n_boot=0, min_group_size=1)
        >>> s = fairness_summary(t, y, yp, ["a", "a", "b", "b"], 2)
        >>> s["eod"], s["nar"], s["worst_group"]
        (1.0, 0.6666666666666666, 'b')
    """
    t = clf.check_labels(y_true, num_classes, "true labels")
    yp = clf.check_predicted_labels(t, y_pred, num_classes)
    g = _labels(groups, len(t))
    tab = table.drop(index=MISSING, errors="ignore")
    metric_cols = [c for c in tab.columns if c not in ("n", "small") and not c.endswith(("_lo", "_hi"))]
    out: dict = {"n_groups": int(len(tab)), "small_groups": [str(v) for v in tab.index[tab["small"].astype(bool)]]}
    for m in metric_cols:
        v = tab[m].astype(float).dropna()
        out[f"{m}_gap"] = float(v.max() - v.min()) if len(v) >= 2 else float("nan")
        out[f"{m}_ratio"] = float(v.min() / v.max()) if len(v) >= 2 and v.max() > 0 else float("nan")
    tpr = np.full((len(tab), num_classes), np.nan)
    for i, value in enumerate(tab.index):
        idx = g == value
        tpr[i] = clf.sensitivity(t[idx], yp[idx], num_classes)
    gaps = np.array([np.nanmax(c) - np.nanmin(c) if np.isfinite(c).sum() >= 2 else np.nan for c in tpr.T])
    out["eod"] = float(np.nanmax(gaps)) if np.isfinite(gaps).any() else float("nan")
    out["eod_class"] = int(np.nanargmax(gaps)) if np.isfinite(gaps).any() else None
    if "accuracy" in tab.columns:
        acc = tab["accuracy"].astype(float).dropna()
        out["nar"] = float((acc.max() - acc.min()) / acc.mean()) if len(acc) >= 2 and acc.mean() > 0 else float("nan")
        out["worst_group_accuracy"] = float(acc.min()) if len(acc) else float("nan")
        out["worst_group"] = str(acc.idxmin()) if len(acc) else None
        out["best_group_accuracy"] = float(acc.max()) if len(acc) else float("nan")
    return out
