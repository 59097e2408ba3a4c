"""Lesion segmenters: segmentation-models-pytorch architectures over timm / smp encoders.

:func:`create_segmenter` is the one place a segmentation network is built (timm's
``create_model`` style): an smp architecture (U-Net, U-Net++, DeepLabV3+, FPN, MAnet) with any smp
encoder (``resnet18``, ``mit_b0``, ...) or any timm encoder through smp's ``tu-`` prefix
(``tu-convnext_atto``, ``tu-swin_tiny_patch4_window7_224``, ...). The network outputs one logit
channel (lesion). Checkpoints use the classifiers' format (``dermkit.models.checkpoint``).

Example:
    >>> model = create_segmenter("unet", "resnet18")
    >>> model(torch.zeros(1, 3, 64, 64)).shape
    torch.Size([1, 1, 64, 64])
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from dermkit.checks import check_count
from dermkit.errors import ConfigError, DataError

# dermkit name -> smp architecture name
ARCHITECTURES: dict[str, str] = {
    "unet": "Unet",
    "unetplusplus": "UnetPlusPlus",
    "deeplabv3plus": "DeepLabV3Plus",
    "fpn": "FPN",
    "manet": "MAnet",
}
_ALIASES = {"unet++": "unetplusplus", "deeplabv3+": "deeplabv3plus"}


def create_segmenter(
    arch: str = "unet",
    encoder: str = "resnet18",
    pretrained: bool | str | os.PathLike[str] = False,
    in_channels: int = 3,
) -> torch.nn.Module:
    """Build a binary lesion segmenter (one logit channel) from an smp architecture and encoder.

    ``pretrained=False`` starts from random weights (nothing is downloaded). A path loads weights
    from a ``.safetensors`` / ``.pt`` / ``.pth`` file or a dermkit run folder: either a whole
    segmenter's state dict or an encoder's (e.g. a classifier backbone). ``pretrained=True`` is
    refused, because dermkit never downloads weights.

    Example:
        >>> create_segmenter("fpn", "tu-convnext_atto").__class__.__name__
        'FPN'
    """
    import segmentation_models_pytorch as smp

    name = _ALIASES.get(arch.lower(), arch.lower())
    if name not in ARCHITECTURES:
        raise ConfigError(f"unknown segmentation architecture {arch!r}; known: {', '.join(ARCHITECTURES)}")
    if pretrained is True:
        raise ConfigError("pretrained=True would download weights; pass False or a local weights file / run folder")
    check_count("in_channels", in_channels, 1)
    try:
        model = smp.create_model(ARCHITECTURES[name], encoder_name=encoder, encoder_weights=None, in_channels=in_channels, classes=1)
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise ConfigError(f"cannot build {name} with encoder {encoder!r}: {str(exc).splitlines()[0]}") from None
    if pretrained:
        if not Path(pretrained).exists():
            raise DataError(f"pretrained weights not found: {pretrained} (dermkit never downloads weights: give a local weights file or run folder)")
        load_weights(model, pretrained)
    return model


def load_weights(model: torch.nn.Module, source: str | os.PathLike[str]) -> torch.nn.Module:
    """Load a whole-segmenter or encoder-only state dict from a file or run folder into ``model``.

    Encoder weights may come from a dermkit classifier run (``backbone.`` keys), a timm model or
    an smp encoder (``encoder.`` keys); Lightning's ``model.`` prefix is accepted. A source whose
    keys match neither the model nor 90% of its encoder raises :class:`DataError` naming it.

    Example:
        >>> load_weights(create_segmenter("unet", "tu-resnet18"), "runs/classifier")  # doctest: +SKIP
    """
    path = Path(source)
    state = _read_state_dict(path)
    model_keys = set(model.state_dict())
    for candidate in (state, _strip(state, "model.")):
        if set(candidate) == model_keys:
            model.load_state_dict(candidate)
            return model
    encoder = getattr(model, "encoder", None)
    if encoder is None:
        example = next(iter(sorted(set(state) ^ model_keys)))
        raise DataError(f"{path}: weights do not match this segmenter (e.g. key {example!r} is in only one of them)")
    enc_state = encoder.state_dict()
    candidates = [_strip(_strip(state, p), "model.") for p in ("encoder.", "backbone.", "")]
    candidates += [{"model." + k: v for k, v in c.items()} for c in candidates]  # timm weights into a tu- encoder
    best = max(candidates, key=lambda c: len(enc_state.keys() & c.keys()))
    matched = sorted(enc_state.keys() & best.keys())
    misshapen = [k for k in matched if best[k].shape != enc_state[k].shape]
    if matched and not misshapen and len(matched) >= 0.9 * len(enc_state):
        encoder.load_state_dict({k: best[k] for k in matched}, strict=False)
        return model
    missing = sorted(enc_state.keys() - best.keys())
    example = f"{misshapen[0]!r} of another shape" if misshapen else f"no {missing[0]!r}"
    raise DataError(
        f"{path}: weights match neither this segmenter nor its encoder ({len(matched)} of the encoder's {len(enc_state)} tensors "
        f"found, {len(misshapen)} of them of another shape; e.g. {example}): are they of another architecture or encoder?"
    )


def _strip(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k.removeprefix(prefix): v for k, v in state.items()}


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Weights from a run folder or a weights file."""
    from dermkit.models.checkpoint import load_checkpoint, read_weights_file

    return dict(load_checkpoint(path)[0]) if path.is_dir() else read_weights_file(path)


def segmenter_config(arch: str, encoder: str, in_channels: int = 3, **extra: Any) -> dict[str, Any]:
    """The checkpoint config of a segmenter: ``task``, the ``architecture`` that rebuilds it, and ``extra``.

    ``extra`` holds the inference settings (``input_size``, ``mean``, ``std``, ``preprocessing``,
    ``postprocessing``) that :func:`dermkit.segment.predict_masks` reads back.

    Example:
        >>> segmenter_config("unet", "resnet18", input_size=128)["architecture"]
        {'arch': 'unet', 'encoder': 'resnet18', 'in_channels': 3}
    """
    return {"task": "segmentation", "architecture": {"arch": arch, "encoder": encoder, "in_channels": in_channels}, **extra}


def save_segmenter(model: torch.nn.Module, config: dict[str, Any], run_dir: str | os.PathLike[str]) -> Path:
    """Write a segmenter and its config (see :func:`segmenter_config`) in the classifiers' checkpoint format.

    Example:
        >>> save_segmenter(model, segmenter_config("unet", "resnet18"), "run")  # doctest: +SKIP
    """
    from dermkit.models.checkpoint import save_checkpoint

    if config.get("task") != "segmentation":
        raise ConfigError("segmenter config must come from segmenter_config() (task='segmentation')")
    return save_checkpoint(model, config, run_dir)


def load_segmenter(run_dir: str | os.PathLike[str]) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Rebuild a saved segmenter in eval mode; return ``(model, config)``.

    A run folder holding a classifier (or anything but a segmenter) raises :class:`DataError`.

    Example:
        >>> model, config = load_segmenter("runs/seg")  # doctest: +SKIP
    """
    from dermkit.models.checkpoint import load_checkpoint

    state, config = load_checkpoint(run_dir)
    if config.get("task") != "segmentation":
        raise DataError(f"{run_dir}: not a segmentation run (config task={config.get('task')!r})")
    model = create_segmenter(**config["architecture"])
    weights = {k.removeprefix("model."): v for k, v in state.items()}
    expected = model.state_dict()
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    misshapen = [k for k in expected if k in weights and weights[k].shape != expected[k].shape]
    if missing or unexpected or misshapen:
        arch = ", ".join(f"{k}={v}" for k, v in config["architecture"].items())
        first = (f"missing {missing[0]!r}" if missing else f"unexpected {unexpected[0]!r}" if unexpected else f"{misshapen[0]!r} of another shape")
        raise DataError(f"{run_dir}: the weights do not fit the model config.json describes ({arch}): {len(missing)} missing, "
                        f"{len(unexpected)} unexpected and {len(misshapen)} misshapen tensors, e.g. {first}")
    model.load_state_dict(weights)
    return model.eval(), config
