"""Joining predictions to cases: the happy path and every bad input named clearly."""

import numpy as np
import pandas as pd
import pytest

from dermkit.errors import DataError
from dermkit.evaluate.predictions import join_predictions, prediction_classes, read_predictions


def test_join_orders_by_predictions_and_maps_labels(tables):
    preds, cases = tables
    shuffled = preds.sample(frac=1.0, random_state=0).reset_index(drop=True)
    j = join_predictions(shuffled, cases)
    assert j.classes == ["melanoma", "nevus", "bcc", "bkl"]
    assert j.table["case_id"].tolist() == shuffled["case_id"].tolist()
    truth = cases.set_index("case_id").loc[shuffled["case_id"], "diagnosis"].tolist()
    assert [j.classes[i] for i in j.y_true] == truth
    assert np.allclose(j.probs, shuffled[[f"prob_{c}" for c in j.classes]].to_numpy())
    assert (j.y_pred == j.probs.argmax(1)).all()


def test_pred_column_is_used_when_given(tables):
    preds, cases = tables
    preds = preds.copy()
    preds.loc[0, "pred"] = "bkl" if preds.loc[0, "pred"] != "bkl" else "nevus"
    j = join_predictions(preds, cases)
    assert j.classes[j.y_pred[0]] == preds.loc[0, "pred"]
    assert j.y_pred[0] != j.probs[0].argmax()


def test_unmatched_case_ids(tables):
    preds, cases = tables
    with pytest.raises(DataError, match=r"2 of 200 case ids are not in cases \(e.g. 'x1', 'x2'\)"):
        join_predictions(preds.assign(case_id=["x1", "x2", *preds["case_id"][2:]]), cases)


def test_probabilities_not_summing_to_one(tables):
    preds, cases = tables
    bad = preds.copy()
    bad.loc[3, "prob_nevus"] += 0.2
    with pytest.raises(DataError, match=r"do not sum to 1 \(case 'c3' sums to 1.2000\)"):
        join_predictions(bad, cases)
    logits = preds.copy()
    logits["prob_bcc"] = 3.0
    with pytest.raises(DataError, match="must be in \\[0, 1\\]; case 'c0'"):
        join_predictions(logits, cases)


def test_nan_probabilities(tables):
    preds, cases = tables
    bad = preds.copy()
    bad.loc[5, "prob_melanoma"] = np.nan
    with pytest.raises(DataError, match="1 row.*NaN.*'c5'"):
        join_predictions(bad, cases)


def test_other_bad_inputs(tables):
    preds, cases = tables
    with pytest.raises(DataError, match="appears more than once"):
        join_predictions(pd.concat([preds, preds.head(1)]), cases)
    with pytest.raises(DataError, match="no case_id column"):
        join_predictions(preds.drop(columns="case_id"), cases)
    with pytest.raises(DataError, match="at least two"):
        prediction_classes(preds[["case_id", "prob_nevus"]])
    with pytest.raises(DataError, match="pred 'dog' of case 'c0'"):
        join_predictions(preds.assign(pred=["dog", *preds["pred"][1:]]), cases)
    two = preds[["case_id", "prob_melanoma"]].assign(prob_nevus=1 - preds["prob_melanoma"])
    with pytest.raises(DataError, match="diagnosis '(bcc|bkl)' of case .* not among the predicted classes melanoma, nevus"):
        join_predictions(two, cases)


def test_unlabelled_and_split(tables):
    preds, cases = tables
    cases = cases.copy()
    cases.loc[0, "diagnosis"] = None
    cases.loc[1, "diagnosis"] = "unknown"
    j = join_predictions(preds, cases)
    assert len(j.y_true) == 198 and "left out 2" in j.notes[0]
    assert not any("no prediction" in n for n in j.notes)
    j = join_predictions(preds.iloc[5:], cases)  # 5 cases never predicted: said, not silently dropped
    assert j.notes[0].startswith("5 of 200 cases of ") and "have no prediction" in j.notes[0]
    j = join_predictions(preds, cases, split="test")
    assert set(j.table["split"]) == {"test"}
    with pytest.raises(DataError, match="no case has split 'test'; splits there: train"):  # said "no prediction left"
        join_predictions(preds, cases.assign(split="train"), split="test")
    with pytest.raises(DataError, match="no prediction left"):
        join_predictions(preds[cases["split"] == "train"], cases, split="test")


def test_read_predictions(tmp_path, tables):
    preds, _ = tables
    preds.to_csv(tmp_path / "p.csv", index=False)
    back = read_predictions(tmp_path / "p.csv")
    pd.testing.assert_frame_equal(back, preds, check_dtype=False)
    with pytest.raises(DataError, match="not found"):
        read_predictions(tmp_path / "absent.parquet")


def test_duplicated_case_id_in_the_cases_is_named(tables):
    preds, cases = tables
    with pytest.raises(DataError, match=r"^cases: case_id 'c3' appears more than once \(1 duplicate row\(s\)\)$"):
        join_predictions(preds, pd.concat([cases, cases.iloc[[3]]]))


def test_the_case_table_is_the_ground_truth_when_both_tables_have_a_column(tables):
    preds, cases = tables
    cheat = preds.assign(diagnosis=preds["pred"], split="test", skin_tone="dark")  # e.g. predictions saved with case columns
    j = join_predictions(cheat, cases, split="test")
    truth = cases.set_index("case_id").loc[j.table["case_id"], "diagnosis"].tolist()
    assert [j.classes[i] for i in j.y_true] == truth  # was the predictions' own pred: every case scored correct
    assert len(j.table) == int((cases["split"] == "test").sum()) and (j.table["skin_tone"] != "dark").any()
    assert any("also has column(s) diagnosis, split, skin_tone: ground truth, split and groups are read from cases" in n for n in j.notes)


def test_misnamed_probability_columns_and_absent_splits_are_named(tables):
    preds, cases = tables
    with pytest.raises(DataError, match=r"column 'Prob_melanoma' looks like a probability column; they are named prob_<class>, in lower case"):
        join_predictions(preds.rename(columns={"prob_melanoma": "Prob_melanoma"}), cases)  # said the rest did not sum to 1
    with pytest.raises(DataError, match=r"cases: no case has split 'TEST'; splits there: test, train"):  # said no prediction was left
        join_predictions(preds, cases, split="TEST")
