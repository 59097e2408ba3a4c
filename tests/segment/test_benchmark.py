"""The segmentation benchmark script: its reweighting by class mix, and a smoke run on real data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


def test_prevalence_weighted_reweights_to_the_class_counts():
    import segmentation as bench

    summary = {"by": {"diagnosis": {"nevus": {"thresholded_jaccard": 0.9}, "bcc": {"thresholded_jaccard": 0.3}}}}
    # 3 nevi per bcc: (3 * 0.9 + 1 * 0.3) / 4; classes absent from the summary do not count
    assert bench.prevalence_weighted(summary, {"nevus": 3, "bcc": 1, "df": 100}) == pytest.approx(0.75)


def test_lesion_size_group_bins_the_true_masks_share(tmp_path):
    import numpy as np

    import segmentation as bench
    from dermkit.io import write_image

    groups = []
    for rows in (5, 29, 30, 59, 60, 100):  # of 100 rows: that share of the image
        mask = np.zeros((100, 40), bool)
        mask[:rows] = True
        write_image(tmp_path / f"{rows}.png", mask)
        groups.append(bench.lesion_size_group(str(tmp_path / f"{rows}.png")))
    assert groups == ["under 10%", "10-30%", "30-60%", "30-60%", "60% or more", "60% or more"]


def test_paired_differences_and_their_table():
    import pandas as pd

    import segmentation as bench

    ids = [f"c{i}" for i in range(6)]
    diagnosis = ["bcc"] * 3 + ["nevus"] * 3
    base = {"ham10000": pd.DataFrame({"case_id": ids, "diagnosis": diagnosis, "thresholded_jaccard": [0.0, 0.7, 0.8, 0.9, 0.9, 0.9]})}
    # other order of rows: pairs are matched by case id; bcc gains 0.7, 0.1, 0.1 and the nevi lose 0.0, 0.0, 0.3
    other = {"ham10000": pd.DataFrame({"case_id": ids[::-1], "diagnosis": diagnosis[::-1], "thresholded_jaccard": [0.6, 0.9, 0.9, 0.9, 0.8, 0.7]})}
    diff = bench.paired_differences(base, other)["ham10000"]
    assert diff["all"]["difference"] == pytest.approx(0.6 / 6) and diff["bcc"]["difference"] == pytest.approx(0.3)
    assert diff["nevus"]["difference"] == pytest.approx(-0.1)
    lo, hi = diff["bcc"]["ci"]
    assert 0.1 - 1e-9 <= lo < 0.3 < hi <= 0.7 + 1e-9  # resampled means of three gains lie between the smallest and the largest
    summary = {"overall": {"n": 6, "thresholded_jaccard": 0.7, "dice": 0.8}, "by": {"diagnosis": {
        "bcc": {"n": 3, "thresholded_jaccard": 0.5, "dice": 0.7}, "nevus": {"n": 3, "thresholded_jaccard": 0.9, "dice": 0.9}}}}
    best = {"by_skin_tone": {"ham10000": summary}, "ham10000_at_ham_class_mix": 0.8,
            "tta": {"by_skin_tone": {"ham10000": summary}, "ham10000_at_ham_class_mix": 0.8, "command": "x", "difference": {"ham10000": diff}}}
    lines = bench.comparison_lines(best, "tta")
    assert f"| ham10000 | bcc | 3 | 0.500 | 0.500 | +0.300 [{lo:+.3f}, {hi:+.3f}] | 0.700 | 0.700 |" in lines
    del best["tta"]["difference"]  # results scored before paired differences: no such column
    assert not any("difference" in line for line in bench.comparison_lines(best, "tta"))


def test_score_pairs_each_post_processing_step_with_the_baseline(tmp_path):
    import cv2
    import numpy as np
    import pandas as pd

    import segmentation as bench
    from dermkit.io import write_image
    from dermkit.segment import Postprocessing

    truth = np.zeros((64, 64), np.uint8)
    cv2.circle(truth, (40, 40), 12, 1, -1)  # 441 px
    rows = []
    for i in range(8):
        write_image(tmp_path / f"{i}.png", np.full((64, 64, 3), i, np.uint8))  # the image's value tells the fake model which case it is
        write_image(tmp_path / f"{i}_mask.png", truth.astype(bool))
        rows.append({"image_path": str(tmp_path / f"{i}.png"), "mask_path": str(tmp_path / f"{i}_mask.png")})

    class FakeSegmenter:  # the true disc, plus a 20x20 false blob far from it on even cases
        postprocessing = Postprocessing()

        def predict_proba(self, images):
            out = []
            for image in images:
                prob = truth.astype(np.float32)
                if image[0, 0, 0] % 2 == 0:
                    prob[:20, :20] = 1.0
                out.append(prob)
            return out

    scored = bench.score(FakeSegmenter(), pd.DataFrame(rows), bench.POST_VARIANTS, baseline=bench.BASELINE_POST)
    # the blob drops Jaccard to 441 / 841 = 0.52 < 0.65, so half the images count 0 until the largest component removes it
    assert scored["threshold only"]["thresholded_jaccard"] == pytest.approx(0.5) and "difference" not in scored["threshold only"]
    gain = scored["+ largest component"]["difference"]
    assert gain["difference"] == pytest.approx(0.5) and 0.0 < gain["ci"][0] < 0.5 < gain["ci"][1] <= 1.0
    assert scored["+ hole filling"]["difference"] == {"n": 8, "difference": 0.0, "ci": [0.0, 0.0]}  # no holes: no change on any image


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--augment", "{zoom: 2}"], "unknown augment option(s) zoom"),
        (["--rescore-only", "--threshold-sweep"], "argument --threshold-sweep: not allowed with argument --rescore-only/--skin-tone-only"),
        (["--threshold-sweep"], "results.json not found: run the full benchmark into --out first"),
    ],
)
def test_bad_arguments_stop_before_any_work(tmp_path, capsys, argv, message):
    import segmentation as bench

    with pytest.raises(SystemExit):
        bench.main(["--out", str(tmp_path / "bench"), *argv])
    assert message in capsys.readouterr().err
    assert not (tmp_path / "bench").exists()


def test_rescoring_needs_a_finished_benchmark(tmp_path, capsys):
    import segmentation as bench

    (tmp_path / "results.json").write_text(json.dumps({"ablation": {}}))  # stopped before the best run was saved
    for mode in ("--rescore-only", "--skin-tone-only", "--threshold-sweep"):
        with pytest.raises(SystemExit):
            bench.main(["--out", str(tmp_path), mode])
        assert "holds no best run yet" in capsys.readouterr().err
    assert json.loads((tmp_path / "results.json").read_text()) == {"ablation": {}}


@pytest.mark.slow
def test_mixed_synthetic_run_writes_tables(shared_data, tmp_path):
    import segmentation as bench

    results = bench.main(["--out", str(tmp_path), "--data", str(shared_data), "--pre", "none", "--no-synth", "--limit", "6",
                          "--max-steps", "2", "--mix-synth", "7", "--image-size", "64", "--batch-size", "4", "--tta",
                          "--augment", "{scale: [0.25, 1.0]}", "--lovasz-weight", "0.5", "--boundary-weight", "0.2", "--ema", "0.9"])
    assert results["settings"]["n_train"] == 24 and results["settings"]["n_train_synthetic"] == 7
    assert len(list((tmp_path / "mix_data" / "images").glob("*.png"))) == 7
    saved = json.loads((tmp_path / "results.json").read_text())
    assert set(saved["best"]["by_skin_tone"]["ham10000"]["by"]["diagnosis"]) <= {"nevus", "melanoma", "bkl", "bcc", "akiec", "vasc", "df"}
    assert 0.0 <= saved["best"]["ham10000_at_ham_class_mix"] <= 1.0
    md = (tmp_path / "results.md").read_text()
    assert "and 7 synthetic ones of all diagnoses" in md and "## Best run by diagnosis" in md
    assert json.loads((tmp_path / "run" / "config.json").read_text())["training"]["augment"] == {"scale": [0.25, 1.0]}
    assert json.loads((tmp_path / "run" / "config.json").read_text())["training"]["lovasz_weight"] == 0.5
    assert json.loads((tmp_path / "run" / "config.json").read_text())["training"]["boundary_weight"] == 0.2
    assert "augmentation `{scale: [0.25, 1.0]}`, loss Dice + BCE + 0.5 x Lovász hinge + 0.2 x boundary loss" in md
    assert "EMA of the weights (decay 0.9)" in md and json.loads((tmp_path / "run" / "config.json").read_text())["training"]["ema"] == 0.9
    ham = saved["best"]["by_skin_tone"]["ham10000"]
    assert sum(g["n"] for g in ham["by"]["lesion_size"].values()) == ham["overall"]["n"] == 6
    assert "## Best run by lesion size" in md
    for post, by_set in saved["ablation"]["none"].items():
        assert (post == bench.BASELINE_POST) != all("difference" in m for m in by_set.values())
    assert "| none | all | " in md.split("Each post-processing step against threshold only")[1]
    tta = saved["best"]["tta"]
    assert {k: v["overall"]["n"] for k, v in tta["by_skin_tone"].items()} == {k: v["overall"]["n"] for k, v in saved["best"]["by_skin_tone"].items()}
    assert len(list((tmp_path / "best_predictions_tta" / "ham10000" / "masks").glob("*.png"))) == 6
    assert "run: ham10000 with TTA" in (tmp_path / "best_predictions_tta" / "ham10000" / "report.html").read_text()
    assert "## Best run with test-time augmentation" in md and "--tta" in tta["command"]
    assert set(tta["difference"]["ham10000"]) == {"all"} | set(tta["by_skin_tone"]["ham10000"]["by"]["diagnosis"]) - {"<none>"}
    lo, hi = ham["overall"]["thresholded_jaccard_ci"]
    assert f"| ham10000 | all | 6 | {ham['overall']['thresholded_jaccard']:.3f} [{lo:.2f}, {hi:.2f}] |" in md
    swept = bench.main(["--out", str(tmp_path), "--data", str(shared_data), "--limit", "6", "--threshold-sweep"])
    sweep = swept["best"]["threshold_sweep"]["thresholded_jaccard"]
    best = saved["best"]
    # the saved run thresholds at 0.5: that column repeats its ablation score
    for name, by_t in sweep.items():
        assert list(by_t) == ["0.2", "0.3", "0.4", "0.5", "0.6"]
        assert by_t["0.5"] == pytest.approx(saved["ablation"]["none"][best["postprocessing"]][name]["thresholded_jaccard"])
    assert "## Best run by probability threshold" in (tmp_path / "results.md").read_text()
    rescored = bench.main(["--out", str(tmp_path), "--data", str(shared_data), "--limit", "6", "--rescore-only", "--adapt-bn"])["best"]
    assert rescored["adapt_bn"]["by_skin_tone"]["ham10000"]["overall"]["n"] == 6 and "adapt_bn_tta" not in rescored
    assert rescored["threshold_sweep"] == swept["best"]["threshold_sweep"]  # rescoring keeps the other parts
    assert len(list((tmp_path / "best_predictions_adapt_bn" / "isic2017_unseen" / "masks").glob("*.png"))) == 6
    assert "## Best run with BatchNorm statistics adapted to each test set's images" in (tmp_path / "results.md").read_text()
