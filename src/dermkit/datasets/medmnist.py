"""MedMNIST ``.npz`` files (Yang et al. 2023), e.g. DermaMNIST at 28, 64, 128 or 224 px.

Layout: ``train_images`` (N, H, W[, 3]) uint8, ``train_labels`` (N, 1), and the same for ``val``
and ``test``. Images are written out as PNGs under ``images_out/<split>/<split>_<index>.png``
(into a temporary folder renamed into place at the end, with a progress bar); the case table keeps the npz split. Class names
come from the flag's MedMNIST ``INFO`` (DermaMNIST: 0 actinic keratoses and intraepithelial
carcinoma ... 6 vascular lesions).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from dermkit.datasets import register_adapter
from dermkit.datasets._common import finish
from dermkit.errors import ConfigError, DataError
from dermkit.labels import map_labels

SOURCE = "medmnist"
#: Class names of each supported flag, in label order, as MedMNIST's ``INFO[flag]["label"]`` gives them.
FLAG_CLASSES: dict[str, tuple[str, ...]] = {
    "dermamnist": (
        "actinic keratoses and intraepithelial carcinoma", "basal cell carcinoma", "benign keratosis-like lesions",
        "dermatofibroma", "melanoma", "melanocytic nevi", "vascular lesions",
    ),
}
_SPLITS = {"train": "train", "val": "val", "test": "test"}


@register_adapter(SOURCE)
def import_medmnist(root: Path, flag: str | None = None, images_out: Path | None = None) -> pd.DataFrame:
    """MedMNIST .npz (``--flag dermamnist``, any size): images written as PNGs, npz split kept."""
    import cv2
    from rich.progress import Progress

    if flag not in FLAG_CLASSES:
        raise ConfigError(f"medmnist needs --flag, one of: {', '.join(FLAG_CLASSES)} (got {flag!r})")
    if images_out is None:
        raise ConfigError("medmnist needs images_out: the folder the PNGs are written to")
    root = Path(root)
    try:
        data = np.load(root, allow_pickle=False)
    except Exception as exc:
        raise DataError(f"cannot read MedMNIST npz {root}: {str(exc).splitlines()[0]}") from None
    classes = FLAG_CLASSES[flag]
    parts = []
    with data:
        present = [s for s in _SPLITS if f"{s}_images" in data.files]
        if not present:
            raise DataError(f"{root}: no train_images / val_images / test_images arrays; found: {', '.join(data.files)}")
        arrays = {}
        for split in present:
            if f"{split}_labels" not in data.files:
                raise DataError(f"{root}: {split}_images has no {split}_labels array")
            images, labels = data[f"{split}_images"], np.asarray(data[f"{split}_labels"]).reshape(-1)
            if len(images) != len(labels) or images.ndim not in (3, 4):
                raise DataError(f"{root}: {split}_images {images.shape} does not match {split}_labels ({len(labels)})")
            bad = labels[(labels < 0) | (labels >= len(classes))]
            if len(bad):
                raise DataError(f"{root}: {split}_labels value {int(bad[0])} is outside 0-{len(classes) - 1} for {flag}")
            arrays[split] = (images, labels.astype(int))
    out = Path(images_out).resolve()  # absolute paths in the table, wherever it is saved
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    total = sum(len(lab) for _, lab in arrays.values())
    try:
        with Progress(transient=True) as progress:
            task = progress.add_task(f"writing {total} {flag} PNGs", total=total)
            for split, (images, labels) in arrays.items():
                (tmp / split).mkdir()
                for i, img in enumerate(images):
                    if not cv2.imwrite(str(tmp / split / f"{split}_{i}.png"), img[..., ::-1] if img.ndim == 3 else img):
                        raise DataError(f"cannot write PNG {tmp / split / f'{split}_{i}.png'}")
                    progress.advance(task)
                names = [classes[k] for k in labels]
                parts.append(pd.DataFrame({
                    "case_id": [f"{flag}_{split}_{i}" for i in range(len(labels))],
                    "image_path": [str(out / split / f"{split}_{i}.png") for i in range(len(labels))],
                    "diagnosis": map_labels(flag, names),
                    "source_label": names,
                    "label_index": labels,
                    "split": _SPLITS[split],
                    "modality": "dermoscopic",
                }))
        # the folder appears whole or not at all: an interrupted import leaves the old one untouched
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return finish(pd.concat(parts, ignore_index=True), False, f"{SOURCE} ({root})")
