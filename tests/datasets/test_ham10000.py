import pytest

from dermkit.datasets import import_dataset
from dermkit.errors import ConfigError, DataError

PUBLISHED = {"nevus": 6705, "melanoma": 1113, "bkl": 1099, "bcc": 514, "akiec": 327, "vasc": 142, "df": 115}


def test_real_metadata_counts_and_lesion_grouping(shared_data):
    cases = import_dataset("ham10000", shared_data / "ham10000", allow_missing_images=True)
    assert len(cases) == 10015
    assert cases["diagnosis"].value_counts().to_dict() == PUBLISHED
    assert cases["lesion_id"].nunique() == 7470
    assert not cases["image_available"].any()
    assert cases["malignant"].sum() == 1113 + 514 + 327


def test_missing_images_are_an_error_with_count(shared_data):
    with pytest.raises(DataError, match=r"10015 of 10015 image file\(s\) missing.*--allow-missing-images"):
        import_dataset("ham10000", shared_data / "ham10000")


def test_images_found_in_published_folders(tmp_path):
    (tmp_path / "HAM10000_images_part_1").mkdir()
    (tmp_path / "HAM10000_images_part_1" / "ISIC_1.jpg").write_bytes(b"x")
    (tmp_path / "HAM10000_metadata.csv").write_text("lesion_id,image_id,dx,dx_type,age,sex,localization\nHAM_1,ISIC_1,mel,histo,50,female,back\n")
    cases = import_dataset("ham10000", tmp_path)
    assert cases.loc[0, "image_path"].endswith("HAM10000_images_part_1/ISIC_1.jpg")
    assert cases.loc[0, "diagnosis"] == "melanoma" and cases.loc[0, "sex"] == "female"


def test_unknown_label_and_column(tmp_path):
    (tmp_path / "HAM10000_metadata.csv").write_text("lesion_id,image_id,dx\nHAM_1,ISIC_1,psoriasis\n")
    with pytest.raises(DataError, match="unknown label.*'ham10000'.*'psoriasis'"):
        import_dataset("ham10000", tmp_path, allow_missing_images=True)
    (tmp_path / "HAM10000_metadata.csv").write_text("lesion_id,image_id\nHAM_1,ISIC_1\n")
    with pytest.raises(DataError, match="missing required column.*dx"):
        import_dataset("ham10000", tmp_path, allow_missing_images=True)


def test_unknown_format_and_option(tmp_path):
    with pytest.raises(ConfigError, match="unknown dataset format 'nope'"):
        import_dataset("nope", tmp_path)
    with pytest.raises(ConfigError, match="--flag"):
        import_dataset("ham10000", tmp_path, flag="x")


def test_256_subset_with_masks(shared_data):
    cases = import_dataset("ham10000", shared_data / "ham10000_256_subset")
    assert len(cases) == 1007 and cases["image_available"].all()
    assert cases["mask_path"].notna().sum() == 1007
    counts = cases["diagnosis"].value_counts().to_dict()
    assert counts["df"] == 115 and counts["vasc"] == 142 and max(counts.values()) == 150


@pytest.mark.parametrize("folder", ["ham10000_images_part_1", ".", "images/part 1"])
def test_images_found_anywhere_under_root(tmp_path, folder):
    (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    (tmp_path / folder / "ISIC_1.jpg").write_bytes(b"x")  # Kaggle's lowercase copy, or no image folder at all
    (tmp_path / "HAM10000_metadata.csv").write_text("lesion_id,image_id,dx\nHAM_1,ISIC_1,mel\nHAM_2,ISIC_2,nv\n")
    c = import_dataset("ham10000", tmp_path, allow_missing_images=True)
    assert c["image_available"].tolist() == [True, False]
    assert c.loc[0, "image_path"] == str(tmp_path / folder / "ISIC_1.jpg").replace("/./", "/")
    with pytest.raises(DataError, match=rf"1 of 2 image file\(s\) missing .*ISIC_2\.jpg; no such image anywhere under {tmp_path}\)"):
        import_dataset("ham10000", tmp_path)
