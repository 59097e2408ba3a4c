"""Training, prediction and evaluation end to end on ellipses whose masks are known."""

import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from dermkit.errors import ConfigError, DataError, DermkitError
from dermkit.evaluate.segmentation import mean_ci
from dermkit.io import write_image
from dermkit.models.segmenter import load_segmenter
from dermkit.segment import Postprocessing, Segmenter, evaluate_masks, predict_masks, train_segmenter


def test_predict_writes_masks_of_each_images_size(tiny_run, ellipse_cases, tmp_path):
    table = predict_masks(tiny_run, ellipse_cases.iloc[:6], tmp_path / "pred", progress=False)
    saved = pd.read_parquet(tmp_path / "pred" / "cases.parquet")
    assert list(saved["mask_pred_path"]) == list(table["mask_pred_path"])
    for cid, path in zip(table["case_id"], table["mask_pred_path"]):
        assert path.endswith(f"masks/{cid}.png")
        m = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        assert m.shape == (96, 128) and m.dtype == np.uint8 and set(np.unique(m)) <= {0, 255}
    _, summary = evaluate_masks(table)
    assert summary["by"]["skin_tone"]["light"]["n"] == 3 and summary["overall"]["n"] == 6
    one = evaluate_masks(table.iloc[:1])[1]["overall"]
    assert np.isnan(one["thresholded_jaccard_ci"]).all()  # one image: no interval


@pytest.mark.slow
@pytest.mark.parametrize("precision, channels_last", [("32-true", False), ("bf16-mixed", True)])
def test_trained_model_segments_held_out_ellipses(ellipse_cases, tmp_path, precision, channels_last):
    run = train_segmenter(ellipse_cases, tmp_path / "run", image_size=64, batch_size=6, epochs=8, lr=3e-3, progress=False, seed=0,
                          precision=precision, channels_last=channels_last)
    table = predict_masks(run, ellipse_cases, tmp_path / "pred", progress=False)
    per_image, summary = evaluate_masks(table)
    val = per_image[ellipse_cases["split"].eq("val").to_numpy()]
    assert val["thresholded_jaccard"].mean() > 0.8
    assert set(summary["by"]["skin_tone"]) == {"light", "brown"}


def test_run_config_and_checkpoint_format(tiny_run):
    config = json.loads((tiny_run / "config.json").read_text())
    assert config["task"] == "segmentation" and config["architecture"]["arch"] == "unet"
    assert config["input_size"] == 64 and config["training"]["steps_done"] == 2
    model, cfg = load_segmenter(tiny_run)
    assert not model.training and cfg["postprocessing"] == Postprocessing().to_dict()


def test_postprocessing_override_changes_masks(tiny_run, ellipse_cases):
    seg = Segmenter.load(tiny_run)
    from dermkit.io import read_image

    image = read_image(ellipse_cases["image_path"].iloc[0])
    strict = seg.predict([image], Postprocessing(threshold=0.99))[0]
    loose = seg.predict([image], Postprocessing(threshold=0.01))[0]
    assert strict.sum() < loose.sum()
    prob = seg.predict_proba([image])[0]
    assert prob.shape == (96, 128) and 0 <= prob.min() and prob.max() <= 1


@pytest.mark.slow
def test_same_seed_same_weights_and_resume(ellipse_cases, tmp_path):
    import torch

    kw = dict(image_size=64, batch_size=6, epochs=1, progress=False, seed=3)
    a = train_segmenter(ellipse_cases, tmp_path / "a", **kw)
    b = train_segmenter(ellipse_cases, tmp_path / "b", **kw)
    sa, sb = load_segmenter(a)[0].state_dict(), load_segmenter(b)[0].state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    c = train_segmenter(ellipse_cases, tmp_path / "a", **{**kw, "epochs": 2}, resume=True)  # 3 steps per epoch
    assert json.loads((c / "config.json").read_text())["training"]["steps_done"] == 6
    c = train_segmenter(ellipse_cases, tmp_path / "a", **{**kw, "epochs": 3}, resume=True)  # a second resume goes on from the first's end
    assert json.loads((c / "config.json").read_text())["training"]["steps_done"] == 9
    assert sorted(p.name for p in (c / "lightning").iterdir()) == ["last.ckpt", "recipe.json"]  # overwritten, not versioned as last-v1.ckpt
    with pytest.raises(DataError, match=r"pretrained weights not found: .*none\.pt \(dermkit never downloads"):  # the old run stays whole
        train_segmenter(ellipse_cases, c, **kw, pretrained=tmp_path / "none.pt", overwrite=True)
    assert (c / "lightning" / "last.ckpt").is_file()


def test_bad_training_input(ellipse_cases, tmp_path):
    with pytest.raises(ConfigError, match="multiple of 32"):
        train_segmenter(ellipse_cases, tmp_path / "x", image_size=100)
    with pytest.raises(DataError, match="mask_path"):
        train_segmenter(ellipse_cases.drop(columns="mask_path"), tmp_path / "x")
    with pytest.raises(ConfigError, match="nothing to resume in .*fresh: no lightning/last.ckpt"):
        train_segmenter(ellipse_cases, tmp_path / "fresh", resume=True, image_size=64)
    with pytest.raises(ConfigError, match="unknown augment option\\(s\\) scal"):
        train_segmenter(ellipse_cases, tmp_path / "x", augment={"scal": [0.25, 1.0]})
    with pytest.raises(ConfigError, match="bad augment option"):
        train_segmenter(ellipse_cases, tmp_path / "x", augment={"scale": 0.25})  # not a (min, max) pair
    with pytest.raises(ConfigError, match="lovasz=-1"):
        train_segmenter(ellipse_cases, tmp_path / "x", lovasz_weight=-1)
    with pytest.raises(ConfigError, match="ema is a decay in \\[0, 1\\).*got 1.0"):
        train_segmenter(ellipse_cases, tmp_path / "x", ema=1.0)
    assert not (tmp_path / "x").exists()  # refused before anything is written


def test_a_folder_holding_a_run_is_refused_and_overwriting_it_preprocesses_afresh(ellipse_cases, tmp_path):
    """The pre-processed images are kept per settings: overwriting a CLAHE run with a grey-world one
    trains on grey-world images, as its config says and prediction repeats (it used to reuse the CLAHE ones)."""
    from dermkit.io import read_image
    from dermkit.segment.preprocess import Preprocessing, preprocess_image

    kw = dict(image_size=64, batch_size=6, max_steps=1, progress=False)
    clahe, grey_world = Preprocessing(clahe=True), Preprocessing(colour_constancy="gray_world")
    run = train_segmenter(ellipse_cases, tmp_path / "run", preprocessing=clahe, **kw)
    with pytest.raises(ConfigError, match="run already holds a run; pass resume=True .* or overwrite=True"):
        train_segmenter(ellipse_cases, run, preprocessing=grey_world, **kw)
    train_segmenter(ellipse_cases, run, preprocessing=grey_world, overwrite=True, **kw)
    assert sorted(p.name for p in (run / "preprocessed").iterdir()) == sorted([clahe.key, grey_world.key])
    case_id, image = ellipse_cases["case_id"].iloc[0], read_image(ellipse_cases["image_path"].iloc[0])
    copy, = (run / "preprocessed" / grey_world.key).glob(f"{case_id}-*.png")
    assert np.array_equal(read_image(copy), preprocess_image(image, grey_world))
    assert json.loads((run / "config.json").read_text())["preprocessing"]["colour_constancy"] == "gray_world"


def test_ema_run_saves_the_averaged_weights_and_resumes(ellipse_cases, tmp_path):
    """The averaged weights lag behind the last ones: nearer the initial weights than the plain run's, not equal to them."""
    import lightning.pytorch as pl
    import torch

    from dermkit.models.segmenter import create_segmenter

    kw = dict(image_size=64, batch_size=6, epochs=2, lr=3e-3, progress=False, seed=4)  # 3 steps per epoch
    plain = load_segmenter(train_segmenter(ellipse_cases, tmp_path / "plain", **kw))[0].state_dict()
    ema_run = train_segmenter(ellipse_cases, tmp_path / "ema", ema=0.99, **kw)
    averaged = load_segmenter(ema_run)[0].state_dict()
    pl.seed_everything(4, verbose=False)
    init = create_segmenter("unet", "resnet18").state_dict()
    weights = [k for k in init if k.endswith(".weight") and init[k].ndim == 4]

    def moved(state: dict) -> float:
        return float(sum((state[k] - init[k]).abs().sum() for k in weights))

    assert 0 < moved(averaged) < 0.9 * moved(plain)  # 0.84 when written
    assert not torch.equal(averaged[weights[0]], plain[weights[0]])
    assert json.loads((ema_run / "config.json").read_text())["training"]["ema"] == 0.99
    resumed = train_segmenter(ellipse_cases, ema_run, ema=0.99, resume=True, **{**kw, "epochs": 3})  # the checkpoint carries the average
    assert json.loads((resumed / "config.json").read_text())["training"]["steps_done"] == 9


def test_extra_training_cases_join_the_training_part_only(ellipse_cases, tmp_path):
    extra = ellipse_cases.iloc[:8].assign(split="val")  # its own split is ignored
    with pytest.raises(DataError, match="case_id 'c0' is also in the case table"):
        train_segmenter(ellipse_cases, tmp_path / "x", extra_train=extra, image_size=64, max_steps=1, progress=False)
    with pytest.raises(DataError, match="extra training table: .*mask_path"):
        train_segmenter(ellipse_cases, tmp_path / "x", extra_train=extra.drop(columns="mask_path"), image_size=64, progress=False)
    extra["case_id"] = "x" + extra["case_id"]
    run = train_segmenter(ellipse_cases, tmp_path / "run", extra_train=extra, image_size=64, batch_size=6, max_steps=1, progress=False)
    info = json.loads((run / "config.json").read_text())["training"]
    assert (info["n_train"], info["n_extra_train"], info["n_val"]) == (18 + 8, 8, 6)


def test_evaluate_defined_handling(ellipse_cases, tmp_path):
    cases = ellipse_cases.iloc[:3].copy()
    truth = cv2.imread(cases["mask_path"].iloc[0], cv2.IMREAD_UNCHANGED)
    soft = cv2.GaussianBlur(truth, (5, 5), 0)  # non-binary: binarised at 128
    write_image(tmp_path / "soft.png", soft)
    write_image(tmp_path / "empty.png", np.zeros_like(truth, dtype=bool))
    write_image(tmp_path / "small.png", np.zeros((10, 10), bool))
    cases["mask_pred_path"] = [str(tmp_path / "soft.png"), str(tmp_path / "empty.png"), cases["mask_path"].iloc[2]]
    per_image, summary = evaluate_masks(cases)
    assert per_image["jaccard"].iloc[0] > 0.95
    assert per_image["jaccard"].iloc[1] == 0.0 and np.isinf(per_image["hd95"].iloc[1])
    assert per_image["jaccard"].iloc[2] == 1.0
    assert summary["overall"]["n"] == 3
    lo, hi = summary["overall"]["thresholded_jaccard_ci"]
    assert (lo, hi) == mean_ci(per_image["thresholded_jaccard"]) and 0.0 <= lo < summary["overall"]["thresholded_jaccard"] < hi <= 1.0
    cases["mask_pred_path"] = str(tmp_path / "small.png")
    with pytest.raises(DataError, match=r"small.png is 10x10 but its true mask .*c0_mask\.png is 128x96"):
        evaluate_masks(cases)
    with pytest.raises(ConfigError, match="different columns, got 'mask_path' for both"):
        evaluate_masks(cases, pred_column="mask_path")
    with pytest.raises(DataError, match="mask_pred_path"):
        evaluate_masks(ellipse_cases)
    write_image(tmp_path / "empty_truth.png", np.zeros_like(truth, dtype=bool))
    cases = cases.assign(mask_path=str(tmp_path / "empty_truth.png"), mask_pred_path=str(tmp_path / "soft.png"))
    with pytest.raises(DataError, match=r"all 3 true masks are empty .*empty_truth\.png"):  # every image would score 0
        evaluate_masks(cases)


def test_overlays_check_every_true_mask_before_the_first_prediction(tiny_run, ellipse_cases, tmp_path):
    write_image(tmp_path / "small.png", np.zeros((10, 10), bool))
    cases = ellipse_cases.iloc[:12].copy()
    cases.loc[11, "mask_path"] = str(tmp_path / "small.png")  # the last case, in the second batch of 8
    with pytest.raises(DataError, match="small.png is 10x10 but its image is 128x96"):
        predict_masks(tiny_run, cases, tmp_path / "pred", overlays=True, progress=False)
    assert not (tmp_path / "pred").exists()  # stopped before writing anything
    table = predict_masks(tiny_run, cases, tmp_path / "pred", progress=False)  # without overlays the true masks are not read
    assert table["mask_pred_path"].map(lambda p: Path(p).is_file()).all()


def test_wrong_size_training_mask_names_the_file(ellipse_cases, tmp_path):
    write_image(tmp_path / "small.png", np.ones((10, 10), bool))
    cases = ellipse_cases.iloc[:4].assign(mask_path=str(tmp_path / "small.png"), split="train")
    with pytest.raises(DataError, match="small.png is 10x10 but its image is 128x96"):
        train_segmenter(cases, tmp_path / "run", image_size=64, batch_size=2, max_steps=1, progress=False)


def test_training_masks_that_all_read_as_empty_are_refused(ellipse_cases, tmp_path):
    import cv2

    cases = ellipse_cases.copy()
    for i, path in enumerate(cases["mask_path"]):  # lesion stored as 100 and softened: every pixel at or under 128
        faint = (cv2.imread(path, cv2.IMREAD_GRAYSCALE) > 0).astype(np.uint8) * 100
        cv2.imwrite(str(tmp_path / f"m{i}.png"), cv2.GaussianBlur(faint, (5, 5), 1))
    cases["mask_path"] = [str(tmp_path / f"m{i}.png") for i in range(len(cases))]
    with pytest.raises(DataError, match=r"all 18 training masks are empty .*m0\.png"):
        train_segmenter(cases, tmp_path / "run", image_size=64, batch_size=2, max_steps=1, progress=False)
    assert not (tmp_path / "run").exists()
    one_lesion = cases.assign(mask_path=[ellipse_cases["mask_path"].iloc[0], *cases["mask_path"].iloc[1:]])
    train_segmenter(one_lesion, tmp_path / "run", image_size=64, batch_size=2, max_steps=1, progress=False)  # one lesion is enough
    assert (tmp_path / "run" / "model.safetensors").is_file()


def test_paired_differences_hand_computed_and_bad_pairs():
    from dermkit.segment import paired_differences

    base = pd.DataFrame({"case_id": ["a", "b", "c", "d"], "thresholded_jaccard": [0.0, 0.7, 0.9, 0.9], "site": ["x", "x", "y", "y"]})
    other = pd.DataFrame({"case_id": ["d", "c", "b", "a"], "thresholded_jaccard": [0.8, 0.9, 0.8, 0.7], "site": ["y", "y", "x", "x"]})
    diff = paired_differences(base, other, by=("site",))
    # matched by case id: a +0.7, b +0.1, c 0, d -0.1
    assert diff["overall"]["n"] == 4 and diff["overall"]["difference"] == pytest.approx(0.7 / 4)
    assert diff["by"]["site"]["x"]["difference"] == pytest.approx(0.4) and diff["by"]["site"]["y"]["difference"] == pytest.approx(-0.05)
    lo, hi = diff["by"]["site"]["x"]["ci"]
    assert 0.1 - 1e-9 <= lo < 0.4 < hi <= 0.7 + 1e-9
    with pytest.raises(DataError, match="different cases \\(first difference: 'd'\\)"):
        paired_differences(base, other.iloc[1:])
    with pytest.raises(DataError, match="'d' is scored twice"):
        paired_differences(base, pd.concat([other, other.iloc[:1]]))
    with pytest.raises(DataError, match="baseline scores have no thresholded_jaccard"):
        paired_differences(base.drop(columns="thresholded_jaccard"), other)


def test_ctrl_c_during_segmenter_training_can_be_resumed(ellipse_cases, tmp_path, monkeypatch):
    import signal

    import lightning.pytorch as pl

    class Interrupt(pl.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            if trainer.current_epoch == 1:
                raise KeyboardInterrupt

    monkeypatch.setattr(signal, "signal", lambda *a: None)  # Lightning ignores further Ctrl-C; keep the test process's handler
    original = pl.Trainer.__init__
    monkeypatch.setattr(pl.Trainer, "__init__", lambda self, *a, callbacks=(), **kw: original(self, *a, callbacks=[*callbacks, Interrupt()], **kw))
    kw = dict(image_size=64, batch_size=6, epochs=3, progress=False)
    with pytest.raises(KeyboardInterrupt):  # was SystemExit(1), and no checkpoint
        train_segmenter(ellipse_cases, tmp_path / "run", **kw)
    monkeypatch.undo()
    assert (tmp_path / "run" / "lightning" / "last.ckpt").is_file()
    run = train_segmenter(ellipse_cases, tmp_path / "run", **kw, resume=True)
    assert json.loads((run / "config.json").read_text())["training"]["steps_done"] == 9  # 3 steps per epoch: epoch 0 was not redone


def test_resuming_a_segmenter_with_another_recipe_is_refused(ellipse_cases, tmp_path):
    kw = dict(image_size=64, batch_size=6, epochs=1, progress=False)
    train_segmenter(ellipse_cases, tmp_path / "run", **kw, lr=0.01)
    with pytest.raises(ConfigError, match=r"1 differ \(lr: 0.01 -> 0.5\)"):  # the optimiser kept 0.01 while config.json said 0.5
        train_segmenter(ellipse_cases, tmp_path / "run", **{**kw, "epochs": 2}, lr=0.5, resume=True)
    run = train_segmenter(ellipse_cases, tmp_path / "run", **{**kw, "epochs": 2}, lr=0.01, resume=True)
    assert json.loads((run / "config.json").read_text())["training"]["steps_done"] == 6


def test_a_resumed_segmenter_keeps_the_history_of_its_first_session(ellipse_cases, tmp_path):
    kw = dict(image_size=64, batch_size=6, progress=False)
    train_segmenter(ellipse_cases, tmp_path / "run", **kw, epochs=1)
    first = pd.read_csv(tmp_path / "run" / "history.csv")
    run = train_segmenter(ellipse_cases, tmp_path / "run", **kw, epochs=2, resume=True)
    history = pd.read_csv(run / "history.csv")  # Lightning's CSV logger deleted the first session's metrics.csv
    assert list(history["epoch"]) == [0, 1] and list(history["step"]) == [3, 6]
    assert {"train_loss", "val_loss", "val_dice", "val_jaccard", "lr", "train_images_per_s"} <= set(history.columns)
    pd.testing.assert_frame_equal(history.iloc[:1], first)
    assert (run / "loss_curve.png").stat().st_size > 0 and not (run / "logs").exists()


def test_a_diverged_segmenter_stops_with_an_error_and_saves_no_model(ellipse_cases, tmp_path, monkeypatch):
    from dermkit.segment.losses import SegmentationLoss

    monkeypatch.setattr(SegmentationLoss, "forward", lambda self, logits, target: logits.mean() * float("nan"))
    with pytest.raises(DermkitError, match=r"the training loss became nan in epoch 0, batch 0"):
        train_segmenter(ellipse_cases, tmp_path / "run", image_size=64, batch_size=6, epochs=1, progress=False)
    assert not (tmp_path / "run" / "model.safetensors").exists()
