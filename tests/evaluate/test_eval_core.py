"""evaluate(): the documented keys, values equal to the metrics computed directly, clear errors."""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm

from dermkit.errors import DataError
from dermkit.evaluate import evaluate
from dermkit.evaluate.groups import SmallGroupWarning
from dermkit.evaluate.report import jsonable

REQUIRED = ("balanced_accuracy", "accuracy", "auc_macro", "auc_per_class", "average_precision_macro", "ece")


def run(preds, cases, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)
        return evaluate(preds, cases, **kw)


def test_keys_and_overall_values(tables):
    preds, cases = tables
    r = run(preds, cases, by=["skin_tone", "site"], n_boot=20)
    for key in REQUIRED:
        assert key in r["overall"]
    y = cases["diagnosis"].map({c: i for i, c in enumerate(r["classes"])}).to_numpy()
    p = preds[[f"prob_{c}" for c in r["classes"]]].to_numpy()
    assert r["overall"]["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, p.argmax(1)))
    assert r["overall"]["auc_macro"] == pytest.approx(skm.roc_auc_score(y, p, multi_class="ovr"))
    assert set(r["groups"]) == {"skin_tone", "site"}
    for col in ("skin_tone", "site"):
        assert set(r["fairness"][col]) >= {"eod", "nar", "worst_group_accuracy"}
        for value, g in r["groups"][col].items():
            for key in REQUIRED:
                assert key in g
            sub = (cases[col] == value).to_numpy()
            assert g["n"] == sub.sum()
            assert g["accuracy"] == pytest.approx(skm.accuracy_score(y[sub], p[sub].argmax(1)))
            lo, hi = g["ci"]["accuracy"]
            assert lo <= g["accuracy"] <= hi


def test_fairness_matches_group_accuracies(tables):
    preds, cases = tables
    r = run(preds, cases, by=["skin_tone"], n_boot=0)
    accs = {v: g["accuracy"] for v, g in r["groups"]["skin_tone"].items()}
    f = r["fairness"]["skin_tone"]
    assert f["worst_group_accuracy"] == min(accs.values()) and f["worst_group"] == min(accs, key=accs.get)
    assert f["nar"] == pytest.approx((max(accs.values()) - min(accs.values())) / np.mean(list(accs.values())))
    tprs = {c: [g["sensitivity_per_class"][c] for g in r["groups"]["skin_tone"].values()] for c in r["classes"]}
    assert f["eod"] == pytest.approx(max(np.nanmax(v) - np.nanmin(v) for v in tprs.values()))
    assert f["eod_class"] in r["classes"]


def test_same_seed_same_result_and_small_group_warning(tables):
    preds, cases = tables
    with pytest.warns(SmallGroupWarning, match="skin_tone"):
        a = evaluate(preds, cases, by=["skin_tone"], n_boot=30, seed=1)
    b = run(preds, cases, by=["skin_tone"], n_boot=30, seed=1)
    assert jsonable(a["groups"]) == jsonable(b["groups"])  # NaN-safe comparison
    assert a["warnings"] and "dark" in a["warnings"][0]


def test_derived_group_columns(tables):
    preds, cases = tables
    r = run(preds, cases, by=["age_bin", "artifact"], n_boot=0)
    assert set(r["groups"]) == {"age_bin", "artifact_hair", "artifact_ruler"}
    assert sum(g["n"] for g in r["groups"]["age_bin"].values()) == len(cases)
    assert set(r["groups"]["artifact_ruler"]) == {"yes", "no"}


def test_unknown_by_column(tables):
    preds, cases = tables
    with pytest.raises(DataError, match="cannot group by 'skintone'.*skin_tone"):
        evaluate(preds, cases, by=["skintone"])


def test_group_of_size_one(tables):
    preds, cases = tables
    cases = cases.copy()
    cases.loc[0, "site"] = "lonely"
    r = run(preds, cases, by=["site"], n_boot=10)
    g = r["groups"]["site"]["lonely"]
    assert g["n"] == 1 and g["small"] and g["accuracy"] in (0.0, 1.0)
    assert np.isnan(g["auc_macro"]) and np.isnan(g["ci"]["auc_macro"][0])
    assert "lonely" in r["fairness"]["site"]["small_groups"]


def test_by_one_column_name_string(tables):
    preds, cases = tables
    r = run(preds, cases, by="skin_tone", n_boot=0)
    assert list(r["groups"]) == ["skin_tone"]
    assert {k: g["n"] for k, g in r["groups"]["skin_tone"].items()} == cases["skin_tone"].value_counts().to_dict()


def test_tables_may_be_given_as_their_files(tables, tmp_path):
    from dermkit.cases import save_cases

    preds, cases = tables
    preds.to_csv(tmp_path / "preds.csv", index=False)
    save_cases(cases, tmp_path / "cases.parquet")
    from_files = run(str(tmp_path / "preds.csv"), tmp_path / "cases.parquet", by="skin_tone", n_boot=0)  # was an AttributeError on str
    assert jsonable(from_files) == jsonable(run(preds, cases, by="skin_tone", n_boot=0))
    preds.drop(columns="case_id").to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match=r"bad.csv: no case_id column"):  # the file is named, not "predictions"
        run(tmp_path / "bad.csv", cases)
