"""Tiny case tables with real PNG files whose class is visible: a dark small vs a pink large blob."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def make_cases(root: Path, n: int = 32, size: int = 32, seed: int = 0) -> pd.DataFrame:
    """``n`` cases of two classes (nevus: small dark blob, melanoma: large purple blob) on light or brown skin."""
    import cv2

    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        cls = i % 2
        skin = (200, 160, 130) if i % 3 else (120, 80, 55)
        img = np.empty((size, size, 3), np.uint8)
        img[:] = skin
        colour = (70, 40, 30) if cls == 0 else (140, 50, 110)
        cv2.circle(img, (size // 2, size // 2), size // 6 + cls * size // 6, colour, -1)
        img = np.clip(img.astype(int) + rng.integers(-8, 9, img.shape), 0, 255).astype(np.uint8)
        path = root / f"img_{i}.png"
        cv2.imwrite(str(path), img[:, :, ::-1])
        rows.append(
            {
                "case_id": f"c{i}",
                "image_path": str(path),
                "diagnosis": ("nevus", "melanoma")[cls],
                "patient_id": f"p{i}",
                "split": "val" if i % 8 in (6, 7) else "train",
                "skin_tone": "light" if i % 3 else "brown",
                "artifacts": "ruler" if i % 4 == 0 else "",
                "age": 20.0 + i,
                "sex": ("male", "female")[i % 2],
                "anatom_site": ("back", "face")[i % 3 == 0],
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture
def lesion_cases(tmp_path: Path) -> pd.DataFrame:
    """32 cases (24 train, 8 val) of 32x32 images, two visibly different classes."""
    return make_cases(tmp_path / "images")


@pytest.fixture
def fast() -> dict:
    """A fast recipe for tests: timm's tiny test ResNet at 32 px, one epoch, no progress bar."""
    return {"model": "test_resnet", "image_size": 32, "batch_size": 8, "epochs": 1, "progress": False, "augment": {"rotate": 0, "color_jitter": 0}}
