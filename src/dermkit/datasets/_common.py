"""Helpers shared by the adapters: reading the published CSVs and checking image files."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from dermkit.cases import validate_cases
from dermkit.errors import DataError
from dermkit.labels import SOURCE_LABEL_MAPS, normalise_label


_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")  # latin-1 decodes any bytes, so the last try always reads
_SEPARATORS = (",", ";", "\t")
_COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zip")


def _first_line(path: Path) -> tuple[str, str]:
    """A CSV's first line, decoded (BOM dropped), and its separator: whichever of ``,`` ``;`` tab it has most of."""
    with path.open("rb") as f:
        raw = f.readline(1 << 16)
    for enc in _ENCODINGS:
        try:
            line = raw.decode(enc).rstrip("\r\n")
            break
        except UnicodeDecodeError:
            continue
    return line, max(_SEPARATORS, key=line.count)


def read_header(path: Path) -> list[str]:
    """A CSV's column names (its first line) as :func:`read_csv` reads them: BOM dropped, names stripped."""
    line, sep = _first_line(path)
    return [c.strip() for c in next(csv.reader([line], delimiter=sep), [])]


def read_csv(path: Path, required: Sequence[str] = (), source: str = "", names: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a published metadata CSV; a missing file or column is a :class:`DataError` naming it.

    UTF-8 (with or without a BOM) or, failing that, Windows-1252 / Latin-1; ``,``, ``;`` or tab
    separated (from the first line); spaces around column names dropped. ``names`` reads a
    headerless CSV.
    """
    if not path.is_file():
        raise DataError(f"{source or 'dataset'}: metadata file not found: {path}")
    sep = "," if path.suffix.lower() in _COMPRESSED else _first_line(path)[1]
    header = None if names is not None else "infer"
    for enc in _ENCODINGS:
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=True, sep=sep, encoding=enc, header=header, names=names)
            break
        except UnicodeDecodeError:
            continue
        except Exception as exc:
            raise DataError(f"cannot read CSV {path}: {str(exc).splitlines()[0]}") from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(f"{path}: missing required column(s) {', '.join(missing)}; found: {', '.join(df.columns)}")
    return df


def csv_paths(root: Path, source: str) -> list[Path]:
    """Every ``*.csv`` under a folder, or ``root`` itself if it is a CSV; any other file is a :class:`DataError`."""
    if root.is_dir():
        return sorted(p for p in walk_files(root) if p.suffix.lower() == ".csv")
    if root.suffix.lower() != ".csv":
        raise DataError(f"{source}: {root} is neither a folder nor a CSV file")
    return [root]


_ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".7z", ".rar")


def refuse_archive(root: Path, source: str) -> None:
    """An archive given as ROOT is a :class:`DataError` asking for it to be unpacked."""
    if root.is_file() and root.name.lower().endswith(_ARCHIVES):
        raise DataError(f"{source}: {root} is an archive; unpack it and pass the folder (or the CSV) it holds")


def find_file(root: Path, names: Iterable[str], source: str) -> Path:
    """The first of ``names`` (relative to ``root``, globs allowed) that exists."""
    names = list(names)
    for name in names:
        hits = sorted(root.glob(name))
        if hits:
            return hits[0]
    raise DataError(f"{source}: none of {', '.join(names)} found under {root}")


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
"""Image file types the adapters recognise (all decoded by :func:`dermkit.io.read_image`)."""


def walk_files(root: Path) -> list[Path]:
    """Every file under ``root``, sorted, following symlinked folders (each real folder once, so a
    link loop ends); macOS ``__MACOSX/`` folders and ``._*`` resource-fork files are left out."""
    seen: set[str] = set()
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = [d for d in dirnames if d != "__MACOSX"]
        files += [Path(dirpath, f) for f in filenames if not f.startswith("._")]
    return sorted(p for p in files if p.is_file())


def index_images(folders: Iterable[Path], suffixes: Sequence[str] = IMAGE_SUFFIXES) -> dict[str, Path]:
    """Map image stem → path for every image under the given folders (recursively, symlinks followed)."""
    found: dict[str, Path] = {}
    for folder in folders:
        if folder.is_dir():
            for p in walk_files(folder):
                if p.suffix.lower() in suffixes:
                    found.setdefault(p.stem, p)
    return found


def check_images(df: pd.DataFrame, allow_missing_images: bool, source: str, searched: Path | None = None) -> pd.DataFrame:
    """Flag rows whose image file is absent in ``image_available``.

    Without ``allow_missing_images`` any absent file is a :class:`DataError` giving the count, the
    first few paths and, if given, the folder ``searched`` for them.
    """
    exists = df["image_path"].map(lambda p: pd.notna(p) and Path(p).is_file())
    missing = df.loc[~exists, "image_path"].fillna("<no path>")
    if len(missing) and not allow_missing_images:
        first = ", ".join(str(m) for m in missing.iloc[:3])
        where = f"; no such image anywhere under {searched}" if searched is not None else ""
        raise DataError(
            f"{source}: {len(missing)} of {len(df)} image file(s) missing (first: {first}{where}); "
            "pass --allow-missing-images to keep metadata-only rows"
        )
    out = df.copy()
    out["image_available"] = exists.astype("boolean")
    return out


def finish(df: pd.DataFrame, allow_missing_images: bool, source: str, searched: Path | None = None) -> pd.DataFrame:
    """Check images (``searched``: the folder images were looked for in) and validate: the last step of every adapter."""
    if df.empty:
        raise DataError(f"{source}: no cases found")
    return validate_cases(check_images(df, allow_missing_images, source, searched), source=source)


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
