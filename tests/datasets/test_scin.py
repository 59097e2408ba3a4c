import pytest

from dermkit.datasets import import_dataset
from dermkit.errors import DataError

CASES = (
    "case_id,source,release,year,age_group,sex_at_birth,fitzpatrick_skin_type,image_1_path,image_2_path,image_3_path\n"
    "-100,USER,SCIN,2023,AGE_30_TO_39,FEMALE,FST2,dataset/images/-111.png,dataset/images/-112.png,\n"
    "-200,USER,SCIN,2023,AGE_60_TO_69,MALE,,dataset/images/-211.png,,\n"
    "-300,USER,SCIN,2023,AGE_18_TO_29,OTHER_OR_UNSPECIFIED,FST6,dataset/images/-311.png,,\n"
)
LABELS = (
    "case_id,dermatologist_skin_condition_on_label_name,dermatologist_skin_condition_confidence,weighted_skin_condition_label,"
    "dermatologist_fitzpatrick_skin_type_label_1,dermatologist_fitzpatrick_skin_type_label_2,monk_skin_tone_label_us\n"
    "-100,\"['Eczema', 'Psoriasis']\",\"[4, 2]\",\"{'Eczema': 0.41, 'Psoriasis': 0.59}\",FST3,FST3,4\n"
    "-200,\"['Melanoma']\",[5],\"{'Melanoma': 1.0}\",FST1,,2\n"
    "-300,[],[],,,,\n"
)


def test_published_cases_and_labels(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "-111.png").write_bytes(b"x")
    (tmp_path / "scin_cases.csv").write_text(CASES)
    (tmp_path / "scin_labels.csv").write_text(LABELS)
    c = import_dataset("scin", tmp_path, allow_missing_images=True).set_index("case_id")
    assert sorted(c.index) == ["-111", "-112", "-211", "-311"]  # one row per image
    assert c.loc["-111", "patient_id"] == "-100" and c.loc["-112", "patient_id"] == "-100"
    assert c.loc["-111", "source_label"] == "Psoriasis" and c.loc["-111", "diagnosis"] == "non_neoplastic"
    assert c.loc["-211", "diagnosis"] == "melanoma" and c.loc["-211", "malignant"]
    assert c["diagnosis"].isna()["-311"]  # no dermatologist label: unlabelled
    assert (c.loc["-111", "fitzpatrick"], c.loc["-111", "fitzpatrick_self_reported"], c.loc["-111", "monk_skin_tone"]) == (3, 2, 4)
    assert c.loc["-111", "sex"] == "female" and c["sex"].isna()["-311"]
    assert c.loc["-111", "image_available"] and not c.loc["-112", "image_available"]


def test_missing_labels_file(tmp_path):
    (tmp_path / "scin_cases.csv").write_text(CASES)
    with pytest.raises(DataError, match="scin: none of scin_labels.csv"):
        import_dataset("scin", tmp_path, allow_missing_images=True)
