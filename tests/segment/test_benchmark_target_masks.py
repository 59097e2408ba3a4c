"""The target-masks segmentation benchmark: its HAM10000 split, its training sets, its tables, and a smoke run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def test_ham_split_keeps_each_lesion_on_one_side_and_every_diagnosis_on_both(shared_data):
    import segmentation_target_masks as bench
    from dermkit.datasets import import_dataset

    ham = import_dataset("ham10000", shared_data / "ham10000_256_subset")
    train, test = bench.split_ham(ham, 0.5, seed=0)
    assert len(train) + len(test) == len(ham) == 1007
    assert not set(train["lesion_id"]) & set(test["lesion_id"])
    assert set(train["diagnosis"]) == set(test["diagnosis"]) == set(ham["diagnosis"])
    assert 0.4 < len(train) / len(ham) < 0.6
    assert "split" not in test.columns and set(train["split"]) == {"train"}
    again, _ = bench.split_ham(ham, 0.5, seed=0)
    other, _ = bench.split_ham(ham, 0.5, seed=1)
    assert list(again["case_id"]) == list(train["case_id"]) and set(other["case_id"]) != set(train["case_id"])


def test_training_sets_give_each_model_its_data():
    import segmentation_target_masks as bench

    isic = pd.DataFrame({"case_id": ["i1", "i2"], "split": "train"})
    ham = pd.DataFrame({"case_id": ["h1"], "split": "train"})
    mix = pd.DataFrame({"case_id": ["s1"]})
    sets = bench.training_sets(isic, ham, mix)
    assert list(sets) == list(bench.MODELS)
    assert {name: (list(cases["case_id"]), extra is mix) for name, (cases, extra) in sets.items()} == {
        "isic2018": (["i1", "i2"], True), "ham10000": (["h1"], False), "isic2018+ham10000": (["i1", "i2", "h1"], True)}
    assert sets["ham10000"][1] is None


def _summary(score: float, n: int, by: dict[str, float]) -> dict:
    return {"overall": {"n": n, "thresholded_jaccard": score, "thresholded_jaccard_ci": [score - 0.1, score + 0.1]},
            "by": {"diagnosis": {d: {"n": n // len(by), "thresholded_jaccard": v, "thresholded_jaccard_ci": [float("nan")] * 2} for d, v in by.items()}}}


def test_markdown_compares_every_model_with_the_isic_one():
    import segmentation_target_masks as bench

    diff = {"n": 4, "difference": 0.25, "ci": [0.1, 0.4]}
    one = {"n": 2, "difference": -0.05, "ci": [float("nan"), float("nan")]}
    models = {}
    for name, score in zip(bench.MODELS, (0.5, 0.75, 0.7)):
        models[name] = {"training": {"n_train": 10}, "images_seen": 160,
                        "scores": {"ham10000_test": _summary(score, 4, {"bcc": score, "nevus": 0.9}), "isic2018_heldout": _summary(0.8, 3, {})}}
        if name != bench.MODELS[0]:
            models[name]["difference"] = {"ham10000_test": {"all": diff, "bcc": diff, "nevus": one}, "isic2018_heldout": {"all": one}}
    results = {"command": "x", "settings": {"arch": "unet", "encoder": "resnet18", "image_size": 128, "pre": "none", "minutes": 25.0, "tta": False},
               "ham_split": {"train": 5, "test": 4}, "test_sets": {"ham10000_test": 4, "isic2018_heldout": 3}, "models": models}
    md = bench.markdown(results)
    assert "| isic2018 | 10 | 160 | 0.500 [0.40, 0.60] | 0.800 [0.70, 0.90] |  |  |" in md
    assert "| ham10000 | 10 | 160 | 0.750 [0.65, 0.85] | 0.800 [0.70, 0.90] | +0.250 [+0.100, +0.400] | -0.050 |" in md
    assert "| bcc | 2 | 0.500 | 0.750 | 0.700 | +0.250 [+0.100, +0.400] | +0.250 [+0.100, +0.400] |" in md
    assert "| nevus | 2 | 0.900 | 0.900 | 0.900 | -0.050 | -0.050 |" in md  # no interval: no brackets
    assert "25 CPU minutes" in md and "4 test images" in md


@pytest.mark.parametrize("share", ["0", "1", "1.5"])
def test_a_ham_share_outside_zero_to_one_stops_before_any_work(tmp_path, capsys, share):
    import segmentation_target_masks as bench

    with pytest.raises(SystemExit):
        bench.main(["--out", str(tmp_path / "bench"), "--ham-train", share])
    assert "--ham-train must lie strictly between 0 and 1" in capsys.readouterr().err
    assert not (tmp_path / "bench").exists()


@pytest.mark.slow
def test_smoke_run_trains_three_models_and_pairs_them(shared_data, tmp_path):
    import segmentation_target_masks as bench

    results = bench.main(["--out", str(tmp_path), "--data", str(shared_data), "--pre", "none", "--limit", "6", "--max-steps", "1",
                          "--mix-synth", "7", "--image-size", "64", "--batch-size", "4"])
    assert list(results["models"]) == list(bench.MODELS)
    n_ham_train = results["ham_split"]["train"]
    seen = {name: m["training"] for name, m in results["models"].items()}
    assert seen["isic2018"]["n_train"] == 24 + 7 and seen["isic2018"]["n_extra_train"] == 7
    assert seen["ham10000"]["n_train"] == n_ham_train and seen["ham10000"]["n_extra_train"] == 0
    assert seen["isic2018+ham10000"]["n_train"] == 24 + n_ham_train + 7
    for name, m in results["models"].items():
        assert m["scores"]["ham10000_test"]["overall"]["n"] == results["test_sets"]["ham10000_test"] == results["ham_split"]["test"]
        assert ("difference" in m) == (name != "isic2018")
        assert len(list((tmp_path / "predictions" / name / "ham10000_test" / "masks").glob("*.png"))) == results["ham_split"]["test"]
        assert f"model {name} on isic2018_heldout" in (tmp_path / "predictions" / name / "isic2018_heldout" / "report.html").read_text()
    assert json.loads((tmp_path / "results.json").read_text())["models"].keys() == results["models"].keys()
    assert "| isic2018+ham10000 | " in (tmp_path / "results.md").read_text()
