"""HAM10000 (Tschandl et al. 2018): ``HAM10000_metadata.csv`` and the image folders.

Published layout: ``HAM10000_metadata.csv`` (lesion_id, image_id, dx, dx_type, age, sex,
localization) beside ``HAM10000_images_part_1/`` and ``HAM10000_images_part_2/`` (or ``images/``)
of ``<image_id>.jpg``; segmentation masks, where present, as ``masks/<image_id>_segmentation.png``.
Images and masks are found anywhere under the folder, whatever the folders are called (Kaggle's
lowercase copies, or images directly in the folder).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dermkit.datasets import register_adapter
from dermkit.datasets._common import finish, find_file, index_images, read_csv
from dermkit.labels import map_labels

SOURCE = "ham10000"
CLASS_COUNTS: dict[str, int] = {"nevus": 6705, "melanoma": 1113, "bkl": 1099, "bcc": 514, "akiec": 327, "vasc": 142, "df": 115}
"""Images per diagnosis in the published HAM10000 (10,015 images; Tschandl et al. 2018)."""


@register_adapter(SOURCE)
def import_ham10000(root: Path, allow_missing_images: bool = False) -> pd.DataFrame:
    """HAM10000: metadata CSV plus image folders; lesion_id groups images of one lesion."""
    meta_path = find_file(root, ["HAM10000_metadata.csv", "HAM10000_metadata", "metadata.csv", "*.csv"], SOURCE)
    meta = read_csv(meta_path, required=["lesion_id", "image_id", "dx"], source=SOURCE)
    found = index_images([root])
    masks = {k: v for k, v in found.items() if k.endswith("_segmentation") and v.suffix.lower() == ".png"}
    df = pd.DataFrame(
        {
            "case_id": meta["image_id"],
            "image_path": [str(found.get(i, root / f"{i}.jpg")) for i in meta["image_id"]],
            "mask_path": [str(masks[f"{i}_segmentation"]) if f"{i}_segmentation" in masks else None for i in meta["image_id"]],
            "diagnosis": map_labels(SOURCE, meta["dx"]),
            "source_label": meta["dx"],
            "lesion_id": meta["lesion_id"],
            "site": "ViDIR Vienna / Rosendahl (HAM10000)",
            "modality": "dermoscopic",
            "age": pd.to_numeric(meta.get("age"), errors="coerce"),
            "sex": meta.get("sex").where(meta.get("sex").isin(["male", "female"])) if "sex" in meta else None,
            "anatom_site": meta.get("localization"),
            "dx_type": meta.get("dx_type"),
        }
    )
    return finish(df, allow_missing_images, f"{SOURCE} ({meta_path})", searched=root)
