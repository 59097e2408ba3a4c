import pytest

from dermkit.datasets import import_dataset
from dermkit.errors import DataError


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")


def test_published_fold_layout_uses_first_fold_and_skips_augmented(tmp_path):
    orig = tmp_path / "Original Images" / "Original Images" / "FOLDS"
    for fold in ("fold1", "fold2"):
        _touch(orig / fold / "Train" / "Mpox" / "MKP_01_01.jpg")
        _touch(orig / fold / "Valid" / "Chickenpox" / "CHP_02_01.jpg")
        _touch(orig / fold / "Test" / "HFMD" / "HFMD_03_02.jpg")
    _touch(tmp_path / "Augmented Images" / "Augmented Images" / "FOLDS_AUG" / "fold1_AUG" / "Train" / "Mpox" / "MKP_01_01_aug1.jpg")
    c = import_dataset("msld", tmp_path).set_index("case_id")
    assert c["diagnosis"].to_dict() == {"CHP_02_01": "chickenpox", "HFMD_03_02": "hfmd", "MKP_01_01": "mpox"}
    assert c["split"].to_dict() == {"CHP_02_01": "val", "HFMD_03_02": "test", "MKP_01_01": "train"}
    assert c["patient_id"].to_dict() == {"CHP_02_01": "CHP_02", "HFMD_03_02": "HFMD_03", "MKP_01_01": "MKP_01"}
    assert all("fold1" in p for p in c["image_path"])


def test_flat_class_folders_and_empty(tmp_path):
    _touch(tmp_path / "Healthy" / "HEALTHY_01_01.jpg")
    _touch(tmp_path / "Measles" / "MSL_07_03.png")
    c = import_dataset("msld", tmp_path)
    assert sorted(c["diagnosis"]) == ["healthy", "measles"] and c["split"].isna().all()
    with pytest.raises(DataError, match="no images in class folders"):
        import_dataset("msld", _empty(tmp_path))


def _empty(tmp_path):
    p = tmp_path / "nothing"
    p.mkdir()
    return p
