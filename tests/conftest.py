"""Shared fixtures: the real data folder beside the checkout, and small case tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (present in CI and on developers' machines); tests needing it skip elsewhere."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} not present")
    return SHARED_DATA


@pytest.fixture
def tiny_cases(tmp_path: Path) -> pd.DataFrame:
    """Twelve cases of three diagnoses over six patients, with real (tiny) PNG images on disk."""
    import cv2

    rows = []
    rng = np.random.default_rng(0)
    for i in range(12):
        img = rng.integers(0, 255, size=(16, 16, 3), dtype=np.uint8)
        path = tmp_path / f"img_{i}.png"
        cv2.imwrite(str(path), img)
        rows.append(
            {
                "case_id": f"c{i}",
                "image_path": str(path),
                "diagnosis": ["nevus", "melanoma", "bcc"][i % 3],
                "patient_id": f"p{i // 2}",
            }
        )
    return pd.DataFrame(rows)
