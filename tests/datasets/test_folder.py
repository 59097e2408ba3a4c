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


def test_split_folders_are_named_in_any_of_the_usual_ways(tmp_path):
    for rel in ("Training/melanoma/a.jpg", "Validation/nevus/b.jpg", "Testing/nevus/c.jpg"):  # Kaggle's ISIC class-folder layout
        _img(tmp_path / rel)
    c = import_dataset("folder", tmp_path).set_index("case_id")
    assert c["split"].to_dict() == {"Testing/nevus/c": "test", "Training/melanoma/a": "train", "Validation/nevus/b": "val"}
    assert c["diagnosis"].to_dict() == {"Testing/nevus/c": "nevus", "Training/melanoma/a": "melanoma", "Validation/nevus/b": "nevus"}


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


def test_symlinked_class_folder_and_link_loop(tmp_path):
    _img(tmp_path / "data" / "nevus" / "a.jpg")
    _img(tmp_path / "elsewhere" / "melanoma" / "b.jpg")
    (tmp_path / "data" / "melanoma").symlink_to(tmp_path / "elsewhere" / "melanoma")  # was: silently dropped
    (tmp_path / "data" / "nevus" / "loop").symlink_to(tmp_path / "data" / "nevus")
    c = import_dataset("folder", tmp_path / "data")
    assert sorted(c["case_id"]) == ["melanoma/b", "nevus/a"]


def test_webp_read_other_files_noted_macos_files_ignored(tmp_path):
    from PIL import Image

    _img(tmp_path / "nevus" / "a.jpg")
    (tmp_path / "melanoma").mkdir()
    Image.new("RGB", (6, 6), "red").save(tmp_path / "melanoma" / "b.webp")
    Image.new("RGB", (6, 6), "red").save(tmp_path / "melanoma" / "c.gif")
    (tmp_path / "nevus" / "._a.jpg").write_bytes(b"\x00\x05\x16\x07")  # was: "cannot decode image ._a.jpg"
    (tmp_path / "__MACOSX" / "nevus").mkdir(parents=True)
    (tmp_path / "__MACOSX" / "nevus" / "._a.jpg").write_bytes(b"\x00\x05\x16\x07")
    for name in (".DS_Store", "README.txt", "labels.csv"):
        (tmp_path / name).write_text("x")
    from dermkit.datasets.folder import SkippedFilesWarning

    with pytest.warns(SkippedFilesWarning, match=r"skipped 1 file\(s\) of a type it does not read \(\.gif\).*c\.gif") as caught:
        c = import_dataset("folder", tmp_path)
    assert len(caught) == 1
    assert sorted(c["case_id"]) == ["melanoma/b", "nevus/a"]  # was: the .webp silently skipped


def test_truncated_jpeg_is_reported(tmp_path):
    rng = np.random.default_rng(0)
    write_image(tmp_path / "nevus" / "a.jpg", rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    data = (tmp_path / "nevus" / "a.jpg").read_bytes()
    (tmp_path / "nevus" / "a.jpg").write_bytes(data[: len(data) * 8 // 10])  # Pillow's verify() passed this
    with pytest.raises(DataError, match=r"cannot decode image.*nevus/a\.jpg"):
        import_dataset("folder", tmp_path)
