"""Image classifiers over timm: any timm CNN or ViT as a backbone, a linear head, optional
metadata fusion, and a 3x3 stride-1 stem for tiny inputs (28-64 px).

A :class:`Classifier` exposes its image embedding (:meth:`Classifier.embed`) separately from
its head (:meth:`Classifier.classify`), which the debiasing regularisers of
:mod:`dermkit.train` need. Its ``architecture`` dict holds the keyword arguments of
:func:`create_classifier` that rebuild it, and is stored in every checkpoint.

Example:
    >>> model = create_classifier("resnet18", num_classes=7, small_input_stem=True)
    >>> model(torch.zeros(2, 3, 28, 28)).shape
    torch.Size([2, 7])
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from dermkit.checks import check_count
from dermkit.errors import ConfigError, DataError


class Classifier(nn.Module):
    """A timm backbone (global-pooled features) followed by an optional metadata branch and a linear head.

    ``forward(x, meta=None)`` returns logits; ``embed(x)`` the pooled image embedding;
    ``classify(embedding, meta)`` the logits from an embedding.
    """

    def __init__(self, backbone: nn.Module, num_classes: int, metadata_dim: int = 0, metadata_hidden: int = 64, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.backbone = backbone
        self.num_features = int(backbone.num_features)
        self.metadata_dim = int(metadata_dim)
        self.metadata = (
            nn.Sequential(nn.Linear(metadata_dim, metadata_hidden), nn.ReLU(inplace=True), nn.Linear(metadata_hidden, metadata_hidden), nn.ReLU(inplace=True))
            if metadata_dim
            else None
        )
        fused = self.num_features + (metadata_hidden if metadata_dim else 0)
        self.head = nn.Sequential(nn.Dropout(drop_rate), nn.Linear(fused, num_classes))
        self.architecture: dict[str, Any] = {}
        self.run_config: dict[str, Any] | None = None

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled image embedding, shape ``(N, num_features)``."""
        return self.backbone(x)

    def classify(self, embedding: torch.Tensor, meta: torch.Tensor | None = None) -> torch.Tensor:
        """Logits from an image embedding (and the encoded metadata when the model fuses it)."""
        if self.metadata is not None:
            if meta is None:
                raise ConfigError("this classifier fuses patient metadata: pass `meta` (see dermkit.models.metadata)")
            if meta.ndim != 2 or meta.shape[1] != self.metadata_dim:
                raise DataError(f"meta must have shape (N, {self.metadata_dim}) for this classifier, got {tuple(meta.shape)}")
            embedding = torch.cat([embedding, self.metadata(meta.to(embedding.dtype))], dim=1)
        return self.head(embedding)

    def forward(self, x: torch.Tensor, meta: torch.Tensor | None = None) -> torch.Tensor:
        """Logits of shape ``(N, num_classes)``."""
        return self.classify(self.embed(x), meta)


def list_classifiers(pattern: str = "*") -> list[str]:
    """Names accepted by :func:`create_classifier` (timm's model registry), filtered by a glob pattern.

    Example:
        >>> "resnet18" in list_classifiers("resnet1*")
        True
    """
    import timm

    return timm.list_models(pattern)


def create_classifier(
    name: str,
    num_classes: int,
    pretrained: bool | str | os.PathLike[str] = False,
    *,
    small_input_stem: bool = False,
    metadata_dim: int = 0,
    drop_rate: float = 0.0,
    in_chans: int = 3,
    **timm_kwargs: Any,
) -> Classifier:
    """Build a :class:`Classifier` on the timm model ``name``.

    ``pretrained`` is ``False`` or a path to
    local weights: a ``.safetensors`` / ``.pth`` file of the timm model or a dermkit run folder;
    tensors whose name and shape fit the backbone are loaded, the rest (e.g. another head) skipped.
    ``small_input_stem`` swaps a ResNet's 7x7 stride-2 stem and max-pool (or an EfficientNet /
    MobileNet stem's stride) for a 3x3 stride-1 one, for inputs of 28-64 px. ``metadata_dim`` > 0
    adds a metadata branch fused before the head. Extra keywords go to ``timm.create_model``
    (e.g. ``img_size=64`` for a ViT).

    Example:
        >>> m = create_classifier("resnet18", 2, small_input_stem=True)
        >>> m.architecture["name"], m.num_features
        ('resnet18', 512)
    """
    import timm

    if pretrained is True:
        raise ConfigError("pretrained=True would download weights (dermkit never does); pass False or a local weights file / run folder")
    check_count("num_classes", num_classes, 2)
    check_count("metadata_dim", metadata_dim, 0)
    check_count("in_chans", in_chans, 1)
    if isinstance(drop_rate, bool) or not isinstance(drop_rate, (int, float)) or not 0.0 <= drop_rate < 1.0:
        raise ConfigError(f"drop_rate must be a number in [0, 1), got {drop_rate!r}")
    if not timm.is_model(name):
        close = difflib.get_close_matches(name, timm.list_models(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `dermkit.models.list_classifiers()` lists them"
        raise ConfigError(f"unknown model {name!r}{hint}")
    try:
        backbone = timm.create_model(name, pretrained=False, num_classes=0, in_chans=in_chans, **timm_kwargs)
    except TypeError as exc:
        raise ConfigError(f"model {name!r} does not accept these options {sorted(timm_kwargs)}: {exc}") from None
    if small_input_stem:
        _small_input_stem(backbone, name)
    if pretrained not in (False, None):
        _load_backbone_weights(backbone, Path(pretrained))
    model = Classifier(backbone, num_classes, metadata_dim=metadata_dim, drop_rate=drop_rate)
    model.architecture = {
        "name": name,
        "num_classes": int(num_classes),
        "small_input_stem": bool(small_input_stem),
        "metadata_dim": int(metadata_dim),
        "drop_rate": float(drop_rate),
        "in_chans": int(in_chans),
        **timm_kwargs,
    }
    return model


def load_classifier(run_dir: str | os.PathLike[str], device: str | torch.device = "cpu") -> Classifier:
    """Rebuild the classifier saved in ``run_dir`` (see :mod:`dermkit.models.checkpoint`), in eval mode.

    The run's config is attached as ``model.run_config`` (classes, input size, normalisation...).
    A folder holding another kind of model, or weights that do not fit the recorded architecture,
    raises :class:`DataError` naming the folder.

    Example:
        >>> model = load_classifier("runs/a")  # doctest: +SKIP
        >>> model.run_config["classes"]  # doctest: +SKIP
    """
    from dermkit.models.checkpoint import load_checkpoint, read_checkpoint_config

    config = read_checkpoint_config(run_dir)
    if config["task"] != "classification":
        raise DataError(f"{run_dir} holds a {config['task']} model, not a classifier")
    arch = dict(config["architecture"])
    if "name" not in arch or "num_classes" not in arch:
        raise DataError(f"{run_dir}/config.json: architecture lacks name/num_classes")
    try:
        model = create_classifier(arch.pop("name"), arch.pop("num_classes"), **arch)
    except ConfigError as exc:
        raise DataError(f"{run_dir}: cannot rebuild its architecture: {exc}") from None
    state, _ = load_checkpoint(run_dir)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise DataError(f"{run_dir}: weights do not fit architecture {config['architecture'].get('name')!r} ({_first_line(exc)})") from None
    classes = config.get("classes")
    outputs = model.head[-1].out_features
    if not isinstance(classes, list) or len(classes) != outputs:  # an IndexError mid-prediction
        count = len(classes) if isinstance(classes, list) else "no"
        raise DataError(f"{run_dir}/config.json lists {count} classes but the model has {outputs} outputs; the run folder is damaged")
    model.run_config = config
    return model.to(device).eval()


def _small_input_stem(backbone: nn.Module, name: str) -> None:
    conv1 = getattr(backbone, "conv1", None)
    if isinstance(conv1, nn.Conv2d):  # ResNet: 7x7/2 conv + 3x3/2 max-pool -> 3x3/1 conv
        backbone.conv1 = nn.Conv2d(conv1.in_channels, conv1.out_channels, 3, 1, 1, bias=False)
    elif isinstance(conv1, nn.Sequential) and isinstance(conv1[0], nn.Conv2d):  # ResNet-D deep stem
        conv1[0].stride = (1, 1)
    elif isinstance(getattr(backbone, "conv_stem", None), nn.Conv2d):  # EfficientNet / MobileNet
        backbone.conv_stem.stride = (1, 1)
    else:
        raise ConfigError(f"small_input_stem supports ResNet, EfficientNet and MobileNet families, not {name!r}; for a ViT pass img_size/patch_size")
    if isinstance(getattr(backbone, "maxpool", None), nn.Module):
        backbone.maxpool = nn.Identity()


def _load_backbone_weights(backbone: nn.Module, path: Path) -> None:
    if path.is_dir():
        from dermkit.models.checkpoint import load_checkpoint

        state, _ = load_checkpoint(path)
        state = {k.removeprefix("backbone."): v for k, v in state.items() if k.startswith("backbone.")}
    elif path.is_file():
        from dermkit.models.checkpoint import read_weights_file

        state = read_weights_file(path)
    else:
        raise DataError(f"pretrained weights not found: {path}")
    own = backbone.state_dict()
    fitting = {k: v for k, v in state.items() if k in own and tuple(v.shape) == tuple(own[k].shape)}
    if not fitting:
        raise DataError(f"{path}: no tensor fits the backbone (is it weights of another model?)")
    backbone.load_state_dict(fitting, strict=False)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().replace("\n\t", " ").replace("\n", " ")
    return text[:300]
