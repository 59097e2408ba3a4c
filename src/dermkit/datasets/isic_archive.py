"""ISIC Archive metadata exports (e.g. a collection's ``metadata.csv`` from the archive or ``isic-cli``).

Every CSV under the folder with an ``isic_id`` column is read: ``diagnosis`` (or the newer
``diagnosis_3``) through the ``isic_archive`` label map, with ``unknown`` / unmapped labels refined
by ``benign_malignant`` (or ``diagnosis_1``); ``fitzpatrick_skin_type`` I-VI; ``image_type``
(``dermoscopic`` / ``clinical: ...``) as the modality; ``attribution`` as the site. Images are
``<isic_id>.jpg`` anywhere under the folder.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dermkit.datasets import register_adapter
from dermkit.datasets._common import csv_paths, finish, index_images, map_with_malignancy, parse_fitzpatrick, read_csv
from dermkit.errors import DataError

SOURCE = "isic_archive"


def _column(df: pd.DataFrame, *names: str) -> pd.Series:
    for n in names:
        if n in df.columns:
            return df[n]
    return pd.Series(None, index=df.index, dtype="object")


@register_adapter(SOURCE)
def import_isic_archive(root: Path, allow_missing_images: bool = False) -> pd.DataFrame:
    """ISIC Archive metadata CSV(s) (isic_id, diagnosis, benign_malignant, fitzpatrick_skin_type...)."""
    root = Path(root)
    tables = [t for t in (read_csv(p, source=SOURCE) for p in csv_paths(root, SOURCE)) if "isic_id" in t.columns]
    if not tables:
        raise DataError(f"{SOURCE}: no CSV with an isic_id column under {root}")
    # each export's own label and flag columns (older: diagnosis, benign_malignant; newer: diagnosis_3, diagnosis_1)
    meta = pd.concat([t.assign(_label=_column(t, "diagnosis", "diagnosis_3"), _flag=_column(t, "benign_malignant", "diagnosis_1")) for t in tables], ignore_index=True)
    label, flag = meta["_label"], meta["_flag"]
    if label.isna().all():
        raise DataError(f"{SOURCE}: metadata under {root} has no diagnosis or diagnosis_3 column")
    image_type = _column(meta, "image_type").fillna("")
    folder = root if root.is_dir() else root.parent
    images = index_images([folder])
    df = pd.DataFrame({
        "case_id": meta["isic_id"],
        "image_path": [str(images.get(i, folder / f"{i}.jpg")) for i in meta["isic_id"]],
        "diagnosis": map_with_malignancy(SOURCE, label, flag, refine=("unknown", "benign_other")),
        "source_label": label,
        "patient_id": _column(meta, "patient_id"),
        "lesion_id": _column(meta, "lesion_id"),
        "fitzpatrick": parse_fitzpatrick(_column(meta, "fitzpatrick_skin_type"), f"{SOURCE} fitzpatrick_skin_type"),
        "site": _column(meta, "attribution"),
        "modality": image_type.map(lambda t: "dermoscopic" if t.startswith("dermoscopic") else "clinical" if t.startswith("clinical") else None),
        "image_type": image_type.replace("", None),
        "age": pd.to_numeric(_column(meta, "age_approx"), errors="coerce"),
        "sex": _column(meta, "sex"),
        "anatom_site": _column(meta, "anatom_site_general"),
        "benign_malignant": flag,
    })
    return finish(df, allow_missing_images, f"{SOURCE} ({root})", searched=folder)
