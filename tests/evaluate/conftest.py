"""Hand-built predictions and cases for the evaluate tests."""

import numpy as np
import pandas as pd
import pytest

CLASSES = ["melanoma", "nevus", "bcc", "bkl"]


def make_tables(tmp_path=None, n=200, seed=0, images=False):
    """Random but learnable predictions for ``n`` cases with skin tone, site, age and artifacts."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(CLASSES), n)
    logits = rng.normal(size=(n, len(CLASSES))) + 1.5 * np.eye(len(CLASSES))[y]
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    paths = [f"missing/{i}.png" for i in range(n)]
    if images:
        import cv2

        from dermkit.io import write_image

        for i in range(n):
            img = np.full((40, 60, 3), (200 - 2 * (i % 40), 160 - 2 * (i % 40), 130 - 2 * (i % 40)), np.uint8)  # RGB skin
            cv2.circle(img, (30, 20), 8 + i % 5, (90, 55, 40), -1)
            paths[i] = str(tmp_path / f"img_{i}.png")
            write_image(paths[i], img)
    cases = pd.DataFrame(
        {
            "case_id": [f"c{i}" for i in range(n)],
            "image_path": paths,
            "diagnosis": [CLASSES[i] for i in y],
            "skin_tone": rng.choice(["light", "tan", "dark"], n, p=[0.6, 0.3, 0.1]),
            "site": rng.choice(["site_a", "site_b"], n),
            "age": rng.uniform(20, 90, n),
            "artifacts": rng.choice(["hair", "hair;ruler", None], n),
            "split": rng.choice(["train", "test"], n),
        }
    )
    preds = pd.DataFrame({"case_id": cases["case_id"], "pred": [CLASSES[i] for i in p.argmax(1)], **{f"prob_{c}": p[:, k] for k, c in enumerate(CLASSES)}})
    return preds, cases


@pytest.fixture
def tables():
    return make_tables()


@pytest.fixture
def table_factory():
    """:func:`make_tables` itself, for tests that need other sizes or images on disk."""
    return make_tables
