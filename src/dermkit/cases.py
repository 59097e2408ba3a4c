"""The case table: dermkit's one data format.

A case table is a :class:`pandas.DataFrame` with one row per image and the canonical columns of
:data:`COLUMNS`. Every source (public data sets, folders of images, the synthetic generator) is
turned into one; every stage reads and writes one. Extra columns are kept untouched.

Example:
    >>> import pandas as pd
    >>> df = validate_cases(pd.DataFrame({"case_id": ["a"], "image_path": ["a.png"], "diagnosis": ["nevus"]}))
    >>> bool(df.loc[0, "malignant"])
    False
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from dermkit.checks import as_names
from dermkit.errors import ConfigError, DataError
from dermkit.io import atomic_path
from dermkit.labels import DIAGNOSES, malignant_column


@dataclass(frozen=True)
class Column:
    """One canonical column: its pandas dtype, whether a table must have it, and its meaning."""

    name: str
    dtype: str
    required: bool
    description: str


COLUMNS: tuple[Column, ...] = (
    Column("case_id", "string", True, "unique, stable id of the image"),
    Column("image_path", "string", True, "image file, absolute or relative to the table's folder"),
    Column("mask_path", "string", False, "lesion mask (single-channel {0,255} PNG of the image's size)"),
    Column("diagnosis", "string", True, "canonical label from dermkit.labels; empty when unlabelled"),
    Column("malignant", "boolean", False, "derived from diagnosis"),
    Column("source_label", "string", False, "the data set's own label, verbatim"),
    Column("patient_id", "string", False, "patient, for patient-grouped splits"),
    Column("lesion_id", "string", False, "lesion, for grouping several images of one lesion"),
    Column("fitzpatrick", "Int64", False, "Fitzpatrick skin type 1-6 when the source gives it"),
    Column("ita", "float64", False, "Individual Typology Angle of the healthy skin, degrees"),
    Column("skin_tone", "string", False, "ITA category (very_light, light, intermediate, tan, brown, dark)"),
    Column("site", "string", False, "hospital or source collection"),
    Column("modality", "string", False, "dermoscopic or clinical"),
    Column("age", "float64", False, "age in years"),
    Column("sex", "string", False, "male or female (also read from m/f, any case; other values are missing, with a warning unless they say unknown)"),
    Column("anatom_site", "string", False, "anatomical site"),
    Column("artifacts", "string", False, "';'-joined artifacts present (hair;ruler;ink;dark_corner;...)"),
    Column("split", "string", False, "train, val or test"),
    Column("image_available", "boolean", False, "False for metadata-only rows whose image file is absent"),
)
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
SPLITS: tuple[str, ...] = ("train", "val", "test")
MODALITIES: tuple[str, ...] = ("dermoscopic", "clinical")
SKIN_TONES: tuple[str, ...] = ("very_light", "light", "intermediate", "tan", "brown", "dark")
_SEX_NAMES = {"male": "male", "m": "male", "female": "female", "f": "female"}
_SEX_UNKNOWN = frozenset({"", "unknown", "unk", "na", "n/a", "nan", "none", "<na>", "?", "-", "other_or_unspecified"})  # the last is SCIN's


class UnreadSexWarning(UserWarning):
    """Some ``sex`` values were neither male/female (m/f) nor a way of writing "unknown"; they are read as missing."""
_PATH_COLUMNS = ("image_path", "mask_path")


def _fail(source: str, message: str) -> DataError:
    return DataError(f"{source}: {message}")


def validate_cases(df: pd.DataFrame, source: str = "case table") -> pd.DataFrame:
    """Check a case table and return a copy with canonical dtypes and derived columns filled.

    Raises :class:`DataError` naming ``source`` and the column or value at fault when a required
    column is missing, a ``case_id`` is empty or duplicated, or a value is outside its domain.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{source}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise _fail(source, f"missing required column(s) {', '.join(missing)}; found: {', '.join(map(str, df.columns))}")
    out = df.copy().reset_index(drop=True)
    for col in COLUMNS:
        if col.name in out.columns:
            out[col.name] = _coerce(out[col.name], col, source)
    for col in ("case_id", "patient_id", "lesion_id"):  # "HAM_0000118 " and "HAM_0000118" are one lesion
        if col in out.columns:
            out[col] = out[col].str.strip().replace("", pd.NA)
    if out["case_id"].isna().any() or (out["case_id"].str.len() == 0).any():
        raise _fail(source, f"empty case_id in row {int(np.flatnonzero(out['case_id'].isna() | (out['case_id'].fillna('') == ''))[0])}")
    dup = out["case_id"][out["case_id"].duplicated()]
    if len(dup):
        raise _fail(source, f"duplicated case_id {dup.iloc[0]!r} ({len(dup)} duplicate row(s))")
    if out["image_path"].isna().any():
        raise _fail(source, f"empty image_path for case {out.loc[out['image_path'].isna(), 'case_id'].iloc[0]!r}")
    _check_domain(out, "diagnosis", DIAGNOSES, source)
    _check_domain(out, "split", SPLITS, source)
    _check_domain(out, "modality", MODALITIES, source)
    _check_domain(out, "skin_tone", SKIN_TONES, source)
    if "fitzpatrick" in out.columns:
        bad = out["fitzpatrick"].dropna()
        bad = bad[(bad < 1) | (bad > 6)]
        if len(bad):
            raise _fail(source, f"fitzpatrick must be 1-6, got {bad.iloc[0]} for case {out.loc[bad.index[0], 'case_id']!r}")
    if "sex" in out.columns:
        written = out["sex"].dropna().str.strip().str.lower()
        unread = written[~written.isin(list(_SEX_NAMES)) & ~written.isin(list(_SEX_UNKNOWN))]
        if len(unread):  # e.g. "man", "1": read as missing, which silently emptied a metadata column
            warnings.warn(f"{source}: sex {out.loc[unread.index[0], 'sex']!r} ({len(unread)} case(s)) is not male/female or m/f; read as missing",
                          UnreadSexWarning, stacklevel=3)
        out["sex"] = out["sex"].map(lambda s: _SEX_NAMES.get(str(s).strip().lower()) if pd.notna(s) else None).astype("string")
    out["malignant"] = malignant_column(out["diagnosis"]) if "malignant" not in df.columns else out["malignant"].fillna(malignant_column(out["diagnosis"]))
    return out


def _coerce(series: pd.Series, col: Column, source: str) -> pd.Series:
    try:
        if col.dtype == "string":
            return series.map(lambda v: None if pd.isna(v) or (isinstance(v, str) and v.strip() == "") else str(v)).astype("string")
        if col.dtype == "boolean":
            return series.map(_to_bool).astype("boolean")
        if col.dtype == "Int64":
            values = pd.to_numeric(series, errors="raise").astype("Float64")
            fractional = values.dropna()[values.dropna() != values.dropna().round()]
            if len(fractional):
                raise ValueError(f"{fractional.iloc[0]} in row {fractional.index[0]} is not a whole number")
            return values.astype("Int64")
        return pd.to_numeric(series, errors="raise").astype(col.dtype)
    except (ValueError, TypeError) as exc:
        raise _fail(source, f"column {col.name!r} cannot be read as {col.dtype}: {exc}") from None


def _to_bool(v: object) -> bool | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    s = str(v).strip().lower()
    if s in {"true", "1", "1.0", "yes", "malignant"}:
        return True
    if s in {"false", "0", "0.0", "no", "benign"}:
        return False
    if s in {"", "nan", "none", "<na>"}:
        return None
    raise ValueError(f"not a boolean: {v!r}")


def _check_domain(df: pd.DataFrame, column: str, allowed: Sequence[str] | dict, source: str) -> None:
    if column not in df.columns:
        return
    values = df[column].dropna()
    bad = values[~values.isin(list(allowed))]
    if len(bad):
        case = df.loc[bad.index[0], "case_id"]
        raise _fail(source, f"unknown {column} {bad.iloc[0]!r} for case {case!r}; allowed: {', '.join(allowed)}")


def load_cases(path: str | os.PathLike[str] | pd.DataFrame, resolve_paths: bool = True, source: str = "case table") -> pd.DataFrame:
    """Read a case table from Parquet or CSV and validate it; a DataFrame is validated as it is
    (:func:`validate_cases`, with ``source`` naming it in errors), so functions can take either.

    With ``resolve_paths`` relative ``image_path`` / ``mask_path`` values of a file are made
    absolute against the table's folder, so a table travels with its images.
    """
    if isinstance(path, pd.DataFrame):
        return validate_cases(path, source=source)
    p = Path(path)
    if p.is_dir():
        raise DataError(f"case table {p} is a folder; give the table file (.parquet or .csv)")
    if not p.is_file():
        raise DataError(f"case table not found: {p}")
    try:
        if p.suffix.lower() == ".parquet":
            df = pd.read_parquet(p)
        elif p.suffix.lower() in {".csv", ".tsv"}:
            df = pd.read_csv(p, sep="\t" if p.suffix.lower() == ".tsv" else ",", dtype={"case_id": str, "patient_id": str, "lesion_id": str}, keep_default_na=True)
        else:
            raise DataError(f"{p}: case tables are .parquet or .csv files")
    except DataError:
        raise
    except Exception as exc:  # pyarrow / pandas parse errors differ by version
        raise DataError(f"cannot read case table {p}: {str(exc).splitlines()[0]}") from None
    df = validate_cases(df, source=str(p))
    if resolve_paths:
        root = p.resolve().parent
        for col in _PATH_COLUMNS:
            if col in df.columns:
                df[col] = df[col].map(lambda v: v if pd.isna(v) or os.path.isabs(v) else str(root / v)).astype("string")
    return df


def check_table_path(path: str | os.PathLike[str]) -> Path:
    """``path`` as a :class:`Path` if a case table can be written there (``.parquet`` or ``.csv``, not
    a folder); else :class:`ConfigError`. Commands call it before long work, not only when saving.

    Example:
        >>> check_table_path("out/cases.txt")
        Traceback (most recent call last):
        ...
        dermkit.errors.ConfigError: out/cases.txt: case tables are written as .parquet or .csv
    """
    p = Path(path)
    if p.suffix.lower() not in {".parquet", ".csv"}:
        raise ConfigError(f"{p}: case tables are written as .parquet or .csv")
    if p.is_dir():
        raise ConfigError(f"{p} is a folder; give a file name ending in .parquet or .csv")
    above = next((a for a in p.parents if a.exists()), None)
    if above is not None and not above.is_dir():
        raise ConfigError(f"{p}: {above} is a file, not a folder")
    return p


def save_cases(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Validate and write a case table (``.parquet`` or ``.csv``) atomically; return its path."""
    p = check_table_path(path)
    table = validate_cases(df, source=str(p))
    with atomic_path(p) as tmp:
        if p.suffix.lower() == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            table.to_csv(tmp, index=False)
    return p


def group_keys(df: pd.DataFrame) -> pd.Series:
    """The grouping key of each row for leak-free splits: patient, else lesion, else the case itself.

    Rows that share a lesion get one key even where only some of them name the patient (the
    lesion's rows without a patient id would otherwise form a group of their own, in another split).

    Example:
        >>> t = pd.DataFrame({"case_id": ["a", "b", "c"], "lesion_id": ["L1", "L1", "L2"], "patient_id": ["P1", None, None]})
        >>> group_keys(t).tolist()
        ['patient_id:P1', 'patient_id:P1', 'lesion_id:L2']
    """
    key = pd.Series(df["case_id"].astype(str).values, index=df.index)
    for col in ("lesion_id", "patient_id"):  # later columns take precedence
        if col in df.columns:
            vals = df[col]
            key = key.where(vals.isna(), col + ":" + vals.astype(str))
    if "lesion_id" not in df.columns:
        return key
    parent: dict[str, str] = {}

    def root(k: str) -> str:
        while parent.get(k, k) != k:
            k = parent[k]
        return k

    for keys in key.groupby(df["lesion_id"].to_numpy()).unique():  # the keys that one lesion's rows carry
        roots = sorted({root(k) for k in keys}, key=lambda k: (not k.startswith("patient_id:"), k))
        for other in roots[1:]:
            parent[other] = roots[0]  # a patient's key, where there is one, names the merged group
    return key.map(root) if parent else key


def split_cases(
    df: pd.DataFrame,
    fractions: Sequence[float] = (0.7, 0.15, 0.15),
    seed: int = 0,
    stratify: str | None = "diagnosis",
) -> pd.DataFrame:
    """Assign ``split`` (train/val/test) grouped by patient (else lesion) and stratified by label.

    No group is in two splits. The same ``seed`` gives the same split.

    Example:
        >>> out = split_cases(cases, (0.8, 0.1, 0.1), seed=0)  # doctest: +SKIP
    """
    from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold

    fr = np.asarray(fractions, dtype=float)
    if fr.shape != (3,) or (fr < 0).any() or not np.isclose(fr.sum(), 1.0) or fr[0] <= 0:
        raise ConfigError(f"split fractions must be three non-negative numbers summing to 1 with train > 0, got {list(fractions)}")
    if stratify is not None and stratify not in df.columns:
        raise ConfigError(f"cannot stratify by {stratify!r}: no such column")
    out = df.copy()
    groups = group_keys(out).to_numpy()
    needed, n_groups = int((fr > 0).sum()), len(set(groups))
    if n_groups < needed:
        raise DataError(f"cannot split {n_groups} patient/lesion group(s) into {needed} splits: each split needs a group of its own")
    labels = out[stratify].fillna("<none>").astype(str).to_numpy() if stratify else np.zeros(len(out), dtype=str)
    split = np.full(len(out), "train", dtype=object)
    remaining = np.arange(len(out))
    for name, frac, denom in (("test", fr[2], 1.0), ("val", fr[1], 1.0 - fr[2])):
        share = frac / denom if denom > 0 else 0.0
        if share <= 0 or len(remaining) == 0:
            continue
        held = _hold_out(remaining, groups, labels, share, seed, StratifiedGroupKFold, GroupShuffleSplit)
        split[held] = name
        remaining = np.setdiff1d(remaining, held)
    out["split"] = pd.Series(split, index=out.index, dtype="string")
    return out


class UnsplitCasesWarning(UserWarning):
    """Some cases of a table that has a ``split`` column have none, so training leaves them out."""


def train_and_val(df: pd.DataFrame, seed: int = 0, stratify: str | None = "diagnosis", source: str = "case table") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``train`` and ``val`` rows of ``df``. A table without a ``split`` column, or with none
    filled in, is split first (85/15, grouped by patient, :func:`split_cases`); rows left without a
    split beside rows that have one are left out with an :class:`UnsplitCasesWarning`.

    Example:
        >>> t = pd.DataFrame({"case_id": list("abc"), "split": ["train", "val", None]})
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     train, val = train_and_val(t)
        >>> len(train), len(val), str(caught[0].message)
        (1, 1, "case table: 1 of 3 cases have no split and are left out of training (give them 'train' or 'val', or drop the split column to split automatically)")
    """
    if "split" not in df.columns or df["split"].isna().all():
        df = split_cases(df, (0.85, 0.15, 0.0), seed=seed, stratify=stratify)
    unsplit = int(df["split"].isna().sum())
    if unsplit:
        warnings.warn(f"{source}: {unsplit} of {len(df)} cases have no split and are left out of training "
                      "(give them 'train' or 'val', or drop the split column to split automatically)", UnsplitCasesWarning, stacklevel=2)
    train, val = (df[df["split"] == name].reset_index(drop=True) for name in ("train", "val"))
    return train, val


def _fold_plan(share: float, n_groups: int) -> tuple[int, int] | None:
    """``(k, m)``: hold out ``m`` of ``k`` stratified group folds for a share of ``share``, with at
    least two groups per fold. One fold of ``round(1 / share)`` where that is within 0.02 of it
    (0.15 -> 1 of 7), else the fewest folds, up to ten, that come closest (0.4 -> 2 of 5; one fold of
    2 gave 0.5). ``None`` when no plan fits the groups within 0.03 of the share (0.95 has none)."""
    k = max(2, int(round(1.0 / share)))
    if abs(1.0 / k - share) <= 0.02 and n_groups >= 2 * k:
        return k, 1
    plans = [(abs(round(share * n) / n - share), n, int(round(share * n))) for n in range(2, min(10, n_groups // 2) + 1) if 1 <= round(share * n) <= n - 1]
    error, k, m = min(plans, default=(1.0, 0, 0))
    return (k, m) if error <= 0.03 else None


def _hold_out(idx, groups, labels, share, seed, sgkf_cls, gss_cls) -> np.ndarray:
    n_groups = len(set(groups[idx]))
    if n_groups < 2:
        raise DataError(f"cannot split: only {n_groups} patient/lesion group(s) left for the remaining splits")
    import warnings

    plan = _fold_plan(share, n_groups)
    if plan is not None:
        k, m = plan
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # sklearn warns when a class has fewer groups than folds
                folds = sgkf_cls(n_splits=k, shuffle=True, random_state=seed).split(idx, labels[idx], groups[idx])
                held = np.concatenate([next(folds)[1] for _ in range(m)])
            return idx[np.sort(held)]
        except ValueError:  # a class too small to stratify: fall back to an unstratified group split
            pass
    try:
        folds = gss_cls(n_splits=1, test_size=share, random_state=seed)
        _, held = next(folds.split(idx, groups=groups[idx]))
    except ValueError as exc:
        raise DataError(f"cannot split {n_groups} patient/lesion group(s) with a held-out share of {share:.2f}: {exc}") from None
    return idx[held]


def artifact_flags(df: pd.DataFrame) -> pd.DataFrame:
    """Expand the ``artifacts`` column into one boolean column per artifact (``artifact_<name>``)."""
    if "artifacts" not in df.columns:
        return pd.DataFrame(index=df.index)
    sets = df["artifacts"].fillna("").map(lambda s: {a for a in str(s).split(";") if a})
    names = sorted(set().union(*sets)) if len(sets) else []
    return pd.DataFrame({f"artifact_{n}": sets.map(lambda s, n=n: n in s) for n in names}, index=df.index)


def summarize(df: pd.DataFrame, by: str | Sequence[str] = ("diagnosis", "split", "site", "skin_tone")) -> dict[str, dict[str, int]]:
    """Counts of cases by each column of ``by`` (one name or several) present in the table (missing values as ``<none>``)."""
    return {
        col: {str(k): int(v) for k, v in df[col].astype("string").fillna("<none>").value_counts().items()}
        for col in as_names(by)
        if col in df.columns
    }
