import numpy as np
import pytest

from dermkit.datasets import import_dataset
from dermkit.errors import DataError
from dermkit.io import write_image

# Published class counts of the ISIC 2019 training set and the ISIC 2017 Part 3 training set.
ISIC2019 = {"nevus": 12875, "melanoma": 4522, "bcc": 3323, "bkl": 2624, "akiec": 867, "scc": 628, "vasc": 253, "df": 239}
ISIC2017 = {"nevus": 1372, "melanoma": 374, "bkl": 254}


def test_isic2019_ground_truth_and_metadata(shared_data):
    cases = import_dataset("isic", shared_data / "isic2019", allow_missing_images=True)
    assert len(cases) == 25331  # the test metadata (8,238 rows, no labels) adds no cases
    assert cases["diagnosis"].value_counts().to_dict() == ISIC2019
    assert (cases["source_label"] == "MEL").sum() == 4522
    assert set(cases["split"]) == {"train"} and set(cases["site"]) == {"ISIC 2019"}
    row = cases.set_index("case_id").loc["ISIC_0000000"]
    assert (row["age"], row["sex"], row["anatom_site"]) == (55.0, "female", "anterior torso")
    assert cases["lesion_id"].notna().sum() > 20000


def test_isic2020_unknown_refined_and_duplicates(shared_data):
    cases = import_dataset("isic", shared_data / "isic2020", allow_missing_images=True)
    assert len(cases) == 33126
    assert cases["diagnosis"].value_counts().to_dict() == {"benign_other": 27126, "nevus": 5193, "melanoma": 584, "bkl": 223}
    assert (cases["source_label"] == "unknown").sum() == 27124  # + cafe-au-lait and atypical proliferation
    assert cases["malignant"].sum() == 584
    assert cases["patient_id"].nunique() == 2056
    assert cases["duplicate_of"].notna().sum() == 425
    assert cases.set_index("case_id").loc["ISIC_8521950", "duplicate_of"] == "ISIC_0079038"


def test_isic2017_labels_and_val_pairs_with_masks(shared_data):
    cases = import_dataset("isic", shared_data / "isic2017_labels", allow_missing_images=True)
    assert len(cases) == 2000 and cases["diagnosis"].value_counts().to_dict() == ISIC2017
    pairs = import_dataset("isic", shared_data / "isic2017_val_pairs")
    assert len(pairs) == 98 and pairs["mask_path"].notna().all() and pairs["image_available"].all()
    assert pairs["image_path"].str.endswith(".jpg").all() and pairs["mask_path"].str.endswith("_segmentation.png").all()


def test_isic2018_task1_folder_imports_every_mask(shared_data):
    cases = import_dataset("isic", shared_data / "isic2018_task12_256")
    assert len(cases) == 2594 and cases["mask_path"].notna().sum() == 2594
    assert cases["diagnosis"].isna().all()  # task 1 has no labels
    # attribute masks and lesion masks are not mistaken for images
    assert not cases["image_path"].str.contains("attribute|segmentation").any()
    first = cases.set_index("case_id").loc["ISIC_0000000"]
    assert first["mask_path"].endswith("masks/ISIC_0000000_segmentation.png")


def _img(path):
    write_image(path, np.zeros((4, 4, 3), np.uint8))


def test_published_2016_and_2018_layouts(tmp_path):
    # ISIC 2016 Part 3: headerless CSVs; test labels as 0.0/1.0; Part 1 masks with a capital S
    (tmp_path / "ISBI2016_ISIC_Part3_Training_GroundTruth.csv").write_text("ISIC_0000000,benign\nISIC_0000002,malignant\n")
    (tmp_path / "ISBI2016_ISIC_Part3_Test_GroundTruth.csv").write_text("ISIC_0000003,0.0\nISIC_0000013,1.0\n")
    for i in ("0000000", "0000002", "0000003", "0000013"):
        _img(tmp_path / "ISBI2016_ISIC_Part3_Training_Data" / f"ISIC_{i}.jpg")
    _img(tmp_path / "ISBI2016_ISIC_Part1_Training_GroundTruth" / "ISIC_0000000_Segmentation.png")
    c = import_dataset("isic", tmp_path).set_index("case_id").sort_index()
    assert c["diagnosis"].tolist() == ["benign_other", "melanoma", "benign_other", "melanoma"]
    assert c["split"].tolist() == ["train", "train", "test", "test"]
    assert c.loc["ISIC_0000000", "mask_path"].endswith("ISIC_0000000_Segmentation.png") and c["mask_path"].notna().sum() == 1


def test_isic2018_task3_one_hot_and_lesion_groupings(tmp_path):
    (tmp_path / "ISIC2018_Task3_Training_GroundTruth.csv").write_text(
        "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\nISIC_0024306,0.0,1.0,0.0,0.0,0.0,0.0,0.0\nISIC_0024307,0.0,0.0,0.0,1.0,0.0,0.0,0.0\n"
    )
    (tmp_path / "ISIC2018_Task3_Training_LesionGroupings.csv").write_text(
        "image,lesion_id,diagnosis_confirm_type\nISIC_0024306,HAM_0000550,follow-up\nISIC_0024307,HAM_0003577,histopathology\n"
    )
    c = import_dataset("isic", tmp_path, allow_missing_images=True)
    assert c["diagnosis"].tolist() == ["nevus", "akiec"] and c["source_label"].tolist() == ["NV", "AKIEC"]
    assert c["lesion_id"].tolist() == ["HAM_0000550", "HAM_0003577"]
    assert c["diagnosis_confirm_type"].tolist() == ["follow-up", "histopathology"]


def test_bad_one_hot_row_and_empty_folder(tmp_path):
    (tmp_path / "ISIC2018_Task3_Training_GroundTruth.csv").write_text("image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\nISIC_1,1.0,1.0,0,0,0,0,0\n")
    with pytest.raises(DataError, match=r"ISIC_1.*2 classes set"):
        import_dataset("isic", tmp_path, allow_missing_images=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no cases found"):
        import_dataset("isic", empty)


def test_isic_archive_hiba_metadata(shared_data):
    cases = import_dataset("isic_archive", shared_data / "hiba_isic_metadata", allow_missing_images=True)
    assert len(cases) == 1484
    assert cases["diagnosis"].value_counts().to_dict() == {"nevus": 602, "bcc": 340, "melanoma": 253, "scc": 158, "bkl": 68, "akiec": 63}
    assert cases["fitzpatrick"].value_counts().to_dict() == {2: 992, 3: 256, 1: 107, 4: 24}
    assert cases["fitzpatrick"].isna().sum() == 105
    assert cases["modality"].value_counts().to_dict() == {"dermoscopic": 1175, "clinical": 309}
    assert set(cases["site"]) == {"Hospital Italiano de Buenos Aires"}


def test_isic_archive_refines_by_benign_malignant(tmp_path):
    (tmp_path / "metadata.csv").write_text(
        "isic_id,diagnosis,benign_malignant,fitzpatrick_skin_type,image_type\n"
        "ISIC_1,,malignant,V,dermoscopic\nISIC_2,cafe-au-lait macule,benign,,clinical: close-up\nISIC_3,something new,,VII,dermoscopic\n"
    )
    with pytest.raises(DataError, match="unknown label 'something new'.*no benign/malignant flag"):
        import_dataset("isic_archive", tmp_path, allow_missing_images=True)
    (tmp_path / "metadata.csv").write_text((tmp_path / "metadata.csv").read_text().replace("something new,,", "melanoma,,"))
    with pytest.raises(DataError, match="'VII' is not 1-6"):
        import_dataset("isic_archive", tmp_path, allow_missing_images=True)
    (tmp_path / "metadata.csv").write_text((tmp_path / "metadata.csv").read_text().replace("ISIC_3,melanoma,,VII,dermoscopic\n", ""))
    c = import_dataset("isic_archive", tmp_path, allow_missing_images=True)
    assert c["diagnosis"].tolist() == ["malignant_other", "benign_other"]
    assert c.loc[0, "fitzpatrick"] == 5 and c["fitzpatrick"].isna().tolist() == [False, True]
    assert c["modality"].tolist() == ["dermoscopic", "clinical"]


GT_2019 = "image,MEL,NV,BCC,AK,BKL,DF,VASC,SCC,UNK\nISIC_0000000,0.0,1.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\nISIC_0000001,1.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n"
MD_2019 = "image,age_approx,anatom_site_general,lesion_id,sex\nISIC_0000000,55.0,anterior torso,BCN_1,female\nISIC_0000001,30.0,,BCN_2,male\n"


@pytest.mark.parametrize("spoil", [
    lambda t: "\ufeff" + t,  # a BOM (Excel's "CSV UTF-8")
    lambda t: t.replace(",", ";"),  # semicolons (Excel in many locales)
    lambda t: t.replace("image,", "image ,", 1),  # a space after a column name
], ids=["bom", "semicolons", "header-space"])
def test_ground_truth_and_metadata_csvs_saved_by_other_tools_are_read(tmp_path, spoil):
    (tmp_path / "ISIC_2019_Training_GroundTruth.csv").write_text(spoil(GT_2019), encoding="utf-8")
    (tmp_path / "ISIC_2019_Training_Metadata.csv").write_text(spoil(MD_2019), encoding="utf-8")
    c = import_dataset("isic", tmp_path, allow_missing_images=True)
    assert c["diagnosis"].tolist() == ["nevus", "melanoma"]  # was: every case unlabelled
    assert c["lesion_id"].tolist() == ["BCN_1", "BCN_2"] and c["age"].tolist() == [55.0, 30.0]


def test_latin1_csv_and_archive_root(tmp_path):
    (tmp_path / "ISIC_2019_Training_GroundTruth.csv").write_text(GT_2019)
    (tmp_path / "notes.csv").write_bytes("patient,comment\n1,lésion pigmentée\n".encode("latin-1"))  # was: UnicodeDecodeError
    (tmp_path / "ISIC_2019_Training_Metadata.csv").write_bytes(MD_2019.replace("anterior torso", "tórax").encode("cp1252"))
    c = import_dataset("isic", tmp_path, allow_missing_images=True)
    assert c["anatom_site"].fillna("-").tolist() == ["tórax", "-"] and c["diagnosis"].tolist() == ["nevus", "melanoma"]
    import zipfile

    with zipfile.ZipFile(tmp_path / "isic.zip", "w") as z:
        z.writestr("ISIC_2019_Training_GroundTruth.csv", GT_2019)
    for fmt in ("isic", "ham10000", "csv"):
        with pytest.raises(DataError, match=r"isic\.zip is an archive; unpack it"):
            import_dataset(fmt, tmp_path / "isic.zip")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DataError, match=r"notes\.txt is neither a folder nor a CSV"):
        import_dataset("isic", tmp_path / "notes.txt")


def test_isic_archive_mixed_old_and_new_exports(tmp_path):
    (tmp_path / "old.csv").write_text("isic_id,diagnosis,benign_malignant\nISIC_1,nevus,benign\nISIC_2,,malignant\n")
    (tmp_path / "new.csv").write_text("isic_id,diagnosis_1,diagnosis_2,diagnosis_3\nISIC_3,Malignant,Malignant melanocytic proliferations (Melanoma),Melanoma Invasive\nISIC_4,Benign,,\n")
    c = import_dataset("isic_archive", tmp_path, allow_missing_images=True).set_index("case_id")
    # was: one label column for both files, so the other file's rows became benign_other/unknown
    assert c["diagnosis"].to_dict() == {"ISIC_3": "melanoma", "ISIC_4": "benign_other", "ISIC_1": "nevus", "ISIC_2": "malignant_other"}
    assert c.loc["ISIC_3", "source_label"] == "Melanoma Invasive"
