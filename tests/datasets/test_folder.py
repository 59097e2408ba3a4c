import numpy as np
import pytest

from dermkit.datasets import import_dataset
from dermkit.errors import DataError
from dermkit.io import write_image


def _img(path):
    write_image(path, np.full((6, 6, 3), 100, np.uint8))


def test_class_folders_with_splits_and_label_source(tmp_path):
    for rel in ("train/mel/a.jpg", "train/nv/b.png", "test/nv/c.jpg"):
        _img(tmp_path / rel)
    c = import_dataset("folder", tmp_path, label_source="ham10000").set_index("case_id")
    assert c["diagnosis"].to_dict() == {"test/nv/c": "nevus", "train/mel/a": "melanoma", "train/nv/b": "nevus"}
    assert c["split"].to_dict() == {"test/nv/c": "test", "train/mel/a": "train", "train/nv/b": "train"}
    assert c.loc["train/mel/a", "source_label"] == "mel"


def test_a_table_saved_in_another_folder_still_finds_its_images(tmp_path, monkeypatch):
    from dermkit.cli import app
    from dermkit.datasets.torch_dataset import CaseDataset
    from typer.testing import CliRunner

    for rel in ("data/melanoma/a.jpg", "data/nevus/b.jpg"):
        _img(tmp_path / rel)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["datasets", "import", "folder", "data", "-o", "tables/cases.parquet"])  # a relative root
    assert res.exit_code == 0, res.output
    dataset = CaseDataset("tables/cases.parquet")  # image paths were relative to the working folder: tables/data/... not found
    assert tuple(dataset[0]["image"].shape) == (3, 6, 6)


def test_canonical_folder_names(tmp_path):
    _img(tmp_path / "Melanoma" / "a.jpg")
    _img(tmp_path / "benign-other" / "b.jpg")
    c = import_dataset("folder", tmp_path)
    assert sorted(c["diagnosis"]) == ["benign_other", "melanoma"] and c["split"].isna().all()
    _img(tmp_path / "mel" / "x.jpg")
    with pytest.raises(DataError, match="unknown label.*'mel'.*--label-source"):
        import_dataset("folder", tmp_path)


def test_corrupt_image_empty_folder_and_loose_files(tmp_path):
    _img(tmp_path / "nevus" / "ok.png")
    (tmp_path / "nevus" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(DataError, match=r"cannot decode image.*broken\.jpg"):
        import_dataset("folder", tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no images .* found under .*empty"):
        import_dataset("folder", empty)
    loose = tmp_path / "loose"
    _img(loose / "a.png")
    with pytest.raises(DataError, match="not in a class folder"):
        import_dataset("folder", loose)
