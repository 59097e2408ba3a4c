import warnings

import numpy as np
import pandas as pd
import pytest

from dermkit.cases import artifact_flags, group_keys, load_cases, save_cases, split_cases, summarize, validate_cases
from dermkit.errors import ConfigError, DataError


def test_validate_fills_malignant_and_coerces(tiny_cases):
    tiny_cases["fitzpatrick"] = ["3"] * 12
    tiny_cases["sex"] = ["M", "f"] * 6
    df = validate_cases(tiny_cases)
    assert df["malignant"].tolist() == [False, True, True] * 4
    assert df["fitzpatrick"].dtype == "Int64" and df["fitzpatrick"].iloc[0] == 3
    assert df["sex"].tolist()[:2] == ["male", "female"]


def test_sex_values_it_cannot_read_are_reported(tiny_cases):
    from dermkit.cases import UnreadSexWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # HAM10000's "unknown" and blanks are plainly missing: no warning
        assert validate_cases(tiny_cases.assign(sex=["unknown", " ", None, "Male"] * 3))["sex"].isna().sum() == 9
    with pytest.warns(UnreadSexWarning, match=r"case table: sex 'man' \(8 case\(s\)\) is not male/female or m/f; read as missing"):
        df = validate_cases(tiny_cases.assign(sex=["man", "woman", "F"] * 4), source="case table")
    assert df["sex"].isna().sum() == 8 and (df["sex"].dropna() == "female").all()


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.drop(columns="diagnosis"), "missing required column.*diagnosis"),
        (lambda d: d.assign(case_id=["c0"] * 12), "duplicated case_id 'c0'"),
        (lambda d: d.assign(diagnosis=["psoriasis_x"] * 12), "unknown diagnosis 'psoriasis_x' for case 'c0'"),
        (lambda d: d.assign(fitzpatrick=[7] * 12), "fitzpatrick must be 1-6"),
        (lambda d: d.assign(fitzpatrick=[3] * 11 + [3.4]), r"column 'fitzpatrick' cannot be read as Int64: 3.4 in row 11 is not a whole number"),  # was rounded to 3
        (lambda d: d.assign(split=["training"] * 12), "unknown split 'training'"),
        (lambda d: d.assign(age=["old"] * 12), "column 'age' cannot be read"),
    ],
)
def test_validation_errors_name_the_fault(tiny_cases, mutate, message):
    with pytest.raises(DataError, match=message):
        validate_cases(mutate(tiny_cases), source="t.csv")


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_save_load_roundtrip_resolves_relative_paths(tmp_path, tiny_cases, suffix):
    tiny_cases["image_path"] = [f"img_{i}.png" for i in range(12)]
    tiny_cases["fitzpatrick"] = [1, 2, 3, 4, 5, 6] * 2
    path = save_cases(tiny_cases, tmp_path / f"t{suffix}")
    back = load_cases(path)
    assert back["case_id"].tolist() == tiny_cases["case_id"].tolist()
    assert back["fitzpatrick"].tolist() == [1, 2, 3, 4, 5, 6] * 2
    assert back["image_path"].iloc[0] == str(tmp_path / "img_0.png")
    assert not list(tmp_path.glob(".*tmp*")), "no temporary file left behind"


def test_failed_save_leaves_previous_file_intact(tmp_path, tiny_cases):
    path = save_cases(tiny_cases, tmp_path / "t.parquet")
    before = path.read_bytes()
    with pytest.raises(DataError):
        save_cases(tiny_cases.assign(case_id="same"), path)
    assert path.read_bytes() == before


def test_load_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_cases(tmp_path / "nope.parquet")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(DataError, match="cannot read case table"):
        load_cases(bad)


def test_ids_are_trimmed_so_one_lesion_stays_one_group(tiny_cases):
    spaced = tiny_cases.assign(lesion_id=["L1", "L1 ", " L1", "L2"] * 3, case_id=[f" {c}" for c in tiny_cases["case_id"]])
    out = validate_cases(spaced)
    assert set(out["lesion_id"]) == {"L1", "L2"} and out["case_id"].iloc[0] == "c0"  # a trailing space made another group
    with pytest.raises(DataError, match="empty case_id in row 0"):
        validate_cases(tiny_cases.assign(case_id=["  "] + list(tiny_cases["case_id"].iloc[1:])))


def test_summarize_by_one_column_name(tiny_cases):
    assert summarize(tiny_cases, by="diagnosis") == summarize(tiny_cases, by=["diagnosis"]) != {}  # was {}: letters


def test_load_cases_validates_a_dataframe_as_it_is(tiny_cases):
    loaded = load_cases(tiny_cases)  # was a TypeError from Path()
    assert loaded.equals(validate_cases(tiny_cases))
    with pytest.raises(DataError, match="my table: missing required column"):
        load_cases(tiny_cases.drop(columns="diagnosis"), source="my table")


def _many_cases(n_patients=200, per_patient=3, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(n_patients):
        dx = rng.choice(["nevus", "melanoma", "bcc", "df"], p=[0.6, 0.2, 0.15, 0.05])
        for k in range(per_patient):
            rows.append({"case_id": f"p{p}_{k}", "image_path": "x.png", "diagnosis": dx, "patient_id": f"p{p}"})
    return pd.DataFrame(rows)


def test_split_is_grouped_stratified_and_deterministic():
    df = _many_cases()
    a = split_cases(df, seed=3)
    b = split_cases(df, seed=3)
    c = split_cases(df, seed=4)
    assert a["split"].tolist() == b["split"].tolist()
    assert a["split"].tolist() != c["split"].tolist()
    assert a.groupby("patient_id")["split"].nunique().max() == 1, "a patient in two splits"
    shares = a["split"].value_counts(normalize=True)
    assert abs(shares["train"] - 0.7) < 0.05 and abs(shares["test"] - 0.15) < 0.05 and abs(shares["val"] - 0.15) < 0.05
    for dx, grp in a.groupby("diagnosis"):
        assert set(grp["split"]) == {"train", "val", "test"}, f"{dx} missing from a split"


def test_group_key_prefers_patient_then_lesion():
    df = pd.DataFrame({"case_id": ["a", "b", "c"], "lesion_id": ["L1", "L1", None], "patient_id": ["P", None, None]})
    assert group_keys(df).tolist() == ["patient_id:P", "patient_id:P", "c"]  # b is a's lesion, so a's patient's (was lesion_id:L1: another group)
    df = pd.DataFrame({"case_id": ["a", "b", "c", "d"], "lesion_id": ["L1", "L1", "L2", "L2"], "patient_id": ["P", "Q", "Q", "R"]})
    assert group_keys(df).tolist() == ["patient_id:P"] * 4  # P and Q share L1, Q and R share L2: one group


def test_split_rejects_bad_fractions():
    with pytest.raises(ConfigError, match="summing to 1"):
        split_cases(_many_cases(10), (0.5, 0.2, 0.2))


def test_artifact_flags_and_summary():
    df = pd.DataFrame({"case_id": ["a", "b"], "artifacts": ["hair;ruler", None], "diagnosis": ["nevus", None]})
    flags = artifact_flags(df)
    assert flags.to_dict("list") == {"artifact_hair": [True, False], "artifact_ruler": [True, False]}
    assert summarize(df, by=("diagnosis",)) == {"diagnosis": {"nevus": 1, "<none>": 1}}


def test_split_of_tiny_tables_is_an_error_or_a_split_never_a_raw_exception():
    for n in range(2, 12):
        df = pd.DataFrame({"case_id": [f"c{i}" for i in range(n)], "image_path": "x", "diagnosis": ["nevus"] * (n - 1) + ["df"], "patient_id": [f"p{i // 2}" for i in range(n)]})
        try:
            out = split_cases(df, seed=0)
        except DataError:
            continue
        assert out.groupby("patient_id")["split"].nunique().max() == 1


def _many_patients(n=400, patients=200, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "case_id": [f"C{i}" for i in range(n)],
        "image_path": [f"im/{i}.png" for i in range(n)],
        "diagnosis": rng.choice(["nevus", "melanoma", "bkl", "bcc"], n, p=[0.6, 0.2, 0.1, 0.1]),
        "patient_id": [f"P{v}" for v in rng.integers(0, patients, n)],
    })


@pytest.mark.parametrize("fractions", [(0.5, 0.1, 0.4), (0.2, 0.2, 0.6), (0.3, 0.5, 0.2), (0.7, 0.15, 0.15), (0.04, 0.0, 0.96)])
def test_split_shares_come_close_to_the_fractions_asked_for(fractions):
    out = split_cases(_many_patients(), fractions, seed=0)
    shares = out["split"].value_counts(normalize=True).reindex(["train", "val", "test"], fill_value=0.0).to_numpy()
    assert np.abs(shares - np.asarray(fractions)).max() < 0.04, shares  # one fold of two gave test 0.505 for 0.4 and 0.6
    assert out.groupby("patient_id")["split"].nunique().max() == 1


def test_small_tables_are_still_split_stratified():
    rows = [{"case_id": f"c{p}", "image_path": "x.png", "diagnosis": ["nevus", "melanoma"][p % 2], "patient_id": f"P{p}"} for p in range(12)]
    for seed in range(10):  # 1 of 7 folds needs 14 groups: the split fell back to an unstratified one (both test cases one class)
        out = split_cases(pd.DataFrame(rows), (0.85, 0.0, 0.15), seed=seed)
        assert sorted(out.loc[out["split"] == "test", "diagnosis"]) == ["melanoma", "nevus"], seed


def test_a_lesion_stays_in_one_split_when_only_some_rows_name_its_patient():
    rows = [{"case_id": f"L{l}_{k}", "image_path": "x.png", "diagnosis": ["nevus", "melanoma"][l % 2], "lesion_id": f"L{l}",
             "patient_id": f"P{l // 2}" if k < 2 else None} for l in range(60) for k in range(3)]
    out = split_cases(pd.DataFrame(rows), seed=0)
    assert out.groupby("lesion_id")["split"].nunique().max() == 1  # 30 of 60 lesions were in two splits
    assert out.groupby("patient_id")["split"].nunique().max() == 1 and set(out["split"]) == {"train", "val", "test"}


def test_too_few_patients_for_the_splits_are_named():
    two = _many_patients(12).assign(patient_id=["P1"] * 6 + ["P2"] * 6)
    with pytest.raises(DataError, match=r"cannot split 2 patient/lesion group\(s\) into 3 splits"):  # said "only 1 group"
        split_cases(two, seed=0)
    assert set(split_cases(two, (0.5, 0.0, 0.5), seed=0)["split"]) == {"train", "test"}
