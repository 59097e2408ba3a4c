"""A folder of images in class subfolders: ``ROOT/<class>/*.jpg`` or ``ROOT/<split>/<class>/*.jpg``.

Folder names are labels: canonical diagnoses (``melanoma``, ``nevus``...; case and ``-``/space
spelling do not matter) or, with ``label_source``, labels of that source's map (e.g.
``ham10000`` for ``mel``, ``nv``). Top-level ``train``/``val``/``test`` folders set the split
(also spelt ``training``, ``valid``, ``validation``, ``testing``, in any case).
Every image is decoded, so an unreadable or truncated one is reported by name before anything is
written. Symlinked folders are followed. Files of other types are skipped with one warning giving
their count, except ones that are plainly not images (text, CSV, JSON, hidden files, macOS ``._*``
and ``__MACOSX/``), which are skipped silently.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from dermkit.datasets import register_adapter
from dermkit.datasets._common import IMAGE_SUFFIXES, finish, walk_files
from dermkit.errors import DataError
from dermkit.labels import DIAGNOSES, map_labels, normalise_label

SOURCE = "folder"
_SPLITS = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val", "test": "test", "testing": "test"}


class SkippedFilesWarning(UserWarning):
    """Files under a folder were skipped because they are of a type the adapter does not read."""


_NOT_IMAGES = (".txt", ".csv", ".tsv", ".json", ".md", ".yaml", ".yml", ".xml", ".ini", ".db")  # skipped without a warning


def canonical_labels(labels: pd.Series, label_source: str | None, where: str) -> list[str]:
    """Map labels through ``label_source``'s map, or check they are canonical diagnosis names."""
    if label_source is not None:
        return map_labels(label_source, labels)
    names = labels.map(lambda v: normalise_label(v).replace(" ", "_"))
    bad = sorted({str(v) for v, n in zip(labels, names) if n not in DIAGNOSES})
    if bad:
        raise DataError(f"{where}: unknown label(s) {', '.join(repr(b) for b in bad[:5])}; use canonical names ({', '.join(list(DIAGNOSES)[:8])}, ...) or --label-source")
    return names.tolist()


def check_readable(paths: list[Path]) -> None:
    """Decode every image as training will (:func:`dermkit.io.read_image`, which also catches a
    truncated file); the first unreadable one is a :class:`DataError` naming it."""
    from dermkit.io import read_image

    for p in paths:
        read_image(p)


@register_adapter(SOURCE)
def import_folder(root: Path, label_source: str | None = None) -> pd.DataFrame:
    """Images in class subfolders (optionally under train/val/test folders); folder name = label."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{SOURCE}: {root} is not a folder")
    rows, skipped = [], []
    for path in walk_files(root):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            if not (path.name.startswith(".") or path.suffix.lower() in _NOT_IMAGES):
                skipped.append(path)
            continue
        rel = path.relative_to(root)
        parts = rel.parts[:-1]
        split = _SPLITS.get(parts[0].lower()) if parts else None
        label_parts = parts[1:] if split else parts
        if len(label_parts) != 1:
            raise DataError(f"{SOURCE}: {path} is not in a class folder (expected ROOT/<class>/image or ROOT/<split>/<class>/image)")
        rows.append({"case_id": rel.with_suffix("").as_posix(), "image_path": str(path), "source_label": label_parts[0], "split": split})
    if skipped:
        kinds = ", ".join(sorted({p.suffix.lower() or p.name for p in skipped}))
        warnings.warn(f"{SOURCE}: skipped {len(skipped)} file(s) of a type it does not read ({kinds}) under {root}; first: {skipped[0]}", SkippedFilesWarning, stacklevel=2)
    if not rows:
        raise DataError(f"{SOURCE}: no images ({', '.join(IMAGE_SUFFIXES)}) found under {root}")
    df = pd.DataFrame(rows)
    df["diagnosis"] = canonical_labels(df["source_label"], label_source, f"{SOURCE} ({root})")
    check_readable([Path(p) for p in df["image_path"]])
    return finish(df, False, f"{SOURCE} ({root})")
