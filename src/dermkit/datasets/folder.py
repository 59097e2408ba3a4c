"""A folder of images in class subfolders: ``ROOT/<class>/*.jpg`` or ``ROOT/<split>/<class>/*.jpg``.

Folder names are labels: canonical diagnoses (``melanoma``, ``nevus``...; case and ``-``/space
spelling do not matter) or, with ``label_source``, labels of that source's map (e.g.
``ham10000`` for ``mel``, ``nv``). Top-level ``train``/``val``/``test`` folders set the split.
Every image is opened, so an unreadable one is reported by name before anything is written.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dermkit.datasets import register_adapter
from dermkit.datasets._common import finish
from dermkit.errors import DataError
from dermkit.labels import DIAGNOSES, map_labels, normalise_label

SOURCE = "folder"
_SPLITS = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}
_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


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
    """Open every image header (Pillow ``verify``); the first unreadable one is a :class:`DataError`."""
    from PIL import Image

    for p in paths:
        try:
            with Image.open(p) as im:
                im.verify()
        except Exception:
            raise DataError(f"cannot decode image (corrupt or not an image): {p}") from None


@register_adapter(SOURCE)
def import_folder(root: Path, label_source: str | None = None) -> pd.DataFrame:
    """Images in class subfolders (optionally under train/val/test folders); folder name = label."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{SOURCE}: {root} is not a folder")
    rows = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES):
        rel = path.relative_to(root)
        parts = rel.parts[:-1]
        split = _SPLITS.get(parts[0].lower()) if parts else None
        label_parts = parts[1:] if split else parts
        if len(label_parts) != 1:
            raise DataError(f"{SOURCE}: {path} is not in a class folder (expected ROOT/<class>/image or ROOT/<split>/<class>/image)")
        rows.append({"case_id": rel.with_suffix("").as_posix(), "image_path": str(path), "source_label": label_parts[0], "split": split})
    if not rows:
        raise DataError(f"{SOURCE}: no images ({', '.join(_SUFFIXES)}) found under {root}")
    df = pd.DataFrame(rows)
    df["diagnosis"] = canonical_labels(df["source_label"], label_source, f"{SOURCE} ({root})")
    check_readable([Path(p) for p in df["image_path"]])
    return finish(df, False, f"{SOURCE} ({root})")
