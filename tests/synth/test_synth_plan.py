"""Planning: exact class mix, patient-grouped splits, planted ugly ducklings, preset rules."""

import numpy as np
import pandas as pd

from dermkit.cases import validate_cases
from dermkit.imaging.ita import ita_category, ita_to_fitzpatrick
from dermkit.synth import CaseParams, plan_cases


def test_exact_class_mix_and_valid_case_table():
    plan = plan_cases("balanced", n=700, size=64, seed=0)
    assert plan["diagnosis"].value_counts().tolist() == [100] * 7
    validate_cases(plan.assign(image_path="x.png"))
    assert plan["case_id"].is_unique


def test_isic_like_follows_ham10000_imbalance():
    plan = plan_cases("isic-like", n=1000, seed=0)
    share = plan["diagnosis"].value_counts(normalize=True)
    assert abs(share["nevus"] - 6705 / 10015) < 0.002 and share.idxmin() in ("df", "vasc")
    assert (plan["skin_tone"].isin(["very_light", "light"])).mean() > 0.7


def test_splits_are_patient_grouped_and_reproducible():
    a = plan_cases("isic-like", n=400, seed=5)
    b = plan_cases("isic-like", n=400, seed=5)
    c = plan_cases("isic-like", n=400, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a["synth_params"].equals(c["synth_params"])
    assert a.groupby("patient_id")["split"].nunique().max() == 1
    assert set(a["split"]) == {"train", "val", "test"}


def test_tone_columns_follow_the_true_ita():
    plan = plan_cases("balanced", n=120, seed=1)
    assert (plan["skin_tone"] == plan["ita"].map(ita_category)).all()
    assert (plan["fitzpatrick"] == plan["ita"].map(ita_to_fitzpatrick)).all()
    assert set(plan["skin_tone"]) == {"very_light", "light", "intermediate", "tan", "brown", "dark"}
    assert plan.groupby("patient_id")["ita"].nunique().max() == 1  # one skin per patient


def test_ugly_duckling_is_the_odd_one_among_similar_nevi():
    plan = plan_cases("isic-like", n=600, seed=2, ugly_duckling_rate=1.0, lesions_per_patient=(3, 4))
    ducks = plan[plan["ugly_duckling"]]
    assert len(ducks) > 20
    for pid in ducks["patient_id"].unique()[:20]:
        rows = plan[plan["patient_id"] == pid]
        others = rows[~rows["ugly_duckling"]]
        assert rows["ugly_duckling"].sum() == 1 and len(rows) >= 3
        assert (others["diagnosis"] == "nevus").all() and others["style"].nunique() == 1
        assert rows.loc[rows["ugly_duckling"], "diagnosis"].iloc[0] != "nevus"
    none = plan_cases("isic-like", n=300, seed=2, ugly_duckling_rate=0.0)
    assert not none["ugly_duckling"].any()


def test_spurious_ruler_correlates_with_melanoma_in_train_only():
    plan = plan_cases("spurious-ruler", n=4000, seed=0)
    plan["ruler"] = plan["artifacts"].str.contains("ruler")
    rate = plan.groupby([plan["split"] == "test", "diagnosis"])["ruler"].mean()
    assert rate[(False, "melanoma")] > 0.85 and rate[(False, "nevus")] < 0.15
    # in test both classes get rulers at the plain rate 0.5: equal within three binomial standard errors
    n_test = plan[plan["split"] == "test"]["diagnosis"].value_counts()
    se = np.sqrt(0.25 / n_test["melanoma"] + 0.25 / n_test["nevus"])
    assert abs(rate[(True, "melanoma")] - rate[(True, "nevus")]) < 3 * se


def test_skin_tone_shift_trains_on_light_skin_tests_on_all():
    plan = plan_cases("skin-tone-shift", n=1000, seed=0)
    train = plan[plan["split"] != "test"]
    assert set(train["skin_tone"]) <= {"very_light", "light"}
    assert plan.loc[plan["split"] == "test", "skin_tone"].nunique() == 6


def test_params_round_trip_and_artifact_rates():
    plan = plan_cases("balanced", n=500, seed=3, hair_rate=1.0, ink_rate=0.0)
    params = [CaseParams.from_json(p) for p in plan["synth_params"]]
    assert all("hair" in p.artifacts and "ink" not in p.artifacts for p in params)
    assert np.allclose([p.ita for p in params], plan["ita"])
    mel = plan.loc[plan["diagnosis"] == "melanoma", ["asymmetry", "border_irregularity"]].mean()
    nev = plan.loc[plan["diagnosis"] == "nevus", ["asymmetry", "border_irregularity"]].mean()
    assert (mel > nev + 0.3).all()
