"""MSLD v2.0, Mpox Skin Lesion Dataset (Ali et al. 2023/2024): web-scraped clinical images.

Published layout: ``Original Images/Original Images/FOLDS/fold{1..5}/{Train,Valid,Test}/<class>/``
and ``Augmented Images/Augmented Images/FOLDS_AUG/fold{1..5}_AUG/Train/<class>/``, classes Mpox,
Chickenpox, Measles, Cowpox, HFMD, Healthy. Only original images are imported (augmented copies
would leak across splits); when they sit in folds, the first fold gives the split. Class folders
outside ``FOLDS`` are imported without a split. The patient is read from names like
``MKP_12_01.jpg`` (class prefix and patient number).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from dermkit.datasets import register_adapter
from dermkit.datasets._common import finish
from dermkit.errors import DataError
from dermkit.labels import SOURCE_LABEL_MAPS, normalise_label

SOURCE = "msld"
_SPLITS = {"train": "train", "valid": "val", "val": "val", "validation": "val", "test": "test"}
_PATIENT = re.compile(r"^([A-Za-z]+_\d+)_\d+$")


@register_adapter(SOURCE)
def import_msld(root: Path, allow_missing_images: bool = False) -> pd.DataFrame:
    """MSLD v2.0: Mpox, chickenpox, measles, cowpox, HFMD and healthy skin (original images)."""
    root = Path(root)
    classes = SOURCE_LABEL_MAPS[SOURCE]
    rows = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        parts = path.relative_to(root).parts
        if any("augmented" in part.lower() for part in parts) or path.suffix.lower() not in {".jpg", ".jpeg", ".png"}:
            continue
        label = next((p for p in reversed(parts[:-1]) if normalise_label(p) in classes), None)
        if label is None:
            continue
        folds = [p.lower() for p in parts if re.fullmatch(r"fold\d+", p.lower())]
        split = next((_SPLITS[p.lower()] for p in parts if p.lower() in _SPLITS), None) if folds else None
        rows.append({"fold": folds[0] if folds else None, "path": path, "label": label, "split": split})
    if not rows:
        raise DataError(f"{SOURCE}: no images in class folders ({', '.join(sorted(classes))}) under {root}")
    found = pd.DataFrame(rows)
    flat = found[found["fold"].isna()]
    chosen = flat if len(flat) else found[found["fold"] == sorted(found["fold"].dropna().unique())[0]]
    stems = chosen["path"].map(lambda p: p.stem)
    df = pd.DataFrame({
        "case_id": stems.values,
        "image_path": chosen["path"].map(str).values,
        "diagnosis": [classes[normalise_label(lab)] for lab in chosen["label"]],
        "source_label": chosen["label"].values,
        "patient_id": [m.group(1) if (m := _PATIENT.match(s)) else None for s in stems],
        "split": chosen["split"].values,
        "site": "MSLD v2.0 (web)",
        "modality": "clinical",
    })
    return finish(df, allow_missing_images, f"{SOURCE} ({root})")
