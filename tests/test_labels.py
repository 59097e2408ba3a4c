import pytest

from dermkit.errors import DataError
from dermkit.labels import DIAGNOSES, SOURCE_LABEL_MAPS, is_malignant, map_label, map_labels, normalise_label, register_label_map


def test_every_map_targets_canonical_names():
    for source, mapping in SOURCE_LABEL_MAPS.items():
        assert set(mapping.values()) <= set(DIAGNOSES), source


def test_required_taxonomy_and_malignancy():
    for name in ["melanoma", "nevus", "bcc", "akiec", "bkl", "df", "vasc", "scc", "mpox", "chickenpox", "measles", "cowpox", "hfmd", "healthy"]:
        assert name in DIAGNOSES
    assert is_malignant("melanoma") and is_malignant("bcc") and is_malignant("scc")
    assert not is_malignant("nevus") and not is_malignant("mpox")
    assert is_malignant("unknown") is None


def test_normalisation_makes_spelling_variants_equal():
    assert normalise_label("Seborrheic_Keratosis") == normalise_label("seborrheic-keratosis") == "seborrheic keratosis"
    assert map_label("isic2017", "seborrheic_keratosis") == "bkl"
    assert map_label("pad_ufes20", "SEK") == "bkl"
    assert map_label("isic2019", "AK") == "akiec"


def test_unmapped_label_names_label_and_source():
    with pytest.raises(DataError, match=r"'psoriasis'.*'ham10000'"):
        map_label("ham10000", "psoriasis")
    with pytest.raises(DataError, match="'zzz', 'zzz2'"):
        map_labels("ham10000", ["mel", "zzz", "zzz2"])
    assert map_label("ham10000", "psoriasis", fallback="other_condition") == "other_condition"


def test_register_rejects_non_canonical_targets():
    with pytest.raises(DataError, match="nonsense"):
        register_label_map("test_source", {"x": "nonsense"})
