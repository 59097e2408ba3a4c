import numpy as np
import pytest

from dermkit.datasets import import_dataset
from dermkit.datasets.medmnist import FLAG_CLASSES
from dermkit.errors import ConfigError, DataError
from dermkit.io import read_image


def _npz(path, sizes=(3, 2, 2), size=8, labels=None):
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in zip(("train", "val", "test"), sizes):
        arrays[f"{split}_images"] = rng.integers(0, 255, size=(n, size, size, 3), dtype=np.uint8)
        arrays[f"{split}_labels"] = (np.arange(n) % 7).reshape(-1, 1) if labels is None else labels
    np.savez(path, **arrays)
    return arrays


def test_small_npz_any_size(tmp_path):
    arrays = _npz(tmp_path / "dermamnist_64.npz", size=64)
    cases = import_dataset("medmnist", tmp_path / "dermamnist_64.npz", flag="dermamnist", images_out=tmp_path / "png")
    assert cases["split"].tolist() == ["train"] * 3 + ["val"] * 2 + ["test"] * 2
    assert cases["source_label"].tolist()[:3] == list(FLAG_CLASSES["dermamnist"][:3])
    assert cases["diagnosis"].tolist()[:3] == ["akiec", "bcc", "bkl"]
    # PNGs hold the npz pixels exactly
    assert np.array_equal(read_image(cases.loc[4, "image_path"]), arrays["val_images"][1])
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == ["test", "train", "val"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_bad_label_leaves_no_images(tmp_path):
    _npz(tmp_path / "bad.npz", sizes=(2, 2, 2), labels=np.array([[0], [9]]))
    with pytest.raises(DataError, match="train_labels value 9 is outside 0-6"):
        import_dataset("medmnist", tmp_path / "bad.npz", flag="dermamnist", images_out=tmp_path / "png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.npz"]


def test_flag_and_npz_checks(tmp_path):
    _npz(tmp_path / "a.npz")
    with pytest.raises(ConfigError, match="--flag.*dermamnist"):
        import_dataset("medmnist", tmp_path / "a.npz", flag="pathmnist", images_out=tmp_path / "png")
    np.savez(tmp_path / "b.npz", x=np.zeros(3))
    with pytest.raises(DataError, match="no train_images.*found: x"):
        import_dataset("medmnist", tmp_path / "b.npz", flag="dermamnist", images_out=tmp_path / "png")
    (tmp_path / "c.npz").write_bytes(b"garbage")
    with pytest.raises(DataError, match="cannot read MedMNIST npz .*c.npz"):
        import_dataset("medmnist", tmp_path / "c.npz", flag="dermamnist", images_out=tmp_path / "png")
