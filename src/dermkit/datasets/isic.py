"""ISIC challenge folders, 2016-2020, as the challenges distributed them.

Every CSV under the folder is recognised by its header, whatever its name:

- ground truth: ISIC 2016 Part 3 (no header: ``ISIC_0000000,benign`` or ``,0.0``); ISIC 2017
  Part 3 (``image_id,melanoma,seborrheic_keratosis``; both 0 is nevus); ISIC 2018 Task 3
  (``image,MEL,NV,BCC,AKIEC,BKL,DF,VASC`` one-hot); ISIC 2019 (``image,MEL,...,SCC,UNK``);
  ISIC 2020 (``image_name,patient_id,...,diagnosis,benign_malignant,target``; ``unknown``
  becomes benign_other / malignant_other by ``benign_malignant``);
- metadata joined on the image id: ``ISIC-2017_*_metadata.csv`` (age_approximate, sex),
  ``ISIC2018_Task3_*_LesionGroupings.csv`` (lesion_id), ``ISIC_2019_*_Metadata.csv``;
- ``ISIC_2020_Training_Duplicates.csv`` fills ``duplicate_of``.

The split comes from the file name (Training / Validation / Test). Images are found anywhere
under the folder (``ISIC-2017_Training_Data/``, ``ISIC2018_Task3_Training_Input/``, ``train/``...);
task-1 masks ``<id>_segmentation.png`` (2016: ``_Segmentation``) fill ``mask_path``. A folder with
images but no ground truth (an ISIC 2018 task 1 folder) imports every image, unlabelled.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from dermkit.datasets import register_adapter
from dermkit.datasets._common import csv_paths, finish, index_images, map_with_malignancy, read_csv, read_header, split_from_name
from dermkit.errors import DataError
from dermkit.labels import map_labels

SOURCE = "isic"
_ID_COLUMNS = ("image", "image_id", "image_name", "isic_id")
_ONE_HOT = {
    "isic2017": ("melanoma", "seborrheic_keratosis"),
    "isic2018": ("MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC"),
    "isic2019": ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC"),
}
_META_COLUMNS = {
    "age_approx": "age", "age_approximate": "age", "sex": "sex", "anatom_site_general": "anatom_site",
    "anatom_site_general_challenge": "anatom_site", "lesion_id": "lesion_id", "patient_id": "patient_id",
    "patient": "patient_id", "diagnosis_confirm_type": "diagnosis_confirm_type",
}
_NOT_IMAGES = re.compile(r"_(segmentation|superpixels|attribute_[a-z_]+)$", re.IGNORECASE)
_ISIC_ID = re.compile(r"^ISIC_\d+")


def _ground_truth(path: Path) -> pd.DataFrame | None:
    """Rows (case_id, source_label, diagnosis, source) of one ground-truth CSV, or None if it is not one."""
    head = read_header(path)
    if _ISIC_ID.match(head[0]) and len(head) == 2:  # ISIC 2016: no header
        df = read_csv(path, source=SOURCE, names=["case_id", "source_label"])
        return df.assign(diagnosis=map_labels("isic2016", df["source_label"]), source="isic2016")
    cols = set(head)
    id_col = next((c for c in _ID_COLUMNS if c in cols), None)
    if id_col is None:
        return None
    if {"diagnosis", "benign_malignant"} <= cols:  # ISIC 2020
        df = read_csv(path, source=SOURCE)
        return pd.DataFrame({
            "case_id": df[id_col], "source_label": df["diagnosis"],
            "diagnosis": map_with_malignancy("isic2020", df["diagnosis"], df["benign_malignant"]), "source": "isic2020",
        })
    for source, classes in sorted(_ONE_HOT.items(), key=lambda kv: -len(kv[1])):
        if set(classes) <= cols:
            df = read_csv(path, source=SOURCE)
            onehot = df[list(classes)].astype(float)
            if source == "isic2019" and "UNK" in df.columns:
                onehot["UNK"] = df["UNK"].astype(float)
            hot = onehot.sum(axis=1)
            if source == "isic2017":
                bad = hot > 1
                label = onehot.idxmax(axis=1).where(hot > 0, "nevus")
            else:
                bad = hot != 1
                label = onehot.idxmax(axis=1)
            if bad.any():
                raise DataError(f"{path}: row {int(bad.idxmax()) + 2} ({df.loc[bad.idxmax(), id_col]}) has {int(hot[bad.idxmax()])} classes set; expected exactly one")
            return pd.DataFrame({"case_id": df[id_col], "source_label": label, "diagnosis": map_labels(source, label), "source": source})
    return None


def _metadata(path: Path) -> pd.DataFrame | None:
    head = set(read_header(path))
    id_col = next((c for c in _ID_COLUMNS if c in head), None)
    known = [c for c in head if c in _META_COLUMNS]
    if id_col is None or not known:
        return None
    df = read_csv(path, source=SOURCE)
    return df[[id_col, *known]].rename(columns={id_col: "case_id", **{c: _META_COLUMNS[c] for c in known}})


@register_adapter(SOURCE)
def import_isic(root: Path, allow_missing_images: bool = False) -> pd.DataFrame:
    """ISIC challenge folders 2016-2020: ground-truth/metadata CSVs, images and task-1 masks."""
    root = Path(root)
    csvs = csv_paths(root, SOURCE)
    truths, metas, duplicates = [], [], []
    for path in csvs:
        gt = _ground_truth(path)
        if gt is not None:
            truths.append(gt.assign(split=split_from_name(path.stem)))
        if read_header(path)[:2] == ["image_name_1", "image_name_2"]:
            duplicates.append(read_csv(path, source=SOURCE))
        elif (meta := _metadata(path)) is not None:  # ISIC 2020's ground truth carries metadata too
            metas.append(meta)
    folder = root if root.is_dir() else root.parent
    found = index_images([folder])
    images = {k: v for k, v in found.items() if not _NOT_IMAGES.search(k)}
    masks = {_NOT_IMAGES.sub("", k): v for k, v in found.items() if k.lower().endswith("_segmentation") and v.suffix.lower() == ".png"}
    if truths:
        df = pd.concat(truths, ignore_index=True)
    else:
        df = pd.DataFrame({"case_id": sorted(images), "source_label": None, "diagnosis": None, "source": "isic"})
    if metas:
        meta = pd.concat(metas, ignore_index=True).groupby("case_id", sort=False).first().reset_index()
        df = df.merge(meta, on="case_id", how="left")
    if duplicates:
        dup = pd.concat(duplicates).drop_duplicates("image_name_2")
        df["duplicate_of"] = df["case_id"].map(dict(zip(dup["image_name_2"], dup["image_name_1"])))
    df["image_path"] = [str(images.get(i, folder / f"{i}.jpg")) for i in df["case_id"]]
    df["mask_path"] = [str(masks[i]) if i in masks else None for i in df["case_id"]]
    df["site"] = df.pop("source").map(lambda s: f"ISIC {s[4:]}".strip())
    df["modality"] = "dermoscopic"
    if "age" in df.columns:
        df["age"] = pd.to_numeric(df["age"], errors="coerce")
    return finish(df, allow_missing_images, f"{SOURCE} ({root})", searched=folder)
