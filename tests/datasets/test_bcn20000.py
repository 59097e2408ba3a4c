import pytest

from dermkit.datasets import import_dataset
from dermkit.errors import DataError

HEADER = "bcn_filename,age_approx,anatom_site_general,diagnosis,lesion_id,capture_date,sex,split\n"


def test_published_metadata(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "BCN_0000000001.jpg").write_bytes(b"x")
    (tmp_path / "bcn20000_metadata_2025-05-22.csv").write_text(
        HEADER
        + "BCN_0000000001.jpg,55.0,anterior torso,MEL,BCN_0003884,2012-05-16,male,train\n"
        + "BCN_0000000002.jpg,30.0,palms/soles,NV,BCN_0003884,2012-05-16,male,train\n"
        + "BCN_0000000003.jpg,70.0,head/neck,,BCN_0000007,2014-01-02,female,test\n"
    )
    c = import_dataset("bcn20000", tmp_path, allow_missing_images=True)
    assert c["diagnosis"].fillna("-").tolist() == ["melanoma", "nevus", "-"]
    assert c["split"].tolist() == ["train", "train", "test"] and c["lesion_id"].nunique() == 2
    assert c.loc[0, "image_path"].endswith("images/BCN_0000000001.jpg") and c["image_available"].tolist() == [True, False, False]


def test_unknown_label(tmp_path):
    (tmp_path / "bcn20000_metadata.csv").write_text(HEADER + "BCN_1.jpg,55,torso,XYZ,BCN_1,2012-05-16,male,train\n")
    with pytest.raises(DataError, match="unknown label.*'bcn20000'.*'XYZ'"):
        import_dataset("bcn20000", tmp_path, allow_missing_images=True)


def test_published_and_archive_exports_together(tmp_path):
    (tmp_path / "bcn20000_metadata.csv").write_text(HEADER + "BCN_1.jpg,55,torso,MEL,BCN_1,2012-05-16,male,train\n")
    (tmp_path / "bcn20000_archive.csv").write_text("bcn_filename,diagnosis_1,diagnosis_3\nBCN_2.jpg,Benign,Nevus\nBCN_3.jpg,Malignant,\n")
    c = import_dataset("bcn20000", tmp_path, allow_missing_images=True).set_index("case_id")
    # was: the published file's diagnosis column won, so the archive rows were unlabelled
    assert c["diagnosis"].to_dict() == {"BCN_2": "nevus", "BCN_3": "malignant_other", "BCN_1": "melanoma"}
    assert c["source_label"].fillna("-").to_dict() == {"BCN_2": "Nevus", "BCN_3": "-", "BCN_1": "MEL"}
