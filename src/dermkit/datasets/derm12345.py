"""DERM12345 (Yilmaz et al. 2024): 12,345 dermoscopic images, 40 sub-classes, from Turkey.

Published layout (Harvard Dataverse): ``derm12345_metadata_train.csv`` and
``derm12345_metadata_test.csv`` (image_id, split, super_class, malignancy, main_class_1,
main_class_2, sub_class, label) beside ``derm12345_train_part_1/``, ``derm12345_train_part_2/``
and ``derm12345_test/`` (images ``<image_id>.jpg``, possibly in ``<label>/`` subfolders). The
sub-class code in ``label`` maps to a canonical diagnosis; a code without a mapping falls back on
``malignancy``. The file name gives the split.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dermkit.datasets import register_adapter
from dermkit.datasets._common import finish, index_images, map_with_malignancy, read_csv, split_from_name
from dermkit.errors import DataError

SOURCE = "derm12345"


@register_adapter(SOURCE)
def import_derm12345(root: Path, allow_missing_images: bool = False) -> pd.DataFrame:
    """DERM12345: dermoscopic images with a 40-code sub-class taxonomy (train/test files)."""
    root = Path(root)
    paths = [root] if root.is_file() else sorted(root.glob("derm12345_metadata_*.csv"))
    if not paths:
        raise DataError(f"{SOURCE}: no derm12345_metadata_*.csv under {root}")
    meta = pd.concat(
        [read_csv(p, required=["image_id", "label"], source=SOURCE).assign(_split=split_from_name(p.stem)) for p in paths],
        ignore_index=True,
    )
    folder = root if root.is_dir() else root.parent
    images = index_images([folder])
    df = pd.DataFrame({
        "case_id": meta["image_id"],
        "image_path": [str(images.get(i, folder / f"{i}.jpg")) for i in meta["image_id"]],
        "diagnosis": map_with_malignancy(SOURCE, meta["label"], meta.get("malignancy", [None] * len(meta)), refine=()),
        "source_label": meta["label"],
        **{c: meta[c] for c in ("super_class", "malignancy", "main_class_1", "main_class_2", "sub_class") if c in meta.columns},
        "split": meta["_split"],
        "site": "DERM12345 (Turkey)",
        "modality": "dermoscopic",
    })
    return finish(df, allow_missing_images, f"{SOURCE} ({root})")
