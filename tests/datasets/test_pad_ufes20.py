import pytest

from dermkit.datasets import import_dataset
from dermkit.errors import DataError

PUBLISHED = {"bcc": 845, "akiec": 730, "nevus": 244, "bkl": 235, "scc": 192, "melanoma": 52}
FITZPATRICK = {2: 876, 3: 392, 1: 153, 4: 62, 5: 10, 6: 1}


def test_tidy_csv(shared_data):
    cases = import_dataset("pad_ufes20", shared_data / "pad_ufes20", allow_missing_images=True)
    assert len(cases) == 2298 and cases["diagnosis"].value_counts().to_dict() == PUBLISHED
    assert cases["fitzpatrick"].value_counts().to_dict() == FITZPATRICK and cases["fitzpatrick"].isna().sum() == 804
    assert cases["patient_id"].nunique() == 1373 and cases["lesion_id"].nunique() == 1641
    assert cases["source_split"].value_counts().to_dict() == {"trainval": 1915, "test": 383}
    assert "split" not in cases.columns  # the redistributor's split is not an official one


def test_parsed_one_hot_csvs_decode_to_the_same_table(shared_data, tmp_path):
    for name in ("pad-ufes-20_parsed_folders.csv", "pad-ufes-20_parsed_test.csv"):
        (tmp_path / name).symlink_to(shared_data / "pad_ufes20" / name)
    parsed = import_dataset("pad_ufes20", tmp_path, allow_missing_images=True).set_index("case_id")
    tidy = import_dataset("pad_ufes20", shared_data / "pad_ufes20", allow_missing_images=True).set_index("case_id").loc[parsed.index]
    assert len(parsed) == 2298
    for col in ("diagnosis", "fitzpatrick", "sex", "anatom_site", "patient_id", "source_split"):
        assert parsed[col].fillna(-1).astype(str).equals(tidy[col].fillna(-1).astype(str)), col


def test_published_metadata_and_images(tmp_path):
    (tmp_path / "images" / "imgs_part_2").mkdir(parents=True)
    (tmp_path / "images" / "imgs_part_2" / "PAT_46_881_939.png").write_bytes(b"x")
    (tmp_path / "metadata.csv").write_text(
        "patient_id,lesion_id,smoke,drink,background_father,background_mother,age,pesticide,gender,skin_cancer_history,"
        "cancer_history,has_piped_water,has_sewage_system,fitspatrick,region,diameter_1,diameter_2,diagnostic,itch,grew,"
        "hurt,changed,bleed,elevation,img_id,biopsed\n"
        "PAT_46,881,False,False,POMERANIA,POMERANIA,55,False,FEMALE,True,True,True,True,3.0,NECK,6.0,5.0,BCC,True,True,"
        "False,True,True,True,PAT_46_881_939.png,True\n"
    )
    c = import_dataset("pad_ufes20", tmp_path)
    assert c.loc[0, "image_path"].endswith("imgs_part_2/PAT_46_881_939.png")
    assert (c.loc[0, "diagnosis"], c.loc[0, "fitzpatrick"], c.loc[0, "sex"], c.loc[0, "anatom_site"]) == ("bcc", 3, "female", "NECK")


def test_missing_column(tmp_path):
    (tmp_path / "metadata.csv").write_text("patient_id,lesion_id,img_id\nPAT_1,1,a.png\n")
    with pytest.raises(DataError, match=r"metadata.csv: missing required column\(s\) diagnostic"):
        import_dataset("pad_ufes20", tmp_path, allow_missing_images=True)
