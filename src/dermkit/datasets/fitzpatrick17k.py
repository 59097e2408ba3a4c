"""Fitzpatrick17k (Groh et al. 2021): ``fitzpatrick17k.csv`` and images named ``<md5hash>.jpg``.

Columns: md5hash, fitzpatrick_scale (1-6, -1 unknown), fitzpatrick_centaur, label (114
conditions), nine_partition_label, three_partition_label (benign / malignant / non-neoplastic),
qc, url, url_alphanum. Lesion conditions map to canonical diagnoses; the other conditions fall
back on ``three_partition_label`` (benign_other, malignant_other, non_neoplastic). The atlas an
image came from (DermaAmin or Atlas Dermatologico, read from ``url``) is the site.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dermkit.datasets import register_adapter
from dermkit.datasets._common import finish, find_file, index_images, parse_fitzpatrick, read_csv
from dermkit.errors import DataError
from dermkit.labels import SOURCE_LABEL_MAPS, normalise_label

SOURCE = "fitzpatrick17k"
_PARTITIONS = {"benign": "benign_other", "malignant": "malignant_other", "non neoplastic": "non_neoplastic"}


def _diagnosis(label: object, partition: object) -> str:
    mapped = SOURCE_LABEL_MAPS[SOURCE].get(normalise_label(label))
    if mapped is None:
        mapped = _PARTITIONS.get(normalise_label(partition))
    if mapped is None:
        raise DataError(f"unknown label {label!r} for source {SOURCE!r} with three_partition_label {partition!r}")
    return mapped


@register_adapter(SOURCE)
def import_fitzpatrick17k(root: Path, allow_missing_images: bool = False) -> pd.DataFrame:
    """Fitzpatrick17k: 114 conditions on clinical atlas images with Fitzpatrick types 1-6."""
    root = Path(root)
    meta_path = root if root.is_file() else find_file(root, ["fitzpatrick17k.csv", "*/fitzpatrick17k.csv"], SOURCE)
    meta = read_csv(meta_path, required=["md5hash", "fitzpatrick_scale", "label", "three_partition_label"], source=SOURCE)
    folder = meta_path.parent
    images = index_images([folder])
    url = meta.get("url", pd.Series("", index=meta.index)).fillna("")
    df = pd.DataFrame({
        "case_id": meta["md5hash"],
        "image_path": [str(images.get(h, folder / "images" / f"{h}.jpg")) for h in meta["md5hash"]],
        "diagnosis": [_diagnosis(lab, part) for lab, part in zip(meta["label"], meta["three_partition_label"])],
        "source_label": meta["label"],
        "fitzpatrick": parse_fitzpatrick(meta["fitzpatrick_scale"], f"{SOURCE} fitzpatrick_scale"),
        "fitzpatrick_centaur": parse_fitzpatrick(meta.get("fitzpatrick_centaur", [None] * len(meta)), f"{SOURCE} fitzpatrick_centaur"),
        "nine_partition_label": meta.get("nine_partition_label"),
        "three_partition_label": meta["three_partition_label"],
        "qc": meta.get("qc"),
        "site": url.map(lambda u: "DermaAmin" if "dermaamin" in u else "Atlas Dermatologico" if "atlasdermatologico" in u else None),
        "modality": "clinical",
    })
    return finish(df, allow_missing_images, f"{SOURCE} ({meta_path})")
