import pytest

from dermkit.datasets import import_dataset
from dermkit.errors import DataError


def test_real_metadata(shared_data):
    cases = import_dataset("ddi", shared_data / "ddi", allow_missing_images=True)
    assert len(cases) == 653
    assert cases["ddi_skin_tone"].value_counts().to_dict() == {34: 241, 12: 208, 56: 204}
    assert cases["fitzpatrick_group"].value_counts().to_dict() == {"III-IV": 241, "I-II": 208, "V-VI": 204}
    assert cases["ddi_malignant"].sum() == 170
    # the taxonomy agrees with DDI's biopsy flag except for actinic keratosis (malignant here, after HAM10000)
    differ = cases.loc[cases["malignant"] != cases["ddi_malignant"], "source_label"]
    assert set(differ) == {"actinic-keratosis"} and len(differ) == 4
    assert (cases["diagnosis"] == "nevus").sum() == 119 + 16 + 6 + 1  # nevi, dysplastic, blue, pigmented spindle cell
    assert cases.set_index("case_id").loc["000001", "diagnosis"] == "melanoma"


def test_bad_skin_tone(tmp_path):
    (tmp_path / "ddi_metadata.csv").write_text(",DDI_ID,DDI_file,skin_tone,malignant,disease\n0,1,000001.png,78,TRUE,melanoma\n")
    with pytest.raises(DataError, match="skin_tone '78' of 000001.png"):
        import_dataset("ddi", tmp_path, allow_missing_images=True)
