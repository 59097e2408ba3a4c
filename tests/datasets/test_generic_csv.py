import pytest

from dermkit.datasets import import_dataset
from dermkit.errors import ConfigError, DataError


def test_column_mapping_and_label_source(tmp_path):
    (tmp_path / "imgs").mkdir()
    for n in ("a", "b"):
        (tmp_path / "imgs" / f"{n}.jpg").write_bytes(b"x")
    (tmp_path / "mine.csv").write_text("file,dx,pid,fst\nimgs/a.jpg,mel,p1,2\nimgs/b.jpg,nv,p1,5\n")
    cols = {"image_path": "file", "diagnosis": "dx", "patient_id": "pid", "fitzpatrick": "fst"}
    c = import_dataset("csv", tmp_path / "mine.csv", columns=cols, label_source="ham10000")
    assert c["case_id"].tolist() == ["a", "b"] and c["diagnosis"].tolist() == ["melanoma", "nevus"]
    assert c["source_label"].tolist() == ["mel", "nv"] and c["fitzpatrick"].tolist() == [2, 5]
    assert c["image_path"].iloc[0] == str(tmp_path / "imgs" / "a.jpg") and c["image_available"].all()


def test_errors_name_the_column_label_and_duplicate(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("image_path,label\na.jpg,nevus\n")
    with pytest.raises(DataError, match=r"c.csv: missing required column\(s\) diagnosis"):
        import_dataset("csv", p, allow_missing_images=True)
    p.write_text("image_path,diagnosis\na.jpg,nevus\nb.jpg,psoriasis\n")
    with pytest.raises(DataError, match="unknown label.*'psoriasis'"):
        import_dataset("csv", p, allow_missing_images=True)
    p.write_text("image_path,diagnosis\nx/a.jpg,nevus\ny/a.jpg,melanoma\n")
    with pytest.raises(DataError, match="duplicated case_id 'a'"):
        import_dataset("csv", p, allow_missing_images=True)
    with pytest.raises(DataError, match=r"2 of 2 image file\(s\) missing"):
        import_dataset("csv", p)
    with pytest.raises(ConfigError, match="dx is not one of"):
        import_dataset("csv", p, columns={"dx": "diagnosis"})


def test_mapped_column_missing_shadowing_or_used_twice(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("file,dx,diagnosis\na.jpg,mel,melanoma?\n")
    with pytest.raises(DataError, match=r"c.csv: missing required column\(s\) patient"):  # was: silently ignored
        import_dataset("csv", p, columns={"image_path": "file", "diagnosis": "dx", "patient_id": "patient"}, allow_missing_images=True)
    # the CSV's own diagnosis column is replaced by dx (was: a bare pandas ValueError) and kept aside
    c = import_dataset("csv", p, columns={"image_path": "file", "diagnosis": "dx"}, label_source="ham10000", allow_missing_images=True)
    assert c.loc[0, "diagnosis"] == "melanoma" and c.loc[0, "diagnosis_original"] == "melanoma?"
    p.write_text("file,dx\na.jpg,mel\n")  # one column filling two (was: KeyError 'diagnosis')
    c = import_dataset("csv", p, columns={"image_path": "file", "diagnosis": "dx", "lesion_id": "dx"}, label_source="ham10000", allow_missing_images=True)
    assert (c.loc[0, "diagnosis"], c.loc[0, "lesion_id"], c.loc[0, "source_label"]) == ("melanoma", "mel", "mel")
