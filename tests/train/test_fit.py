"""fit end to end on tiny images: run folder contents, predict, resume, Ctrl-C, bad input."""

from __future__ import annotations

import contextlib
import json
import logging
import warnings

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import pytest
import torch

from dermkit.errors import ConfigError, DataError, DermkitError
from dermkit.models import load_classifier
from dermkit.predict import MissingMetadataWarning, predict, predict_images
from dermkit.train import TrainConfig, fit
from dermkit.train.fit import quiet_lightning


def test_fit_writes_a_loadable_run_and_predict_reads_it(lesion_cases, tmp_path, fast):
    run = tmp_path / "run"
    result = fit(lesion_cases, {**fast, "epochs": 2, "ema": 0.9}, run)
    assert {p.name for p in run.iterdir()} >= {"model.safetensors", "config.json", "history.csv", "loss_curve.png", "checkpoints"}
    config = json.loads((run / "config.json").read_text())
    assert config["classes"] == ["melanoma", "nevus"] and config["input_size"] == 32
    assert config["train_config"]["ema"] == 0.9 and config["best"]["metric"] == "val_bal_acc"
    history = pd.read_csv(run / "history.csv")
    assert list(history["epoch"]) == [0, 1] and {"train_loss", "val_loss", "val_bal_acc", "val_auc"} <= set(history.columns)
    assert result.best_value == pytest.approx(history["val_bal_acc"].max())
    # the exported model is the best epoch's (EMA) model: predicting the val cases reproduces its accuracy
    val = lesion_cases[lesion_cases["split"] == "val"]
    preds = predict(run, val, embeddings=True, tta=True)
    assert list(preds.columns[:4]) == ["case_id", "pred", "prob_melanoma", "prob_nevus"]
    assert np.allclose(preds[["prob_melanoma", "prob_nevus"]].sum(axis=1), 1.0, atol=1e-5)
    assert preds.filter(like="emb_").shape[1] == load_classifier(run).num_features
    plain = predict(run, val)
    balanced = np.mean([(plain["pred"][val["diagnosis"].values == c] == c).mean() for c in ("melanoma", "nevus")])
    assert balanced == pytest.approx(result.best_value, abs=1e-6)
    with pytest.raises(DataError, match="no cases to predict"):  # was a TypeError from pandas
        predict(run, val.iloc[:0])
    with pytest.raises(ConfigError, match="unknown device 'banana'"):  # was torch's RuntimeError
        predict(run, val, device="banana")
    check_predict_images(run, val, plain)
    net = load_classifier(run).train()  # a caller's model, e.g. scored mid-training
    assert np.allclose(predict(net, val)[["prob_melanoma", "prob_nevus"]], plain[["prob_melanoma", "prob_nevus"]], atol=1e-5)
    predict_images(net, [np.zeros((32, 32, 3), np.uint8)])
    assert net.training  # both left it in eval mode: dropout and BatchNorm updates silently off for the rest of training


def check_predict_images(run, val, expected):
    """predict_images takes images in every common form and matches predict on their files."""
    from dermkit.io import read_image
    from dermkit.predict import predict_images

    images = [read_image(p) for p in val["image_path"]]
    probs = expected[["prob_melanoma", "prob_nevus"]].to_numpy()
    for form, given in {
        "arrays": images,
        "generator": (im for im in images),  # was a TypeError: no len()
        "batch array": np.stack(images),
        "float in [0, 1]": [im / 255.0 for im in images],  # was normalised twice: every image read as black
        "16-bit": [im.astype(np.uint16) * 257 for im in images],
        "file paths": list(val["image_path"]),
    }.items():
        assert np.allclose(predict_images(run, given, batch_size=3), probs, atol=1e-5), form
    with pytest.raises(DataError, match=r"got an array of shape \(32, 32, 3\); pass \[image\] for one"):
        predict_images(run, images[0])  # was read row by row
    with pytest.raises(ConfigError, match="batch_size must be a whole number >= 1, got 0"):
        predict_images(run, images, batch_size=0)


def test_metadata_run_uses_the_metadata_and_warns_when_it_is_absent(lesion_cases, tmp_path, fast):
    run = tmp_path / "run"
    fit(lesion_cases, {**fast, "metadata": True}, run)
    assert json.loads((run / "config.json").read_text())["metadata"]["sites"] == ["back", "face"]
    val = lesion_cases[lesion_cases["split"] == "val"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", MissingMetadataWarning)
        full = predict(run, val)
    older = val.assign(age=val["age"] + 50.0)  # only the metadata changes: so must the probabilities
    assert not np.allclose(predict(run, older)["prob_melanoma"], full["prob_melanoma"])
    with pytest.warns(MissingMetadataWarning, match="no age, sex, anatom_site column"):
        bare = predict(run, val.drop(columns=["age", "sex", "anatom_site"]))
    assert len(bare) == len(val)
    with pytest.raises(DataError, match="metadata=True fuses age, sex, anatom_site, but the training cases have none of them"):
        fit(lesion_cases.drop(columns=["age", "sex", "anatom_site"]), {**fast, "metadata": True}, tmp_path / "bare")  # trained on constants


def test_resume_continues_the_history(lesion_cases, tmp_path, fast):
    run = tmp_path / "run"
    fit(lesion_cases, fast, run)
    with pytest.raises(ConfigError, match="already holds a run"):
        fit(lesion_cases, fast, run)
    fit(lesion_cases, {**fast, "epochs": 2}, run, resume=True)
    history = pd.read_csv(run / "history.csv")
    assert list(history["epoch"]) == [0, 1]
    assert history["step"].tolist() == [3, 6]  # 24 training cases / batch 8
    fit(lesion_cases, {**fast, "epochs": 3}, run, resume=True)  # a second resume goes on from the first's end
    assert pd.read_csv(run / "history.csv")["step"].tolist() == [3, 6, 9]  # it used to restart from epoch 1's checkpoint
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["last.ckpt", "recipe.json"]  # not last-v1.ckpt beside it
    with pytest.raises(ConfigError, match="nope"):
        fit(lesion_cases, {**fast, "model": "nope"}, run, overwrite=True)
    assert (run / "checkpoints" / "last.ckpt").is_file()  # a failed overwrite leaves the old run whole (it deleted this)


class _Interrupt(pl.Callback):
    def on_train_epoch_start(self, trainer, pl_module):
        if trainer.current_epoch == 1:
            raise KeyboardInterrupt


def test_ctrl_c_leaves_the_last_good_model(lesion_cases, tmp_path, monkeypatch, fast):
    import signal

    monkeypatch.setattr(signal, "signal", lambda *a: None)  # Lightning ignores further Ctrl-C; keep the test process's handler
    original = pl.Trainer.__init__

    def with_interrupt(self, *args, callbacks=(), **kw):
        original(self, *args, callbacks=[*callbacks, _Interrupt()], **kw)

    monkeypatch.setattr(pl.Trainer, "__init__", with_interrupt)
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        fit(lesion_cases, {**fast, "epochs": 3}, run)
    model = load_classifier(run)  # epoch 0's export is whole
    assert model.run_config["best"]["epoch"] == 0
    assert len(pd.read_csv(run / "history.csv")) == 1
    monkeypatch.undo()
    fit(lesion_cases, {**fast, "epochs": 3}, run, resume=True)  # last.ckpt was written only when training ended: nothing to resume
    assert list(pd.read_csv(run / "history.csv")["epoch"]) == [0, 1, 2]


def test_one_class_is_a_clear_error(lesion_cases, tmp_path, fast):
    one = lesion_cases.assign(diagnosis="nevus")
    with pytest.raises(DataError, match="single class 'nevus'"):
        fit(one, fast, tmp_path / "run")
    val = lesion_cases["split"] == "val"
    bcc_in_val_only = lesion_cases.assign(diagnosis=lesion_cases["diagnosis"].where(~val | (lesion_cases.index % 2 == 0), "bcc"))
    with pytest.raises(DataError, match="the validation split has 'bcc', which the training split lacks"):
        fit(bcc_in_val_only, fast, tmp_path / "run")  # failed inside the data loader once training had begun
    assert not (tmp_path / "run").exists()


def test_missing_image_is_a_clear_error(lesion_cases, tmp_path, fast):
    lesion_cases.loc[3, "image_path"] = str(tmp_path / "gone.png")
    with pytest.raises(DataError, match="1 image file\\(s\\) missing, first: .*gone.png \\(case 'c3'\\)"):
        fit(lesion_cases, fast, tmp_path / "run")
    with pytest.raises(DataError, match="gone.png"):
        predict_missing = lesion_cases.iloc[[3]]
        from dermkit.predict import check_images_exist

        check_images_exist(predict_missing)


def test_an_image_that_cannot_be_opened_fails_before_training(lesion_cases, tmp_path, fast):
    val_image = lesion_cases.loc[lesion_cases["split"] == "val", "image_path"].iloc[0]
    with open(val_image, "wb") as f:
        f.write(b"not an image at all")
    with pytest.raises(DataError, match=r"img_6.png"):  # failed after a whole training epoch
        fit(lesion_cases, fast, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_bad_options_are_named(lesion_cases, tmp_path, fast):
    with pytest.raises(ConfigError, match="epoch \\(did you mean epochs\\?\\)"):
        fit(lesion_cases, {"epoch": 2}, tmp_path / "run")
    with pytest.raises(ConfigError, match="debias must be one of"):
        TrainConfig(debias="magic")
    with pytest.raises(ConfigError, match="unknown augment option\\(s\\) rotation; known: scale"):
        TrainConfig(augment={"rotation": 90})
    with pytest.raises(ConfigError, match="nothing to resume"):
        fit(lesion_cases, fast, tmp_path / "run", resume=True)
    with pytest.raises(ConfigError, match="choose one"):
        fit(lesion_cases, fast, tmp_path / "run", resume=True, overwrite=True)
    for field, value in (("epochs", 1.7), ("epochs", True), ("image_size", "64")):  # YAML gives such values; they used to train on
        with pytest.raises(ConfigError, match=f"{field} must be a whole number >= 1, got {value!r}"):
            TrainConfig(**{field: value})
    with pytest.raises(ConfigError, match="seed must be a whole number >= 0, got -1"):  # was numpy's ValueError mid-run
        TrainConfig(seed=-1)
    for options, message in (
        ({"seed": 5_000_000_000}, "seed must be at most 4294967295"),  # a bare ValueError from seed_everything
        ({"lr": float("inf")}, "lr must be a finite number, got inf"),  # trained and exported a NaN model
        ({"weight_decay": float("nan")}, "weight_decay must be a finite number"),
        ({"lr": True}, "lr must be a finite number, got True"),
        ({"class_weights": {"bcc": 2}}, r"class_weights must be true or false, got \{'bcc': 2\}"),  # switched inverse-frequency weights on
        ({"channels_last": [True]}, "channels_last must be true or false"),
        ({"num_workers": 1.5}, "num_workers must be a whole number >= 0, got 1.5"),
        ({"early_stopping": True}, "early_stopping must be a whole number >= 0"),
        ({"model": 5}, "model must be a name, got 5"),
        ({"max_minutes": -1}, "max_minutes must be a positive number of minutes"),
        ({"mixup": 0.2, "batch_size": 5}, "batch_size must be even, got 5"),  # timm's bare AssertionError at the first step
        ({"circle_ita_range": [60, -50]}, "circle_ita_range must be \\(low, high\\) degrees"),
        ({"circle_ita_range": [10]}, "circle_ita_range must be"),
        ({"adversarial_targets": ["artifact:"]}, "adversarial target must be 'skin_tone' or 'artifact:<name>'"),
    ):
        with pytest.raises(ConfigError, match=message):
            TrainConfig.from_dict(options)
    assert TrainConfig(adversarial_targets="skin_tone").adversarial_targets == ("skin_tone",)  # one name, not its letters
    assert TrainConfig.from_dict({"pretrained": "runs/base"}).pretrained == "runs/base"  # --pretrained PATH was refused as not a bool
    assert TrainConfig.from_dict({"pretrained": "false"}).pretrained is False
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="binary.yaml is not a text \\(UTF-8\\) YAML file"):
        TrainConfig.from_yaml(tmp_path / "binary.yaml")
    with pytest.raises(ConfigError, match="config file not found: .* \\(it is a folder\\)"):
        TrainConfig.from_yaml(tmp_path)


def test_yaml_config_and_overrides(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("model: resnet10t\nepochs: 4\naugment:\n  rotate: 0\n")
    cfg = TrainConfig.from_yaml(path, epochs=2)
    assert (cfg.model, cfg.epochs, cfg.augment) == ("resnet10t", 2, {"rotate": 0})
    path.write_text("epochs: [1\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        TrainConfig.from_yaml(path)


@contextlib.contextmanager
def _log_lines(name: str):
    """The messages logger ``name`` passes on while the block runs."""
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = Collect()
    logging.getLogger(name).addHandler(handler)
    try:
        yield seen
    finally:
        logging.getLogger(name).removeHandler(handler)


def test_quiet_lightning_hides_lightnings_banners_and_then_restores_them():
    with _log_lines("lightning.pytorch.utilities.rank_zero") as seen:
        with quiet_lightning():
            pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False)
        assert seen == []
        pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False)
        assert any("GPU available" in line for line in seen)


def test_training_does_not_log_a_line_per_checkpoint(lesion_cases, tmp_path, fast):
    with _log_lines("lightning.pytorch.trainer.connectors.checkpoint_connector") as seen:
        fit(lesion_cases, {**fast, "epochs": 2}, tmp_path / "run")
    assert not [line for line in seen if "weights_only" in line]  # "`weights_only` was not set" once per epoch's last.ckpt


def test_resume_with_another_recipe_is_refused(lesion_cases, tmp_path, fast):
    run = tmp_path / "run"
    fit(lesion_cases, {**fast, "lr": 0.01}, run)
    with pytest.raises(ConfigError, match=r"--resume continues the run .* 2 differ \(label_smoothing: 0.0 -> 0.2; lr: 0.01 -> 0.0001\)"):
        fit(lesion_cases, {**fast, "lr": 1e-4, "label_smoothing": 0.2, "epochs": 2}, run, resume=True)  # config.json recorded 1e-4, Adam kept 0.01
    with pytest.raises(ConfigError, match=r"model: 'test_resnet' -> 'test_vit'"):  # a bare state-dict RuntimeError
        fit(lesion_cases, {**fast, "model": "test_vit", "timm_kwargs": {"img_size": 32}, "epochs": 2}, run, resume=True)
    fit(lesion_cases, {**fast, "lr": 0.01, "epochs": 2, "progress": False}, run, resume=True)  # a longer budget is what resume is for
    assert list(pd.read_csv(run / "history.csv")["epoch"]) == [0, 1]


def test_a_diverged_run_stops_with_an_error_and_exports_no_model(lesion_cases, tmp_path, fast, monkeypatch):
    import dermkit.train.module as module

    nan_loss = lambda logits, *args, **kwargs: torch.full((len(logits),), float("nan"), requires_grad=True)
    monkeypatch.setattr(module, "classification_loss", nan_loss)
    with pytest.raises(DermkitError, match=r"the training loss became nan in epoch 0, batch 0: the model diverged"):
        fit(lesion_cases, fast, tmp_path / "run")  # was exported as 'best' with NaN weights; predict then wrote NaN for every case
    assert not (tmp_path / "run" / "model.safetensors").exists()


def test_a_failed_overwrite_leaves_the_earlier_run_resumable(lesion_cases, tmp_path, fast):
    run = tmp_path / "run"
    fit(lesion_cases, {**fast, "lr": 0.01}, run)
    before = {name: (run / name).read_bytes() for name in ("model.safetensors", "checkpoints/recipe.json")}
    with pytest.raises(ConfigError, match="group_column 'nope'"):  # fails while the data loaders are made, before training starts
        fit(lesion_cases, {**fast, "debias": "reweight", "group_column": "nope"}, run, overwrite=True)
    assert {name: (run / name).read_bytes() for name in before} == before  # recipe.json was the failed run's: the old run could not be resumed
    fit(lesion_cases, {**fast, "lr": 0.01, "epochs": 2}, run, resume=True)
    assert list(pd.read_csv(run / "history.csv")["epoch"]) == [0, 1]


def test_an_overwriting_run_that_exports_nothing_leaves_no_model_of_the_earlier_run(lesion_cases, tmp_path, fast, monkeypatch):
    import dermkit.train.module as module

    run = tmp_path / "run"
    fit(lesion_cases, fast, run)
    monkeypatch.setattr(module, "validation_scores", lambda acc, cm, auc: {"val_acc": acc, "val_bal_acc": torch.tensor(float("nan")), "val_auc": acc})
    with pytest.raises(DermkitError, match=r"no validation gave a finite val_bal_acc, so no model was exported"):
        fit(lesion_cases, fast, run, overwrite=True)  # exit 0 with the earlier run's model beside the new history
    assert not (run / "model.safetensors").exists() and not (run / "config.json").exists()


def test_cases_without_a_split_beside_split_ones_are_left_out_with_a_warning(lesion_cases, tmp_path, fast):
    from dermkit.cases import UnsplitCasesWarning

    lesion_cases.loc[:9, "split"] = None
    with pytest.warns(UnsplitCasesWarning, match=r"10 of 32 cases have no split and are left out of training"):  # silently dropped
        result = fit(lesion_cases, fast, tmp_path / "run")
    counts = json.loads((result.run_dir / "config.json").read_text())["class_counts"]
    assert sum(counts.values()) == int((lesion_cases["split"] == "train").sum())


def test_a_model_that_cannot_take_the_image_size_is_refused_before_training(lesion_cases, tmp_path, fast):
    with pytest.raises(ConfigError, match=r"model 'vit_tiny_patch16_224' cannot take 32 x 32 px input .*timm_kwargs=\{img_size: 32\}"):  # an AssertionError after setup
        fit(lesion_cases, {**fast, "model": "vit_tiny_patch16_224"}, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_resuming_with_other_classes_is_refused(lesion_cases, tmp_path, fast):
    three = lesion_cases.assign(diagnosis=[("bcc" if i % 8 in (0, 6) else d) for i, d in enumerate(lesion_cases["diagnosis"])])
    fit(three, fast, tmp_path / "run")
    with pytest.raises(ConfigError, match=r"1 differ \(classes: \['bcc', 'melanoma', 'nevus'\] -> \['melanoma', 'nevus'\]\)"):  # a size-mismatch RuntimeError
        fit(lesion_cases, {**fast, "epochs": 2}, tmp_path / "run", resume=True)


def test_resuming_a_run_whose_budget_is_used_up_is_an_error(lesion_cases, tmp_path, fast):
    run = tmp_path / "run"
    fit(lesion_cases, {**fast, "epochs": 2}, run)
    with pytest.raises(ConfigError, match=r"nothing left to train: the run has used its 2 epochs; give a larger --epochs"):
        fit(lesion_cases, {**fast, "epochs": 2}, run, resume=True)  # ended silently, exit 0
    with pytest.raises(ConfigError, match=r"nothing left to train: the run has done more epochs than asked .*give a larger --epochs"):
        fit(lesion_cases, {**fast, "epochs": 1}, run, resume=True)  # Lightning's MisconfigurationException traceback


def test_the_loss_curve_of_a_run_without_validation_is_drawn_without_warnings(tmp_path):
    from dermkit.train.callbacks import plot_history

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warned that the empty metrics panel had no legend entries
        plot_history(pd.DataFrame({"epoch": [0, 1], "train_loss": [1.0, 0.5]}), tmp_path / "curve.png")
    assert (tmp_path / "curve.png").stat().st_size > 1000


def test_resuming_a_run_kept_by_an_earlier_version_compares_its_classes_from_config_json(lesion_cases, tmp_path, fast):
    three = lesion_cases.assign(diagnosis=[("bcc" if i % 8 in (0, 6) else d) for i, d in enumerate(lesion_cases["diagnosis"])])
    fit(three, fast, tmp_path / "run")
    kept = tmp_path / "run" / "checkpoints" / "recipe.json"
    kept.write_text(json.dumps({k: v for k, v in json.loads(kept.read_text()).items() if k != "classes"}))  # as recipes were kept before
    with pytest.raises(ConfigError, match=r"classes: \['bcc', 'melanoma', 'nevus'\] -> \['melanoma', 'nevus'\]"):  # a size-mismatch traceback
        fit(lesion_cases, {**fast, "epochs": 2}, tmp_path / "run", resume=True)


def test_resuming_a_run_whose_time_budget_is_spent_names_the_minutes(lesion_cases, tmp_path, fast):
    run = tmp_path / "run"
    fit(lesion_cases, {**fast, "epochs": 3, "max_minutes": 0.0002}, run)
    with pytest.raises(ConfigError, match=r"nothing left to train: the run has used its time budget \(.* minutes trained\); give a larger --minutes"):
        fit(lesion_cases, {**fast, "epochs": 5, "max_minutes": 0.0002}, run, resume=True)  # also told to give a larger --epochs, as given


def test_resuming_from_a_damaged_checkpoint_is_a_clear_error(lesion_cases, tmp_path, fast):
    run = tmp_path / "run"
    fit(lesion_cases, fast, run)
    (run / "checkpoints" / "last.ckpt").write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(DataError, match=r"last.ckpt: cannot read this checkpoint .*start again with --overwrite"):  # a torch traceback
        fit(lesion_cases, {**fast, "epochs": 2}, run, resume=True)
