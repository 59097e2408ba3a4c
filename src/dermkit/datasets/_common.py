"""Helpers shared by the adapters: reading the published CSVs and checking image files."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from dermkit.cases import validate_cases
from dermkit.errors import DataError


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
