"""Helpers shared by the adapters: reading the published CSVs and checking image files."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from dermkit.cases import validate_cases
from dermkit.errors import DataError
from dermkit.labels import SOURCE_LABEL_MAPS, normalise_label


def read_csv(path: Path, required: Sequence[str] = (), source: str = "") -> pd.DataFrame:
    """Read a published metadata CSV; a missing file or column is a :class:`DataError` naming it."""
    if not path.is_file():
        raise DataError(f"{source or 'dataset'}: metadata file not found: {path}")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=True)
    except Exception as exc:
        raise DataError(f"cannot read CSV {path}: {str(exc).splitlines()[0]}") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(f"{path}: missing required column(s) {', '.join(missing)}; found: {', '.join(df.columns)}")
    return df


def find_file(root: Path, names: Iterable[str], source: str) -> Path:
    """The first of ``names`` (relative to ``root``, globs allowed) that exists."""
    names = list(names)
    for name in names:
        hits = sorted(root.glob(name))
        if hits:
            return hits[0]
    raise DataError(f"{source}: none of {', '.join(names)} found under {root}")


def index_images(folders: Iterable[Path], suffixes: Sequence[str] = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")) -> dict[str, Path]:
    """Map image stem → path for every image under the given folders (recursively)."""
    found: dict[str, Path] = {}
    for folder in folders:
        if folder.is_dir():
            for p in sorted(folder.rglob("*")):
                if p.suffix.lower() in suffixes and p.is_file():
                    found.setdefault(p.stem, p)
    return found


def check_images(df: pd.DataFrame, allow_missing_images: bool, source: str) -> pd.DataFrame:
    """Flag rows whose image file is absent in ``image_available``.

    Without ``allow_missing_images`` any absent file is a :class:`DataError` giving the count and
    the first few paths.
    """
    exists = df["image_path"].map(lambda p: pd.notna(p) and Path(p).is_file())
    missing = df.loc[~exists, "image_path"].fillna("<no path>")
    if len(missing) and not allow_missing_images:
        first = ", ".join(str(m) for m in missing.iloc[:3])
        raise DataError(
            f"{source}: {len(missing)} of {len(df)} image file(s) missing (first: {first}); "
            "pass --allow-missing-images to keep metadata-only rows"
        )
    out = df.copy()
    out["image_available"] = exists.astype("boolean")
    return out


def finish(df: pd.DataFrame, allow_missing_images: bool, source: str) -> pd.DataFrame:
    """Check images and validate: the last step of every adapter."""
    if df.empty:
        raise DataError(f"{source}: no cases found")
    return validate_cases(check_images(df, allow_missing_images, source), source=source)


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}
_NO_TYPE = {"", "-1", "0", "nan", "none", "unknown", "na", "n/a", "none identified", "none_identified"}


def parse_fitzpatrick(values: Iterable[object], source: str) -> pd.Series:
    """Fitzpatrick types as Int64 1-6 from ``3``, ``"3.0"``, ``"III"`` or ``"FST3"``.

    Empty, ``-1``, ``0`` and "unknown" become missing; anything else is a :class:`DataError`
    naming the value.

    Example:
        >>> parse_fitzpatrick(["II", "FST5", -1, None], "demo").tolist()
        [2, 5, <NA>, <NA>]
    """
    out: list[object] = []
    for v in values:
        s = "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).strip().lower()
        s = s.removeprefix("fst").removeprefix("type").strip()
        if s in _NO_TYPE:
            out.append(pd.NA)
            continue
        n = _ROMAN.get(s)
        if n is None:
            try:
                f = float(s)
                n = int(f) if f.is_integer() else None
            except ValueError:
                n = None
        if n is None or not 1 <= n <= 6:
            raise DataError(f"{source}: Fitzpatrick type {v!r} is not 1-6 / I-VI")
        out.append(n)
    return pd.Series(out, dtype="Int64")


_FLAGS = {"true": True, "1": True, "1.0": True, "malignant": True, "yes": True,
          "false": False, "0": False, "0.0": False, "benign": False, "no": False}


def map_with_malignancy(source: str, labels: Iterable[object], malignant: Iterable[object], refine: Sequence[str] = ("unknown",)) -> list[str]:
    """Map labels through ``source``'s map, falling back on the source's benign/malignant flag.

    A label the map lacks, or one that maps to a name in ``refine``, becomes ``benign_other`` or
    ``malignant_other`` by its flag (True/1/"malignant" or False/0/"benign"). A label with neither a
    mapping nor a usable flag is a :class:`DataError` naming the label and the source.

    Example:
        >>> map_with_malignancy("isic2020", ["unknown", "nevus"], ["benign", "benign"])
        ['benign_other', 'nevus']
    """
    table = SOURCE_LABEL_MAPS[source]
    out = []
    for label, flag in zip(labels, malignant):
        mapped = table.get(normalise_label(label)) if pd.notna(label) else "unknown"
        if mapped is None or mapped in refine:
            bad = _FLAGS.get(str(flag).strip().lower()) if pd.notna(flag) else None
            if bad is not None:
                mapped = "malignant_other" if bad else "benign_other"
            elif mapped is None:
                raise DataError(f"unknown label {str(label)!r} for source {source!r} (and no benign/malignant flag to fall back on)")
        out.append(mapped)
    return out


def split_from_name(name: str) -> str | None:
    """``train`` / ``val`` / ``test`` when a published file or folder name says so."""
    low = name.lower()
    for key, split in (("train", "train"), ("valid", "val"), ("val", "val"), ("test", "test")):
        if key in low:
            return split
    return None
