"""Checkpoints: round trip, atomic pair, refusing mismatched or foreign folders."""

from __future__ import annotations

import json

import pytest
import torch

from dermkit.errors import ConfigError, DataError
from dermkit.models import create_classifier, load_checkpoint, load_classifier, save_checkpoint

CONFIG = {"task": "classification", "classes": ["a", "b", "c"], "input_size": 32}


def _tiny(num_classes=3, **kw):
    torch.manual_seed(0)
    return create_classifier("test_resnet", num_classes, **kw)


def test_round_trip_restores_weights_and_config(tmp_path):
    model = _tiny()
    save_checkpoint(model, {**CONFIG, "architecture": model.architecture}, tmp_path / "run")
    state, config = load_checkpoint(tmp_path / "run")
    assert config["classes"] == ["a", "b", "c"] and config["dermkit_version"]
    assert set(state) == set(model.state_dict())
    for k, v in model.state_dict().items():
        assert torch.equal(state[k], v), k
    loaded = load_classifier(tmp_path / "run")
    x = torch.randn(2, 3, 32, 32)
    model.eval()
    assert torch.allclose(loaded(x), model(x))
    assert loaded.run_config["input_size"] == 32
    assert not list((tmp_path / "run").glob(".*tmp*"))  # no temporary files left behind


def test_config_needs_task_and_architecture(tmp_path):
    with pytest.raises(ConfigError, match="architecture"):
        save_checkpoint(_tiny(), {"task": "classification"}, tmp_path)


def test_weights_from_another_run_are_refused(tmp_path):
    a, b = _tiny(), _tiny()
    save_checkpoint(a, {**CONFIG, "architecture": a.architecture}, tmp_path / "a")
    torch.nn.init.ones_(b.head[1].weight)
    save_checkpoint(b, {**CONFIG, "architecture": b.architecture}, tmp_path / "b")
    (tmp_path / "a" / "model.safetensors").write_bytes((tmp_path / "b" / "model.safetensors").read_bytes())
    with pytest.raises(DataError, match="different runs"):
        load_checkpoint(tmp_path / "a")
    weights = (tmp_path / "b" / "model.safetensors").read_bytes()
    (tmp_path / "b" / "model.safetensors").write_bytes(weights[: len(weights) // 2])  # cut short: damaged, not another run's
    with pytest.raises(DataError, match=r"cannot read weights .*model.safetensors \(damaged or not a safetensors file\)"):
        load_checkpoint(tmp_path / "b")


def test_checkpoint_of_another_model_is_a_clear_error(tmp_path):
    small = _tiny()
    save_checkpoint(small, {**CONFIG, "architecture": small.architecture}, tmp_path / "run")
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    config["architecture"]["name"] = "resnet10t"  # config claims another architecture
    config.pop("weights_sha256")
    (tmp_path / "run" / "config.json").write_text(json.dumps(config))
    with pytest.raises(DataError, match="do not fit architecture 'resnet10t'"):
        load_classifier(tmp_path / "run")


def test_segmentation_checkpoint_is_not_a_classifier(tmp_path):
    save_checkpoint({"w": torch.zeros(2)}, {"task": "segmentation", "architecture": {"name": "unet"}}, tmp_path)
    with pytest.raises(DataError, match="segmentation model, not a classifier"):
        load_classifier(tmp_path)


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "run folder not found"),
    (lambda p: p.write_text("a file"), r"run is a file, not a run folder"),  # was "run folder not found"
    (lambda p: p.mkdir(), "no config.json"),
    (lambda p: (p.mkdir(), (p / "config.json").write_text("{oops")), "not valid JSON"),
    (lambda p: (p.mkdir(), (p / "config.json").write_text('{"task": "x"}')), "not a dermkit checkpoint"),
])
def test_bad_folders(tmp_path, setup, message):
    run = tmp_path / "run"
    setup(run)
    with pytest.raises(DataError, match=message):
        load_checkpoint(run)


def test_read_weights_file_unwraps_lightning_and_names_bad_files(tmp_path):
    from dermkit.models.checkpoint import read_weights_file

    torch.save({"state_dict": {"w": torch.ones(2)}, "epoch": 3}, tmp_path / "last.ckpt")
    assert torch.equal(read_weights_file(tmp_path / "last.ckpt")["w"], torch.ones(2))
    (tmp_path / "broken.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(DataError, match="cannot read weights .*broken.safetensors"):
        read_weights_file(tmp_path / "broken.safetensors")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match=r"cannot read weights .*notes.txt: not a readable .safetensors, .pth, .pt or .ckpt file \(\w+Error"):
        read_weights_file(tmp_path / "notes.txt")
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(DataError, match="expected a state dict of tensors, got list"):
        read_weights_file(tmp_path / "list.pt")
    with pytest.raises(DataError, match="weights file not found"):
        read_weights_file(tmp_path / "nope.pth")
