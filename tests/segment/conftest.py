"""A tiny segmentation data set whose truth is known: dark ellipses on noisy skin-coloured images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def make_ellipse_cases(folder: Path, n: int = 24, seed: int = 0) -> pd.DataFrame:
    """``n`` images of 96x128 px (not square, to check sizes) with one dark ellipse each; 3/4 train, 1/4 val."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        img = np.clip(np.array([200, 160, 140]) + rng.normal(0, 8, (96, 128, 3)), 0, 255).astype(np.uint8)
        mask = np.zeros((96, 128), np.uint8)
        centre = (int(rng.integers(40, 88)), int(rng.integers(32, 64)))
        axes = (int(rng.integers(12, 30)), int(rng.integers(10, 24)))
        cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
        img[mask > 0] = (img[mask > 0] * 0.45).astype(np.uint8)
        cv2.imwrite(str(folder / f"c{i}.png"), img[:, :, ::-1])
        cv2.imwrite(str(folder / f"c{i}_mask.png"), mask)
        rows.append(
            {
                "case_id": f"c{i}",
                "image_path": str(folder / f"c{i}.png"),
                "mask_path": str(folder / f"c{i}_mask.png"),
                "diagnosis": "nevus",
                "patient_id": f"p{i}",
                "split": "train" if i < 3 * n // 4 else "val",
                "skin_tone": ["light", "brown"][i % 2],
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def ellipse_cases(tmp_path_factory) -> pd.DataFrame:
    return make_ellipse_cases(tmp_path_factory.mktemp("ellipses"))


@pytest.fixture(scope="session")
def tiny_run(ellipse_cases, tmp_path_factory) -> Path:
    """A U-Net after 2 training steps at 64 px: a real run folder for format and pipeline checks."""
    from dermkit.segment import train_segmenter

    out = tmp_path_factory.mktemp("seg_tiny_run")
    return train_segmenter(ellipse_cases, out, image_size=64, batch_size=6, epochs=1, max_steps=2, progress=False, seed=0)
