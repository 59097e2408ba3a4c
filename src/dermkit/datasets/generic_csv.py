"""Any CSV of cases: one row per image, with a mapping from canonical columns to yours.

``columns`` maps canonical names to the CSV's (``{"image_path": "file", "diagnosis": "dx"}``;
CLI: ``--column image_path=file --column diagnosis=dx``). ``image_path`` and ``diagnosis`` are
required; ``case_id`` defaults to the image file's stem. Relative image paths are relative to the
CSV's folder. Labels are canonical names unless ``label_source`` names a source label map. Other
canonical columns present (patient_id, fitzpatrick, split...) are used; the rest are kept (a
CSV column that a mapping replaces as ``<name>_original``). A mapped column the CSV lacks is a
:class:`DataError` naming it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dermkit.cases import COLUMN_NAMES
from dermkit.datasets import register_adapter
from dermkit.datasets._common import finish, read_csv
from dermkit.datasets.folder import canonical_labels
from dermkit.errors import ConfigError, DataError

SOURCE = "csv"


@register_adapter(SOURCE)
def import_csv(root: Path, columns: dict[str, str] | None = None, label_source: str | None = None, allow_missing_images: bool = False) -> pd.DataFrame:
    """Any CSV of cases; ``--column canonical=yours`` maps columns, ``--label-source`` maps labels."""
    root = Path(root)
    if root.is_dir():
        found = sorted(root.glob("*.csv"))
        if len(found) != 1:
            raise DataError(f"{SOURCE}: expected one CSV in {root}, found {len(found)}; pass the file itself")
        root = found[0]
    columns = dict(columns or {})
    unknown = sorted(set(columns) - set(COLUMN_NAMES))
    if unknown:
        raise ConfigError(f"--column names canonical columns; {', '.join(unknown)} is not one of {', '.join(COLUMN_NAMES)}")
    required = [columns.get("image_path", "image_path"), columns.get("diagnosis", "diagnosis"), *columns.values()]
    raw = read_csv(root, required=list(dict.fromkeys(required)), source=SOURCE)
    # mapped columns move to their canonical names (one column may fill several); a CSV column a
    # mapping replaces is kept as <name>_original
    df = raw.drop(columns=list(set(columns.values())))
    df = df.rename(columns={k: f"{k}_original" for k in columns if k in df.columns})
    for canonical, yours in columns.items():
        df[canonical] = raw[yours]
    if "case_id" not in df.columns:
        df["case_id"] = df["image_path"].map(lambda p: Path(p).stem if pd.notna(p) else None)
    df["image_path"] = df["image_path"].map(lambda p: str(root.parent / p) if pd.notna(p) else None)
    labelled = df["diagnosis"].notna()
    df["source_label"] = df.get("source_label", df["diagnosis"])
    df.loc[labelled, "diagnosis"] = canonical_labels(df.loc[labelled, "diagnosis"], label_source, str(root))
    return finish(df, allow_missing_images, f"{SOURCE} ({root})")
