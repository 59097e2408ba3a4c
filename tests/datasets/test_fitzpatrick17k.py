import pytest

from dermkit.datasets import import_dataset
from dermkit.errors import DataError


def test_real_metadata(shared_data):
    cases = import_dataset("fitzpatrick17k", shared_data / "fitzpatrick17k", allow_missing_images=True)
    assert len(cases) == 16577
    # Fitzpatrick 1-6 as published; the 565 rows scored -1 are missing
    assert cases["fitzpatrick"].value_counts().sort_index().to_dict() == {1: 2947, 2: 4808, 3: 3308, 4: 2781, 5: 1533, 6: 635}
    assert cases["fitzpatrick"].isna().sum() == 565
    counts = cases["diagnosis"].value_counts().to_dict()
    # melanoma = melanoma 261 + malignant melanoma 111 + superficial spreading 118 + lentigo maligna 83
    assert counts["melanoma"] == 573 and counts["scc"] == 581 and counts["bcc"] == 468 + 62 + 66
    assert counts["non_neoplastic"] == (cases["three_partition_label"] == "non-neoplastic").sum() == 12080
    assert set(cases.loc[cases["three_partition_label"] == "malignant", "malignant"]) == {True}
    assert cases["site"].value_counts().to_dict() == {"DermaAmin": 12631, "Atlas Dermatologico": 3905}


def test_unknown_partition_is_an_error(tmp_path):
    (tmp_path / "fitzpatrick17k.csv").write_text(
        "md5hash,fitzpatrick_scale,label,three_partition_label\nabc,3,brand new rash,weird\n"
    )
    with pytest.raises(DataError, match="'brand new rash'.*'weird'"):
        import_dataset("fitzpatrick17k", tmp_path, allow_missing_images=True)
