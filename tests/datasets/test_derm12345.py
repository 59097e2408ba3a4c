from dermkit.datasets import import_dataset

HEADER = "image_id,split,super_class,malignancy,main_class_1,main_class_2,sub_class,label\n"


def test_published_train_and_test_files(tmp_path):
    (tmp_path / "derm12345_train_part_1" / "mel").mkdir(parents=True)
    (tmp_path / "derm12345_train_part_1" / "mel" / "img_a.jpg").write_bytes(b"x")
    (tmp_path / "derm12345_metadata_train.csv").write_text(
        HEADER
        + "img_a,train,melanocytic malignant,malignant,melanoma,melanoma,melanoma,mel\n"
        + "img_b,train,melanocytic benign,benign,banal compound,compound,compound blue nevus,cb\n"
        + "img_c,train,nonmelanocytic benign,benign,keratinocytic,horn,cutaneous horn,ch\n"
    )
    (tmp_path / "derm12345_metadata_test.csv").write_text(HEADER + "img_d,test,nonmelanocytic malignant,malignant,dermal,dfsp,dfsp,dfsp\n")
    c = import_dataset("derm12345", tmp_path, allow_missing_images=True).set_index("case_id")
    assert c["diagnosis"].to_dict() == {"img_d": "malignant_other", "img_a": "melanoma", "img_b": "nevus", "img_c": "benign_other"}
    assert c["split"].to_dict() == {"img_d": "test", "img_a": "train", "img_b": "train", "img_c": "train"}
    assert c.loc["img_a", "image_path"].endswith("derm12345_train_part_1/mel/img_a.jpg")
    assert c.loc["img_a", "sub_class"] == "melanoma"
