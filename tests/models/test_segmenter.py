import pytest
import torch

from dermkit.errors import ConfigError, DataError
from dermkit.models.segmenter import (
    ARCHITECTURES,
    create_segmenter,
    load_segmenter,
    load_weights,
    save_segmenter,
    segmenter_config,
)


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_every_architecture_gives_one_logit_per_pixel(arch):
    model = create_segmenter(arch, "resnet18").eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 64, 96)).shape == (1, 1, 64, 96)


@pytest.mark.parametrize("encoder", ["tu-convnext_atto", "mit_b0"])
def test_transformer_and_timm_encoders(encoder):
    with torch.no_grad():
        assert create_segmenter("fpn", encoder).eval()(torch.zeros(1, 3, 64, 64)).shape == (1, 1, 64, 64)


def test_bad_names_and_no_downloads():
    with pytest.raises(ConfigError, match="unknown segmentation architecture 'segnet'"):
        create_segmenter("segnet")
    with pytest.raises(ConfigError, match="cannot build unet with encoder 'resnet999'"):
        create_segmenter("unet", "resnet999")
    with pytest.raises(ConfigError, match="download"):
        create_segmenter("unet", pretrained=True)


def test_save_load_round_trip(tmp_path):
    model = create_segmenter("unet++", "resnet18").eval()
    save_segmenter(model, segmenter_config("unetplusplus", "resnet18", input_size=64), tmp_path)
    loaded, config = load_segmenter(tmp_path)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))
    assert config["input_size"] == 64


def test_encoder_weights_from_a_timm_model_file(tmp_path):
    import timm
    from safetensors.torch import save_file

    backbone = timm.create_model("resnet18", num_classes=0)
    save_file({f"backbone.{k}": v.contiguous() for k, v in backbone.state_dict().items()}, str(tmp_path / "enc.safetensors"))
    model = create_segmenter("unet", "tu-resnet18", pretrained=tmp_path / "enc.safetensors")
    assert torch.equal(model.encoder.model.conv1.weight, backbone.conv1.weight)


def test_wrong_weights_and_wrong_runs(tmp_path):
    torch.save({"foo.weight": torch.zeros(3)}, tmp_path / "w.pt")
    with pytest.raises(DataError, match="match neither"):
        load_weights(create_segmenter(), tmp_path / "w.pt")
    with pytest.raises(DataError, match="not found"):
        create_segmenter(pretrained=tmp_path / "missing.pt")
    from dermkit.models.checkpoint import save_checkpoint

    save_checkpoint({"w": torch.zeros(1)}, {"task": "classification", "architecture": {}}, tmp_path / "clf")
    with pytest.raises(DataError, match="not a segmentation run"):
        load_segmenter(tmp_path / "clf")
