"""DDI, Diverse Dermatology Images (Daneshjou et al. 2022): ``ddi_metadata.csv`` and the PNGs.

Columns: (index), DDI_ID, DDI_file (``000001.png``), skin_tone (12, 34 or 56: Fitzpatrick I-II,
III-IV, V-VI), malignant (TRUE/FALSE), disease (78 hyphenated names). The ISIC-class diseases map
to canonical diagnoses; the others fall back on the ``malignant`` flag. ``skin_tone`` is kept as
``ddi_skin_tone`` and as ``fitzpatrick_group`` (``I-II``, ``III-IV``, ``V-VI``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dermkit.datasets import register_adapter
from dermkit.datasets._common import finish, find_file, index_images, map_with_malignancy, read_csv
from dermkit.errors import DataError

SOURCE = "ddi"
FITZPATRICK_GROUPS = {"12": "I-II", "34": "III-IV", "56": "V-VI"}


@register_adapter(SOURCE)
def import_ddi(root: Path, allow_missing_images: bool = False) -> pd.DataFrame:
    """DDI: 656 clinical images with biopsy-proven diseases and Fitzpatrick groups I-II / III-IV / V-VI."""
    root = Path(root)
    meta_path = root if root.is_file() else find_file(root, ["ddi_metadata.csv", "*/ddi_metadata.csv"], SOURCE)
    meta = read_csv(meta_path, required=["DDI_file", "skin_tone", "malignant", "disease"], source=SOURCE)
    tone = meta["skin_tone"].str.strip()
    bad = tone[~tone.isin(list(FITZPATRICK_GROUPS))]
    if len(bad):
        raise DataError(f"{meta_path}: skin_tone {bad.iloc[0]!r} of {meta.loc[bad.index[0], 'DDI_file']} is not one of 12, 34, 56")
    folder = meta_path.parent
    images = index_images([folder])
    stems = meta["DDI_file"].map(lambda f: Path(f).stem)
    df = pd.DataFrame({
        "case_id": stems,
        "image_path": [str(images.get(s, folder / "images" / f)) for s, f in zip(stems, meta["DDI_file"])],
        "diagnosis": map_with_malignancy(SOURCE, meta["disease"], meta["malignant"]),
        "source_label": meta["disease"],
        "ddi_skin_tone": tone.astype(int),
        "fitzpatrick_group": tone.map(FITZPATRICK_GROUPS),
        "ddi_malignant": meta["malignant"].str.upper().map({"TRUE": True, "FALSE": False}),
        "site": "Stanford (DDI)",
        "modality": "clinical",
    })
    return finish(df, allow_missing_images, f"{SOURCE} ({meta_path})")
