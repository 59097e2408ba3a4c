"""create_classifier: timm backbones, small-input stem, metadata fusion, local pretrained weights."""

from __future__ import annotations

import pytest
import torch

from dermkit.errors import ConfigError, DataError
from dermkit.models import create_classifier, save_checkpoint
from dermkit.models.metadata import MetadataEncoder


def test_small_input_stem_keeps_resolution():
    plain = create_classifier("resnet18", 7).eval()
    small = create_classifier("resnet18", 7, small_input_stem=True).eval()
    x = torch.zeros(1, 3, 28, 28)
    # ResNet-18 downsamples 32x; with the 3x3/1 stem and no max-pool only 8x: 28 px -> 4x4 feature map.
    assert plain.backbone.forward_features(x).shape[-1] == 1
    assert small.backbone.forward_features(x).shape[-1] == 4
    assert small.backbone.conv1.kernel_size == (3, 3) and small.backbone.conv1.stride == (1, 1)
    assert small(x).shape == (1, 7)


def test_vit_backbone():
    model = create_classifier("test_vit", 3, img_size=32)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 3)
    assert model.architecture["img_size"] == 32


def test_unknown_model_suggests_names():
    with pytest.raises(ConfigError, match="did you mean.*resnet18"):
        create_classifier("resnet-18", 2)


@pytest.mark.parametrize("option, value, message", [
    ("num_classes", 1, "num_classes must be a whole number >= 2, got 1"),
    ("num_classes", "7", "num_classes must be a whole number >= 2, got '7'"),  # was a bare TypeError
    ("num_classes", 7.5, "num_classes must be a whole number >= 2, got 7.5"),
    ("metadata_dim", -1, "metadata_dim must be a whole number >= 0, got -1"),  # a torch RuntimeError
    ("in_chans", 0, "in_chans must be a whole number >= 1, got 0"),  # was accepted
    ("drop_rate", 2, r"drop_rate must be a number in \[0, 1\), got 2"),  # a torch ValueError
])
def test_bad_options_are_named(option, value, message):
    options = {"num_classes": 2, option: value}
    with pytest.raises(ConfigError, match=message):
        create_classifier("test_resnet", **options)


def test_pretrained_true_is_refused_as_a_download():
    with pytest.raises(ConfigError, match="pretrained=True would download weights"):
        create_classifier("test_resnet", 2, pretrained=True)  # offline: 40 s of retries, then a bare hub error


def test_small_stem_on_unsupported_family():
    with pytest.raises(ConfigError, match="small_input_stem"):
        create_classifier("test_vit", 2, small_input_stem=True)


def test_metadata_fusion_changes_logits():
    torch.manual_seed(0)
    enc = MetadataEncoder(("back", "face"))
    model = create_classifier("test_resnet", 2, metadata_dim=enc.dim).eval()
    x = torch.zeros(2, 3, 32, 32)
    meta = torch.tensor([[0.3, 0, 1, 0, 1, 0], [0.8, 0, 0, 1, 0, 1]], dtype=torch.float32)
    out = model(x, meta)
    assert not torch.allclose(out[0], out[1])  # same image, different metadata
    with pytest.raises(ConfigError, match="meta"):
        model(x)
    with pytest.raises(DataError, match=r"meta must have shape \(N, 6\) for this classifier, got \(2, 5\)"):
        model(x, meta[:, :5])  # was a bare matrix-shape RuntimeError


def test_pretrained_from_local_file_and_run_folder(tmp_path):
    torch.manual_seed(1)
    source = create_classifier("test_resnet", 5)
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in source.backbone.state_dict().items()}, str(tmp_path / "w.safetensors"))
    save_checkpoint(source, {"task": "classification", "architecture": source.architecture}, tmp_path / "run")
    for weights in (tmp_path / "w.safetensors", tmp_path / "run"):
        target = create_classifier("test_resnet", 2, pretrained=weights)  # other head: skipped
        for k, v in source.backbone.state_dict().items():
            assert torch.equal(target.backbone.state_dict()[k], v), k
    with pytest.raises(DataError, match="no tensor fits"):
        create_classifier("test_vit", 2, pretrained=tmp_path / "w.safetensors", img_size=32)
    with pytest.raises(DataError, match="not found"):
        create_classifier("test_resnet", 2, pretrained=tmp_path / "nope.pth")
