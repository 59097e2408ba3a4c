"""`dermkit segment predict|evaluate` and `dermkit features` (in-process), and the one-line error (as a user runs it)."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pandas as pd
import pytest

from dermkit.cases import save_cases


def run(*args):
    return subprocess.run([sys.executable, "-m", "dermkit.cli", *map(str, args)], capture_output=True, text=True)


def invoke(*args):
    from typer.testing import CliRunner

    from dermkit.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_predict_evaluate_features(tiny_run, ellipse_cases, tmp_path):
    table = tmp_path / "cases.parquet"
    save_cases(ellipse_cases.iloc[18:], table)
    out = tmp_path / "pred"
    res = invoke("segment", "predict", tiny_run, table, "-o", out, "--no-fill-holes", "--overlays")
    assert res.exit_code == 0, res.output
    pred = pd.read_parquet(out / "cases.parquet")
    mask = cv2.imread(str(out / "masks" / "c18.png"), cv2.IMREAD_UNCHANGED)
    assert mask.shape == (96, 128) and set(np.unique(mask)) <= {0, 255} and pred["mask_pred_path"].notna().all()
    overlay = cv2.imread(pred.loc[pred["case_id"] == "c18", "overlay_path"].iloc[0])[:, :, ::-1].astype(int)
    r, g, b = overlay[..., 0], overlay[..., 1], overlay[..., 2]
    green, magenta = (g > 160) & (r < 110) & (b < 110), (r > 160) & (b > 160) & (g < 110)  # JPEG shifts the exact colours

    def near_edge(path):  # within 3 px of a mask's outline
        m = (cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) > 128).astype(np.uint8)
        k = np.ones((7, 7), np.uint8)
        return cv2.dilate(m, k).astype(bool) & ~cv2.erode(m, k, borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)

    truth_edge, pred_edge = near_edge(ellipse_cases.loc[18, "mask_path"]), near_edge(out / "masks" / "c18.png")
    assert overlay.shape == (96, 128, 3) and green.any() and magenta.any()
    assert not (green & ~truth_edge).any() and not (magenta & ~pred_edge).any()  # each colour only on its own outline
    res = invoke("segment", "evaluate", out / "cases.parquet", "--by", "skin_tone", "-o", tmp_path / "eval")
    assert res.exit_code == 0, res.output
    assert "skin_tone=brown" in res.output and (tmp_path / "eval" / "segmentation_metrics.json").is_file()
    report = (tmp_path / "eval" / "report.html").read_text()
    assert "Lowest-scoring images" in report and report.count('<div class="id"') == 6  # all six images: worst twelve, none left for the median
    res = invoke("segment", "predict", tiny_run, table, "-o", tmp_path / "pred_tta", "--no-fill-holes", "--tta")
    assert res.exit_code == 0, res.output
    res = invoke("segment", "evaluate", tmp_path / "pred_tta" / "cases.parquet", "--against", out / "cases.parquet", "-o", tmp_path / "eval_tta",
                 "--min-group-size", "3")
    assert res.exit_code == 0, res.output
    compared = json.loads((tmp_path / "eval_tta" / "comparison.json").read_text())
    tta = pd.read_csv(tmp_path / "eval_tta" / "per_image.csv").set_index("case_id")["thresholded_jaccard"]
    plain = pd.read_csv(tmp_path / "eval" / "per_image.csv").set_index("case_id")["thresholded_jaccard"]
    assert compared["overall"]["n"] == 6 and compared["overall"]["difference"] == pytest.approx((tta - plain).mean())
    assert f"{compared['overall']['difference']:+.3f}" in res.output
    report_tta = (tmp_path / "eval_tta" / "report.html").read_text()
    assert f"{compared['overall']['difference']:+.3f}" in report_tta
    assert " ⚠</td>" in report and " ⚠</td>" not in report_tta  # three images per skin tone: flagged under 30, not under 3
    res = invoke("features", out / "cases.parquet", "-o", tmp_path / "f.parquet", "--mask-column", "mask_pred_path", "--mm-per-px", "0.02")
    assert res.exit_code == 0, res.output
    feats = pd.read_parquet(tmp_path / "f.parquet")
    assert (feats["diameter_mm"] == feats["diameter_px"] * 0.02).all()


def test_comparing_different_tables_is_one_line_error(ellipse_cases, tmp_path):
    for name, part in (("a", ellipse_cases.iloc[:2]), ("b", ellipse_cases.iloc[1:3])):
        save_cases(part.assign(mask_pred_path=part["mask_path"]), tmp_path / f"{name}.parquet")
    res = run("segment", "evaluate", tmp_path / "a.parquet", "--against", tmp_path / "b.parquet", "-o", tmp_path / "eval")
    assert res.returncode == 1
    assert "the two scorings hold different cases (first difference: 'c0')" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "eval").exists()


def test_comparing_predictions_scored_against_other_true_masks_is_refused(ellipse_cases, tmp_path):
    import shutil

    cases = ellipse_cases.iloc[:3].assign(mask_pred_path=ellipse_cases["mask_path"].iloc[:3])
    save_cases(cases, tmp_path / "a.parquet")
    (tmp_path / "copies").mkdir()
    copies = [shutil.copy(path, tmp_path / "copies") for path in cases["mask_path"]]
    save_cases(cases.assign(mask_path=copies), tmp_path / "copied.parquet")  # the same masks, copied: fine
    res = run("segment", "evaluate", tmp_path / "a.parquet", "--against", tmp_path / "copied.parquet")
    assert res.returncode == 0, res.stderr
    swapped = cases.assign(mask_path=list(cases["mask_path"].iloc[[1, 0, 2]]))  # c0 and c1 scored against each other's truth
    save_cases(swapped, tmp_path / "b.parquet")
    res = run("segment", "evaluate", tmp_path / "a.parquet", "--against", tmp_path / "b.parquet", "-o", tmp_path / "eval")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert f"case 'c0' has another true mask in --against {tmp_path / 'b.parquet'}" in res.stderr
    assert not (tmp_path / "eval").exists()


def test_wrong_size_mask_is_one_line_error(ellipse_cases, tmp_path):
    cv2.imwrite(str(tmp_path / "small.png"), np.zeros((10, 10), np.uint8))
    cases = ellipse_cases.iloc[:1].assign(mask_path=str(tmp_path / "small.png"))
    save_cases(cases, tmp_path / "c.parquet")
    res = run("features", tmp_path / "c.parquet", "-o", tmp_path / "f.parquet")
    assert res.returncode == 1
    assert "small.png is 10x10 but its image is 128x96" in res.stderr
    assert not (tmp_path / "f.parquet").exists()


def test_extra_training_table_clash_is_one_line_error(ellipse_cases, tmp_path):
    save_cases(ellipse_cases, tmp_path / "c.parquet")
    save_cases(ellipse_cases.iloc[:3], tmp_path / "extra.parquet")
    res = run("segment", "train", tmp_path / "c.parquet", "-o", tmp_path / "run", "--extra-train", tmp_path / "extra.parquet", "--image-size", "64")
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1
    assert "extra training table: case_id 'c0' is also in the case table (3 shared)" in res.stderr
    assert not (tmp_path / "run").exists()


def test_unknown_precision_is_one_line_error(ellipse_cases, tmp_path):
    save_cases(ellipse_cases, tmp_path / "c.parquet")
    res = run("segment", "train", tmp_path / "c.parquet", "-o", tmp_path / "run", "--precision", "bf17")
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1
    assert "precision must be one of 32-true, bf16-mixed, 16-mixed" in res.stderr and "'bf17'" in res.stderr
    assert not (tmp_path / "run").exists()


def test_unknown_augment_option_is_one_line_error(ellipse_cases, tmp_path):
    save_cases(ellipse_cases, tmp_path / "c.parquet")
    res = run("segment", "train", tmp_path / "c.parquet", "-o", tmp_path / "run", "--augment", "{zoom: 2}")
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1
    assert "unknown augment option(s) zoom; known: scale, hflip, vflip, rotate, color_jitter" in res.stderr
    assert not (tmp_path / "run").exists()


def test_train_augment_and_loss_options_reach_the_training_and_the_run_config(ellipse_cases, tmp_path, monkeypatch):
    import json

    import dermkit.datasets.transforms as transforms
    import dermkit.segment.losses as losses

    seen, weights = [], []
    real = transforms.create_transform
    monkeypatch.setattr(transforms, "create_transform", lambda *a, **kw: seen.append(kw) or real(*a, **kw))
    real_loss = losses.SegmentationLoss
    monkeypatch.setattr(losses, "SegmentationLoss", lambda **kw: weights.append(kw) or real_loss(**kw))
    save_cases(ellipse_cases, tmp_path / "c.parquet")
    res = invoke("segment", "train", tmp_path / "c.parquet", "-o", tmp_path / "run", "--image-size", "64", "--max-steps", "1",
                 "--augment", "{scale: [0.25, 1.0], rotate: 0}", "--lovasz-weight", "0.5")
    assert res.exit_code == 0, res.output
    assert seen[0] == {"train": True, "seed": 0, "scale": [0.25, 1.0], "rotate": 0}
    assert weights == [{"boundary_weight": 0.0, "lovasz_weight": 0.5}]
    training = json.loads((tmp_path / "run" / "config.json").read_text())["training"]
    assert training["augment"] == {"scale": [0.25, 1.0], "rotate": 0} and training["lovasz_weight"] == 0.5


def test_resume_alone_continues_with_the_options_the_run_started_with(ellipse_cases, tmp_path):
    save_cases(ellipse_cases, tmp_path / "c.parquet")
    save_cases(ellipse_cases.head(4).assign(case_id=lambda t: "x" + t["case_id"], split="train"), tmp_path / "extra.parquet")
    start = ("segment", "train", tmp_path / "c.parquet", "-o", tmp_path / "run")
    res = invoke(*start, "--image-size", "64", "--batch-size", "6", "--epochs", "1", "--lr", "0.01", "--ema", "0.9", "--clahe", "--extra-train", tmp_path / "extra.parquet")
    assert res.exit_code == 0, res.output
    res = invoke(*start, "--epochs", "2", "--resume", "--lr", "0.5")  # an option given again and changed is still refused
    assert "1 differ (lr: 0.01 -> 0.5)" in str(res.exception)
    res = invoke(*start, "--epochs", "2", "--resume")  # the defaults (128 px, batch 8, lr 1e-3, no EMA, no CLAHE, no extra table) used to be refused as changes
    assert res.exit_code == 0, res.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["training"]["n_extra_train"] == 4
    assert (config["input_size"], config["training"]["steps_done"], config["training"]["lr"], config["training"]["ema"]) == (64, 6, 0.01, 0.9)
    assert config["preprocessing"]["clahe"] is True
    assert {k: config["training"][k] for k in ("epochs", "max_steps", "max_minutes", "pretrained")} == {"epochs": 2, "max_steps": -1, "max_minutes": None, "pretrained": False}
    (tmp_path / "run" / "lightning" / "recipe.json").write_text("{not json")
    res = run(*start, "--epochs", "3", "--resume")
    assert res.returncode == 1 and "recipe.json: damaged, not JSON" in res.stderr and "Traceback" not in res.stderr


def test_train_with_bf16_and_channels_last_saves_float32_weights(ellipse_cases, tmp_path):
    import json

    import torch
    from safetensors.torch import load_file

    save_cases(ellipse_cases, tmp_path / "c.parquet")
    res = invoke("segment", "train", tmp_path / "c.parquet", "-o", tmp_path / "run", "--image-size", "64", "--max-steps", "1",
                 "--precision", "bf16-mixed", "--channels-last")
    assert res.exit_code == 0, res.output
    training = json.loads((tmp_path / "run" / "config.json").read_text())["training"]
    assert (training["precision"], training["channels_last"], training["steps_done"]) == ("bf16-mixed", True, 1)
    weights = load_file(tmp_path / "run" / "model.safetensors")
    assert all(t.dtype == torch.float32 for t in weights.values() if t.is_floating_point())


@pytest.mark.slow
def test_two_process_ddp_training_from_the_command_line(ellipse_cases, tmp_path):
    """`--devices 2 --strategy ddp` on the CPU: Lightning starts a second process running the same
    command; both train on their halves of each epoch and one run is written, trained and usable.
    With an EMA of the weights (a copy DDP must not expect gradients for), and a learning rate that
    has decayed over each process's 4 steps (scheduled over all 9 of the epoch, it stopped at 60%)."""
    import torch
    from safetensors.torch import load_file

    from dermkit.models.segmenter import create_segmenter

    table = tmp_path / "cases.parquet"
    save_cases(ellipse_cases, table)
    res = run("segment", "train", table, "-o", tmp_path / "run", "--accelerator", "cpu", "--devices", "2", "--strategy", "ddp",
              "--image-size", "64", "--batch-size", "2", "--epochs", "1", "--lr", "0.01", "--ema", "0.9")
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("wrote") == 1  # reported by the first process only
    training = json.loads((tmp_path / "run" / "config.json").read_text())["training"]
    assert training["steps_done"] == 4 and {"val_dice", "val_loss"} <= set(training["val"])  # 18 training images, 9 per process
    checkpoint = torch.load(tmp_path / "run" / "lightning" / "last.ckpt", weights_only=False)
    assert checkpoint["lr_schedulers"][0]["_last_lr"][0] == pytest.approx(0.02 * 0.01)
    assert not list((tmp_path / "run").glob(".*.tmp*"))  # no half-written file from either process
    import lightning.pytorch as pl

    pl.seed_everything(0, verbose=False)
    initial = create_segmenter("unet", "resnet18").state_dict()  # the weights training started from (seed 0)
    trained = load_file(tmp_path / "run" / "model.safetensors")
    assert any(not np.allclose(trained[k].numpy(), initial[k].numpy()) for k in trained if k.endswith("weight"))
    res = run("segment", "predict", tmp_path / "run", table, "-o", tmp_path / "pred")
    assert res.returncode == 0, res.stderr
