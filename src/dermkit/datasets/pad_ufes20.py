"""PAD-UFES-20 (Pacheco et al. 2020): smartphone images of six lesion types from Brazil.

Published layout: ``metadata.csv`` (patient_id, lesion_id, ..., fitspatrick, region, diagnostic,
img_id, biopsed) beside ``images/imgs_part_{1,2,3}/<img_id>``. A tidy re-export of it
(``*tidy*.csv``) reads the same way; the one-hot "parsed" CSVs some benchmarks ship
(``pad-ufes-20_parsed_*.csv``: ``fitspatrick_3.0``, ``gender_FEMALE``, ``region_ARM``... columns)
are decoded back when no tidy CSV is present. A redistributor's own ``split``/``folder`` columns
are kept as ``source_split`` / ``source_folder``; ``split`` is left for :func:`dermkit.cases.split_cases`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dermkit.datasets import register_adapter
from dermkit.datasets._common import finish, index_images, parse_fitzpatrick, read_csv
from dermkit.errors import DataError
from dermkit.labels import map_labels

SOURCE = "pad_ufes20"
_REQUIRED = ["img_id", "patient_id", "lesion_id", "diagnostic"]


def _decode_one_hot(df: pd.DataFrame, prefix: str) -> pd.Series:
    """The value of a one-hot group (``prefix_<value>`` columns) per row; missing where none is set."""
    cols = [c for c in df.columns if c.startswith(prefix + "_")]
    out = pd.Series(pd.NA, index=df.index, dtype="object")
    for c in cols:
        out = out.mask(df[c].astype(str).isin(["1", "1.0", "True"]), c[len(prefix) + 1 :])
    return out


def _read_metadata(root: Path) -> tuple[pd.DataFrame, str]:
    if root.is_file():
        return read_csv(root, required=_REQUIRED, source=SOURCE), str(root)
    for pattern in ("metadata.csv", "*tidy*.csv", "*/metadata.csv"):
        hits = sorted(root.glob(pattern))
        if hits:
            return read_csv(hits[0], required=_REQUIRED, source=SOURCE), str(hits[0])
    parsed = sorted(root.glob("*parsed*.csv"))
    if not parsed:
        raise DataError(f"{SOURCE}: no metadata.csv, *tidy*.csv or *parsed*.csv under {root}")
    frames = []
    for p in parsed:
        df = read_csv(p, required=_REQUIRED, source=SOURCE)
        frames.append(df.assign(
            fitspatrick=_decode_one_hot(df, "fitspatrick"), gender=_decode_one_hot(df, "gender"),
            region=_decode_one_hot(df, "region"), split="test" if "test" in p.stem else "trainval",
        ))
    return pd.concat(frames, ignore_index=True), ", ".join(map(str, parsed))


@register_adapter(SOURCE)
def import_pad_ufes20(root: Path, allow_missing_images: bool = False) -> pd.DataFrame:
    """PAD-UFES-20: smartphone images (ACK, BCC, MEL, NEV, SCC, SEK) with Fitzpatrick types."""
    root = Path(root)
    meta, where = _read_metadata(root)
    folder = root if root.is_dir() else root.parent
    images = index_images([folder])
    stems = meta["img_id"].map(lambda f: Path(f).stem)
    df = pd.DataFrame({
        "case_id": stems,
        "image_path": [str(images.get(s, folder / "images" / f)) for s, f in zip(stems, meta["img_id"])],
        "diagnosis": map_labels(SOURCE, meta["diagnostic"]),
        "source_label": meta["diagnostic"],
        "patient_id": meta["patient_id"],
        "lesion_id": meta["lesion_id"],
        "fitzpatrick": parse_fitzpatrick(meta.get("fitspatrick", [None] * len(meta)), f"{SOURCE} fitspatrick"),
        "age": pd.to_numeric(meta.get("age"), errors="coerce"),
        "sex": meta.get("gender"),
        "anatom_site": meta.get("region"),
        "biopsed": meta.get("biopsed"),
        "source_split": meta.get("split"),
        "source_folder": meta.get("folder"),
        "site": "PAD-UFES-20 (Espirito Santo, Brazil)",
        "modality": "clinical",
    })
    return finish(df, allow_missing_images, f"{SOURCE} ({where})")
