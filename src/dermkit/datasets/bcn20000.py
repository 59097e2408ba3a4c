"""BCN20000 (Hernández-Pérez et al. 2024; Hospital Clínic de Barcelona), as ISIC distributes it.

Published layout: ``bcn20000_metadata_<date>.csv`` with columns bcn_filename
(``BCN_0000000001.jpg``), age_approx, anatom_site_general, diagnosis (MEL, NV, BCC, BKL, AK,
SCC, DF, VASC; empty for the unlabelled test images), lesion_id, capture_date, sex, split
(train/test), beside the image folder(s). Archive exports with ``diagnosis_3`` instead of
``diagnosis`` are read through the ISIC archive label map.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dermkit.datasets import register_adapter
from dermkit.datasets._common import finish, index_images, map_with_malignancy, read_csv
from dermkit.errors import DataError
from dermkit.labels import map_labels

SOURCE = "bcn20000"


def _with_labels(meta: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``meta`` with ``_label`` and ``_diagnosis`` from this file's own label column (files may differ)."""
    if "diagnosis" in meta.columns:
        label = meta["diagnosis"]
        labelled = label.notna()
        diagnosis = pd.Series(None, index=meta.index, dtype="object")
        diagnosis[labelled] = map_labels(SOURCE, label[labelled])
    elif "diagnosis_3" in meta.columns:
        label = meta["diagnosis_3"]
        diagnosis = pd.Series(map_with_malignancy("isic_archive", label, meta.get("diagnosis_1", [None] * len(meta))), index=meta.index)
    else:
        raise DataError(f"{path}: missing required column diagnosis (or diagnosis_3); found: {', '.join(meta.columns)}")
    return meta.assign(_label=label, _diagnosis=diagnosis)


@register_adapter(SOURCE)
def import_bcn20000(root: Path, allow_missing_images: bool = False) -> pd.DataFrame:
    """BCN20000: dermoscopic images from Barcelona (incl. nails, mucosa) with lesion_id grouping."""
    root = Path(root)
    paths = [root] if root.is_file() else sorted(root.glob("*bcn*.csv")) or sorted(root.glob("*.csv"))
    if not paths:
        raise DataError(f"{SOURCE}: no bcn20000_metadata*.csv under {root}")
    meta = pd.concat([_with_labels(read_csv(p, required=["bcn_filename"], source=SOURCE), p) for p in paths], ignore_index=True)
    label, diagnosis = meta["_label"], meta["_diagnosis"]
    folder = root if root.is_dir() else root.parent
    images = index_images([folder])
    stems = meta["bcn_filename"].map(lambda f: Path(f).stem)
    split = meta.get("split")
    df = pd.DataFrame({
        "case_id": stems,
        "image_path": [str(images.get(s, folder / f)) for s, f in zip(stems, meta["bcn_filename"])],
        "diagnosis": diagnosis,
        "source_label": label,
        "lesion_id": meta.get("lesion_id"),
        "age": pd.to_numeric(meta.get("age_approx"), errors="coerce"),
        "sex": meta.get("sex"),
        "anatom_site": meta.get("anatom_site_general"),
        "capture_date": meta.get("capture_date"),
        "split": split.str.lower().replace({"validation": "val"}) if split is not None else None,
        "site": "Hospital Clinic Barcelona (BCN20000)",
        "modality": "dermoscopic",
    })
    return finish(df, allow_missing_images, f"{SOURCE} ({paths[0]})", searched=folder)
