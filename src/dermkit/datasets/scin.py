"""SCIN, Skin Condition Image Network (Ward et al. 2024; Google): crowd-sourced clinical photos.

Published layout: ``scin_cases.csv`` (case_id, age_group, sex_at_birth, fitzpatrick_skin_type
(self-reported, ``FST1``-``FST6``), image_1_path..image_3_path as ``dataset/images/<id>.png``...)
and ``scin_labels.csv`` (case_id, dermatologist_skin_condition_on_label_name,
weighted_skin_condition_label (``{'Eczema': 0.5, ...}``), dermatologist_fitzpatrick_skin_type_label_1..3,
monk_skin_tone_label_us...) beside ``images/``. One row per image; the SCIN case is the
``patient_id``. The diagnosis is the condition with the highest weight (unlabelled when the
dermatologists gave none); conditions outside the SCIN map are ``other_condition``. The first
dermatologist's Fitzpatrick type fills ``fitzpatrick``; the self-reported one is kept.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd

from dermkit.datasets import register_adapter
from dermkit.datasets._common import finish, find_file, index_images, parse_fitzpatrick, read_csv
from dermkit.errors import DataError
from dermkit.labels import map_label

SOURCE = "scin"


def _top_condition(weighted: object, names: object) -> str | None:
    """The highest-weighted condition (ties: first listed), else the first named one."""
    for text in (weighted, names):
        if pd.isna(text) or not str(text).strip():
            continue
        try:
            value = ast.literal_eval(str(text))
        except (ValueError, SyntaxError):
            raise DataError(f"{SOURCE}: cannot parse condition label {str(text)[:60]!r}") from None
        if isinstance(value, dict) and value:
            return max(value, key=lambda k: value[k])
        if isinstance(value, (list, tuple)) and value:
            return str(value[0])
    return None


@register_adapter(SOURCE)
def import_scin(root: Path, allow_missing_images: bool = False) -> pd.DataFrame:
    """SCIN: crowd-sourced clinical images of skin conditions with Fitzpatrick and Monk tones."""
    root = Path(root)
    cases = read_csv(find_file(root, ["scin_cases.csv", "*scin_cases.csv", "*/scin_cases.csv"], SOURCE), required=["case_id", "image_1_path"], source=SOURCE)
    labels_path = find_file(root, ["scin_labels.csv", "*scin_labels.csv", "*/scin_labels.csv"], SOURCE)
    labels = read_csv(labels_path, required=["case_id"], source=SOURCE)
    merged = cases.merge(labels, on="case_id", how="left", suffixes=("", "_label"))
    path_cols = [c for c in ("image_1_path", "image_2_path", "image_3_path") if c in merged.columns]
    rows = merged.melt(id_vars=[c for c in merged.columns if c not in path_cols], value_vars=path_cols, value_name="rel_path")
    rows = rows[rows["rel_path"].notna()].reset_index(drop=True)
    images = index_images([root])
    stems = rows["rel_path"].map(lambda p: Path(p).stem)
    top = [_top_condition(w, n) for w, n in zip(rows.get("weighted_skin_condition_label", [None] * len(rows)), rows.get("dermatologist_skin_condition_on_label_name", [None] * len(rows)))]
    df = pd.DataFrame({
        "case_id": stems,
        "image_path": [str(images.get(s, root / "images" / Path(p).name)) for s, p in zip(stems, rows["rel_path"])],
        "diagnosis": [map_label(SOURCE, t, fallback="other_condition") if t else None for t in top],
        "source_label": top,
        "patient_id": rows["case_id"],
        "fitzpatrick": parse_fitzpatrick(rows.get("dermatologist_fitzpatrick_skin_type_label_1", [None] * len(rows)), f"{SOURCE} dermatologist_fitzpatrick_skin_type_label_1"),
        "fitzpatrick_self_reported": parse_fitzpatrick(rows.get("fitzpatrick_skin_type", [None] * len(rows)), f"{SOURCE} fitzpatrick_skin_type"),
        "monk_skin_tone": pd.to_numeric(rows.get("monk_skin_tone_label_us"), errors="coerce"),
        "age_group": rows.get("age_group"),
        "sex": rows.get("sex_at_birth"),
        "site": "SCIN (Google, US internet users)",
        "modality": "clinical",
    })
    return finish(df, allow_missing_images, f"{SOURCE} ({labels_path.parent})")
