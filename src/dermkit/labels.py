"""The canonical diagnosis taxonomy and the label maps of every supported source.

Every case table stores two labels: ``source_label`` (the data set's own words, verbatim) and
``diagnosis`` (one of :data:`DIAGNOSES`). Mapping goes through :func:`map_label`, which raises a
:class:`~dermkit.errors.DataError` naming the label and the source when a label has no mapping.

``akiec`` (actinic keratosis / intraepithelial carcinoma) is flagged malignant, following the
HAM10000 and ISIC 2018 convention that groups it with the keratinocyte cancers.

Example:
    >>> map_label("ham10000", "mel")
    'melanoma'
    >>> is_malignant("bcc")
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

import pandas as pd

from dermkit.errors import DataError


@dataclass(frozen=True)
class Diagnosis:
    """One canonical diagnosis: its name, malignancy (``None`` when undetermined) and family."""

    name: str
    malignant: bool | None
    family: str
    description: str


_TAXONOMY = [
    Diagnosis("melanoma", True, "melanocytic", "melanoma, invasive or in situ"),
    Diagnosis("nevus", False, "melanocytic", "melanocytic nevus"),
    Diagnosis("bcc", True, "keratinocytic", "basal cell carcinoma"),
    Diagnosis("scc", True, "keratinocytic", "squamous cell carcinoma"),
    Diagnosis("akiec", True, "keratinocytic", "actinic keratosis / intraepithelial carcinoma (Bowen's)"),
    Diagnosis("bkl", False, "keratinocytic", "benign keratosis: seborrheic keratosis, solar lentigo, lichenoid keratosis"),
    Diagnosis("df", False, "other_lesion", "dermatofibroma"),
    Diagnosis("vasc", False, "other_lesion", "vascular lesion: angioma, angiokeratoma, haemorrhage, pyogenic granuloma"),
    Diagnosis("benign_other", False, "other_lesion", "another benign lesion"),
    Diagnosis("malignant_other", True, "other_lesion", "another malignant lesion"),
    Diagnosis("non_neoplastic", False, "non_lesion", "inflammatory or other non-neoplastic skin condition"),
    Diagnosis("other_condition", None, "non_lesion", "another skin condition outside this taxonomy"),
    Diagnosis("mpox", False, "infectious", "monkeypox (mpox)"),
    Diagnosis("chickenpox", False, "infectious", "varicella"),
    Diagnosis("measles", False, "infectious", "measles"),
    Diagnosis("cowpox", False, "infectious", "cowpox"),
    Diagnosis("hfmd", False, "infectious", "hand, foot and mouth disease"),
    Diagnosis("healthy", False, "healthy", "healthy skin"),
    Diagnosis("unknown", None, "unknown", "diagnosis not given by the source"),
]

DIAGNOSES: dict[str, Diagnosis] = {d.name: d for d in _TAXONOMY}
"""Canonical diagnoses by name."""

LESION_CLASSES: tuple[str, ...] = ("melanoma", "nevus", "bcc", "akiec", "bkl", "df", "vasc", "scc")
"""The eight ISIC 2019 lesion classes, in a fixed order."""

HAM10000_CLASSES: tuple[str, ...] = ("akiec", "bcc", "bkl", "df", "melanoma", "nevus", "vasc")
"""HAM10000 / DermaMNIST's seven classes, in DermaMNIST's label order."""

_ISIC_ARCHIVE = {
    "melanoma": "melanoma",
    "melanoma metastasis": "melanoma",
    "melanoma in situ": "melanoma",
    "nevus": "nevus",
    "atypical melanocytic proliferation": "benign_other",
    "basal cell carcinoma": "bcc",
    "squamous cell carcinoma": "scc",
    "actinic keratosis": "akiec",
    "seborrheic keratosis": "bkl",
    "solar lentigo": "bkl",
    "lentigo nos": "bkl",
    "lentigo simplex": "bkl",
    "lichenoid keratosis": "bkl",
    "pigmented benign keratosis": "bkl",
    "dermatofibroma": "df",
    "vascular lesion": "vasc",
    "angioma": "vasc",
    "angiokeratoma": "vasc",
    "cafe au lait macule": "benign_other",
    "scar": "benign_other",
    "other": "unknown",
    "unknown": "unknown",
    # the ISIC archive's newer hierarchical names (diagnosis_3)
    "melanoma invasive": "melanoma",
    "melanoma, nos": "melanoma",
    "solar or actinic keratosis": "akiec",
    "squamous cell carcinoma in situ": "scc",
    "squamous cell carcinoma, invasive": "scc",
    "squamous cell carcinoma, nos": "scc",
    "lichen planus like keratosis": "bkl",
    "hemangioma": "vasc",
    "pyogenic granuloma": "vasc",
}

SOURCE_LABEL_MAPS: dict[str, dict[str, str]] = {
    "ham10000": {"akiec": "akiec", "bcc": "bcc", "bkl": "bkl", "df": "df", "mel": "melanoma", "nv": "nevus", "vasc": "vasc"},
    # ISIC 2016 Part 3 is melanoma detection: its "malignant" class is melanoma.
    "isic2016": {"benign": "benign_other", "malignant": "melanoma", "0": "benign_other", "1": "melanoma", "0.0": "benign_other", "1.0": "melanoma"},
    "isic2017": {"melanoma": "melanoma", "seborrheic keratosis": "bkl", "nevus": "nevus"},
    "isic2018": {"mel": "melanoma", "nv": "nevus", "bcc": "bcc", "akiec": "akiec", "bkl": "bkl", "df": "df", "vasc": "vasc"},
    "isic2019": {"mel": "melanoma", "nv": "nevus", "bcc": "bcc", "ak": "akiec", "bkl": "bkl", "df": "df", "vasc": "vasc", "scc": "scc", "unk": "unknown"},
    "isic2020": dict(_ISIC_ARCHIVE),
    "isic_archive": dict(_ISIC_ARCHIVE),
    "pad_ufes20": {"ack": "akiec", "bcc": "bcc", "mel": "melanoma", "nev": "nevus", "scc": "scc", "sek": "bkl"},
    "dermamnist": {
        "actinic keratoses and intraepithelial carcinoma": "akiec",
        "basal cell carcinoma": "bcc",
        "benign keratosis like lesions": "bkl",
        "dermatofibroma": "df",
        "melanoma": "melanoma",
        "melanocytic nevi": "nevus",
        "vascular lesions": "vasc",
    },
    "bcn20000": {"mel": "melanoma", "nv": "nevus", "bcc": "bcc", "ak": "akiec", "bkl": "bkl", "df": "df", "vasc": "vasc", "scc": "scc"},
    # DDI: the ISIC-class diseases; every other disease falls back on DDI's own malignant flag.
    "ddi": {
        **dict.fromkeys(["melanocytic nevi", "dysplastic nevus", "blue nevus", "pigmented spindle cell nevus of reed"], "nevus"),
        **dict.fromkeys(["melanoma", "melanoma in situ", "melanoma acral lentiginous", "nodular melanoma (nm)"], "melanoma"),
        **dict.fromkeys(["basal cell carcinoma", "basal cell carcinoma nodular", "basal cell carcinoma superficial"], "bcc"),
        **dict.fromkeys(["squamous cell carcinoma", "squamous cell carcinoma in situ", "squamous cell carcinoma keratoacanthoma"], "scc"),
        "actinic keratosis": "akiec",
        **dict.fromkeys(["seborrheic keratosis", "seborrheic keratosis irritated", "solar lentigo", "benign keratosis", "lichenoid keratosis"], "bkl"),
        "dermatofibroma": "df",
        **dict.fromkeys(["angioma", "pyogenic granuloma", "arteriovenous hemangioma", "glomangioma"], "vasc"),
    },
    # Fitzpatrick17k: the lesion conditions; the rest fall back on its three_partition_label.
    "fitzpatrick17k": {
        **dict.fromkeys(["melanoma", "malignant melanoma", "superficial spreading melanoma ssm", "lentigo maligna"], "melanoma"),
        **dict.fromkeys(["basal cell carcinoma", "basal cell carcinoma morpheiform", "solid cystic basal cell carcinoma"], "bcc"),
        "squamous cell carcinoma": "scc",
        "actinic keratosis": "akiec",
        "seborrheic keratosis": "bkl",
        "dermatofibroma": "df",
        **dict.fromkeys(["nevocytic nevus", "congenital nevus", "halo nevus"], "nevus"),
        **dict.fromkeys(["pyogenic granuloma", "granuloma pyogenic"], "vasc"),
    },
    # DERM12345 sub-class codes (Yilmaz et al. 2024); "ch" (cutaneous horn) falls back on its malignancy column.
    "derm12345": {
        **dict.fromkeys(["acb", "cb", "ccb", "mcb", "bdb", "db", "ajb", "cjb", "jb", "acd", "cd", "ccd", "ajd", "jd", "srjd", "rd"], "nevus"),
        **dict.fromkeys(["isl", "ls", "sl", "lk", "sk"], "bkl"),
        "df": "df",
        **dict.fromkeys(["ha", "la", "pg", "angk", "sa"], "vasc"),
        **dict.fromkeys(["ak", "bd"], "akiec"),
        **dict.fromkeys(["alm", "anm", "lm", "lmm", "mel"], "melanoma"),
        "bcc": "bcc",
        "scc": "scc",
        **dict.fromkeys(["mpd", "dfsp", "ks"], "malignant_other"),
    },
    # SCIN: lesion conditions and the common inflammatory ones; others are other_condition.
    "scin": {
        "melanoma": "melanoma",
        "melanocytic nevus": "nevus",
        "basal cell carcinoma": "bcc",
        **dict.fromkeys(["scc/sccis", "squamous cell carcinoma"], "scc"),
        "actinic keratosis": "akiec",
        **dict.fromkeys(["seborrheic keratosis", "sk/isk"], "bkl"),
        "dermatofibroma": "df",
        **dict.fromkeys([
            "eczema", "allergic contact dermatitis", "irritant contact dermatitis", "psoriasis", "urticaria",
            "folliculitis", "acne", "insect bite", "drug rash", "seborrheic dermatitis", "lichen planus/lichenoid eruption",
            "pityriasis rosea", "rosacea", "stasis dermatitis", "prurigo nodularis",
        ], "non_neoplastic"),
    },
    "msld": {"mpox": "mpox", "monkeypox": "mpox", "chickenpox": "chickenpox", "measles": "measles", "cowpox": "cowpox", "hfmd": "hfmd", "healthy": "healthy"},
}
"""Per-source maps from normalised source labels (see :func:`normalise_label`) to canonical names."""


def normalise_label(label: object) -> str:
    """Lower-case a label and fold ``_``, ``-`` and runs of spaces to one space."""
    return re.sub(r"[\s_\-]+", " ", str(label).strip().lower()).strip()


def register_label_map(source: str, mapping: Mapping[str, str]) -> None:
    """Add (or extend) the label map of ``source``; every target must be a canonical diagnosis."""
    bad = sorted({v for v in mapping.values() if v not in DIAGNOSES})
    if bad:
        raise DataError(f"label map for {source!r} targets unknown diagnoses: {', '.join(bad)}")
    SOURCE_LABEL_MAPS.setdefault(source, {}).update({normalise_label(k): v for k, v in mapping.items()})


def map_label(source: str, label: object, fallback: str | None = None) -> str:
    """Map one source label to its canonical diagnosis.

    ``fallback`` (a canonical name) is used for labels the map lacks; without it an unmapped
    label raises :class:`DataError` naming the label and the source.
    """
    if source not in SOURCE_LABEL_MAPS:
        raise DataError(f"no label map for source {source!r}; known: {', '.join(sorted(SOURCE_LABEL_MAPS))}")
    key = normalise_label(label)
    found = SOURCE_LABEL_MAPS[source].get(key)
    if found is not None:
        return found
    if fallback is not None:
        if fallback not in DIAGNOSES:
            raise DataError(f"fallback {fallback!r} is not a canonical diagnosis")
        return fallback
    raise DataError(f"unknown label {str(label)!r} for source {source!r}")


def map_labels(source: str, labels: Iterable[object], fallback: str | None = None) -> list[str]:
    """Map many labels; the error for an unmapped one lists every distinct unmapped label."""
    values = list(labels)
    table = SOURCE_LABEL_MAPS.get(source)
    if table is None:
        return [map_label(source, v, fallback) for v in values]
    if fallback is None:
        missing = sorted({str(v) for v in values if normalise_label(v) not in table})
        if missing:
            shown = ", ".join(repr(m) for m in missing[:10])
            more = f" (+{len(missing) - 10} more)" if len(missing) > 10 else ""
            raise DataError(f"unknown label(s) for source {source!r}: {shown}{more}")
    return [map_label(source, v, fallback) for v in values]


def is_malignant(diagnosis: str) -> bool | None:
    """Malignancy of a canonical diagnosis (``None`` where the taxonomy cannot say)."""
    try:
        return DIAGNOSES[diagnosis].malignant
    except KeyError:
        raise DataError(f"unknown diagnosis {diagnosis!r}; known: {', '.join(DIAGNOSES)}") from None


def malignant_column(diagnoses: pd.Series) -> pd.Series:
    """A nullable boolean column of malignancy for a column of canonical diagnoses."""
    values = [None if pd.isna(d) else is_malignant(d) for d in diagnoses]
    return pd.Series(values, index=diagnoses.index, dtype="boolean")
