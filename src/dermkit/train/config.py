"""The training recipe as one validated, serialisable object (also readable from YAML).

Every option of ``dermkit train`` is a field of :class:`TrainConfig`; the CLI flags, a
``--config run.yaml`` file and the Python API all build the same object, and the run folder's
``config.json`` stores it, so a run can be repeated exactly.

Example:
    >>> cfg = TrainConfig(model="resnet18", epochs=3, loss="focal")
    >>> cfg.replace(epochs=5).epochs
    5
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from dermkit.checks import as_names, check_count, check_number
from dermkit.datasets.transforms import check_augment
from dermkit.errors import ConfigError

LOSSES = ("ce", "focal")
SAMPLERS = ("none", "class", "class_tone")
DEBIAS_METHODS = ("none", "circle", "adversarial", "reweight", "group_dro")
OPTIMIZERS = ("adamw", "sgd")
SCHEDULERS = ("cosine", "none")
PRECISIONS = ("32-true", "bf16-mixed", "16-mixed", "bf16-true", "16-true", "64-true")
"""Lightning precision settings dermkit accepts (classifier and segmenter training alike)."""


class SlowPrecisionWarning(UserWarning):
    """A bf16 precision asked for on a CPU without bf16 instructions, where torch emulates bf16."""


def warn_if_bf16_is_emulated(precision: str, accelerator: str = "auto") -> None:
    """Issue a :class:`SlowPrecisionWarning` when ``precision`` is a bf16 one and training will run on a
    CPU without AVX-512 bf16 or AMX units.

    There torch emulates bf16: on a 2-core AMD EPYC without them a U-Net / resnet18 segmenter
    trained at 0.05-0.12x the images/s of ``32-true`` in ``bf16-mixed``
    (``benchmarks/results/segmentation_train_speed_no_bf16_units``), while CPUs with the units
    train faster in bf16. Nothing is issued on a GPU, or where torch cannot tell.
    """
    import torch

    if not precision.startswith("bf16") or accelerator not in ("auto", "cpu"):
        return
    if accelerator == "auto" and (torch.cuda.is_available() or torch.backends.mps.is_available()):
        return
    probes = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    if None in probes or any(probe() for probe in probes):
        return
    warnings.warn(f"precision {precision} on this CPU, which lacks bf16 instructions (AVX-512 bf16, AMX): torch emulates bf16 "
                  "here, 8 to 20 times slower than 32-true in dermkit's segmentation benchmark; use 32-true", SlowPrecisionWarning, stacklevel=3)


def check_ema(decay: float) -> None:
    """Raise :class:`ConfigError` unless ``decay`` is an EMA decay in [0, 1) (0: no EMA); classifier and segmenter training alike."""
    if not 0 <= decay < 1:
        raise ConfigError(f"ema is a decay in [0, 1) (0 = off), got {decay}")


MAX_SEED = 2**32 - 1
"""The largest seed Lightning's ``seed_everything`` (numpy's legacy generator) takes."""

MONITORS = {"val_bal_acc": "max", "val_auc": "max", "val_acc": "max", "val_loss": "min"}


@dataclass(frozen=True)
class TrainConfig:
    """A classifier training recipe.

    Model: ``model`` (any timm name), ``pretrained`` (False or a local weights path / run folder),
    ``small_input_stem`` (3x3 stride-1 stem for 28-64 px inputs), ``drop_rate``, ``metadata``
    (fuse age/sex/site, see :mod:`dermkit.models.metadata`), ``timm_kwargs``.
    Data: ``image_size`` (images are resized, up or down, to it), ``augment`` (options of
    :func:`dermkit.datasets.transforms.create_transform`), ``mean``/``std``, ``batch_size``,
    ``num_workers``, ``sampler`` (``none``, ``class``: class-balanced, ``class_tone``: class x
    skin-tone balanced).
    Optimisation: ``epochs``, ``optimizer`` (adamw/sgd), ``lr``, ``weight_decay``, ``scheduler``
    (cosine with ``warmup_epochs`` / none), ``loss`` (ce/focal with ``focal_gamma``),
    ``class_weights`` (inverse-frequency weights), ``label_smoothing``, ``mixup``/``cutmix``
    (timm's Mixup alphas; 0 disables), ``ema`` (EMA decay of the weights, e.g. 0.999; the EMA
    model is validated and exported), ``max_minutes`` (wall-time budget: training stops there
    and the cosine schedule ends on time, whichever of ``epochs`` and minutes runs out first).
    Debiasing (:mod:`dermkit.train.debias`): ``debias`` one of none / circle / adversarial /
    reweight / group_dro; ``debias_weight`` (lambda of CIRCLe or of the adversarial heads),
    ``adversarial_targets`` (``skin_tone`` and/or ``artifact:<name>``), ``group_column`` (the
    attribute for reweight / group DRO groups, crossed with the class), ``dro_eta``,
    ``circle_ita_range`` (target ITA range of the skin-tone twin).
    Run: ``monitor`` (metric selecting the best checkpoint), ``early_stopping`` (patience in
    epochs, 0 = off), ``seed``, Lightning's ``accelerator``, ``devices``, ``strategy``,
    ``num_nodes``, ``precision``, plus ``channels_last``, ``compile``, ``progress``.
    """

    model: str = "resnet18"
    pretrained: bool | str = False
    small_input_stem: bool = False
    drop_rate: float = 0.0
    metadata: bool = False
    timm_kwargs: Mapping[str, Any] = field(default_factory=dict)
    image_size: int = 224
    augment: Mapping[str, Any] = field(default_factory=dict)
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    batch_size: int = 32
    num_workers: int = 0
    sampler: str = "none"
    epochs: int = 10
    optimizer: str = "adamw"
    lr: float = 1e-3
    weight_decay: float = 0.05
    scheduler: str = "cosine"
    warmup_epochs: float = 0.0
    loss: str = "ce"
    focal_gamma: float = 2.0
    class_weights: bool = False
    label_smoothing: float = 0.0
    mixup: float = 0.0
    cutmix: float = 0.0
    ema: float = 0.0
    max_minutes: float | None = None
    debias: str = "none"
    debias_weight: float = 1.0
    adversarial_targets: tuple[str, ...] = ("skin_tone",)
    group_column: str = "skin_tone"
    dro_eta: float = 0.01
    circle_ita_range: tuple[float, float] = (-50.0, 60.0)
    monitor: str = "val_bal_acc"
    early_stopping: int = 0
    seed: int = 0
    accelerator: str = "auto"
    devices: int | str = "auto"
    strategy: str = "auto"
    num_nodes: int = 1
    precision: str = "32-true"
    channels_last: bool = False
    compile: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        for name, allowed in (("loss", LOSSES), ("sampler", SAMPLERS), ("debias", DEBIAS_METHODS), ("optimizer", OPTIMIZERS), ("scheduler", SCHEDULERS), ("monitor", tuple(MONITORS)), ("precision", PRECISIONS)):
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        for name in ("model", "group_column"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"{name} must be a name, got {getattr(self, name)!r}")
        for name in ("small_input_stem", "metadata", "class_weights", "channels_last", "compile", "progress"):
            if not isinstance(getattr(self, name), bool):  # a dict of per-class weights used to switch class_weights on
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if not isinstance(self.pretrained, (str, os.PathLike)) and self.pretrained is not False:
            raise ConfigError(f"pretrained must be false or the path of local weights / a run folder, got {self.pretrained!r}")
        for name, minimum in (("epochs", 1), ("batch_size", 1), ("image_size", 1), ("num_nodes", 1), ("seed", 0), ("early_stopping", 0), ("num_workers", 0)):
            check_count(name, getattr(self, name), minimum)  # YAML's 1.7 or true would train on silently
        if self.seed > MAX_SEED:
            raise ConfigError(f"seed must be at most {MAX_SEED} (numpy's limit), got {self.seed}")
        for name in ("lr", "debias_weight", "dro_eta", "weight_decay", "drop_rate", "label_smoothing", "mixup", "cutmix", "warmup_epochs", "focal_gamma", "ema"):
            check_number(name, getattr(self, name))  # NaN or inf trained a NaN model
        for name in ("lr", "debias_weight", "dro_eta"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("weight_decay", "drop_rate", "label_smoothing", "mixup", "cutmix", "warmup_epochs", "focal_gamma"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be non-negative, got {getattr(self, name)}")
        check_ema(self.ema)
        if self.label_smoothing >= 1 or self.drop_rate >= 1:
            raise ConfigError("label_smoothing and drop_rate must be below 1")
        if self.max_minutes is not None and not (isinstance(self.max_minutes, numbers.Real) and math.isfinite(self.max_minutes) and self.max_minutes > 0):
            raise ConfigError(f"max_minutes must be a positive number of minutes (or unset), got {self.max_minutes!r}")
        if (self.mixup > 0 or self.cutmix > 0) and self.batch_size % 2:
            raise ConfigError(f"mixup and cutmix pair the images of a batch: batch_size must be even, got {self.batch_size}")
        targets = as_names(self.adversarial_targets)
        for target in targets:
            if target != "skin_tone" and not (target.startswith("artifact:") and len(target) > len("artifact:")):
                raise ConfigError(f"adversarial target must be 'skin_tone' or 'artifact:<name>' (e.g. artifact:ruler), got {target!r}")
        ita = self.circle_ita_range
        if not (isinstance(ita, (list, tuple)) and len(ita) == 2 and all(isinstance(v, numbers.Real) and -90 <= v <= 90 for v in ita) and ita[0] < ita[1]):
            raise ConfigError(f"circle_ita_range must be (low, high) degrees with -90 <= low < high <= 90, got {ita!r}")
        object.__setattr__(self, "adversarial_targets", tuple(targets))
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))
        object.__setattr__(self, "circle_ita_range", tuple(float(v) for v in self.circle_ita_range))
        object.__setattr__(self, "augment", check_augment(self.augment))
        object.__setattr__(self, "timm_kwargs", dict(self.timm_kwargs))

    @property
    def monitor_mode(self) -> str:
        """``max`` or ``min``: which direction of ``monitor`` is better."""
        return MONITORS[self.monitor]

    def replace(self, **changes: Any) -> "TrainConfig":
        """A copy with some fields changed (validated again)."""
        return self.from_dict({**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        """JSON/YAML-ready fields."""
        out = dataclasses.asdict(self)
        for k, v in out.items():
            if isinstance(v, tuple):
                out[k] = list(v)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TrainConfig":
        """Build from a mapping; an unknown key is a :class:`ConfigError` naming it."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            import difflib

            hints = [f"{u} (did you mean {m[0]}?)" if (m := difflib.get_close_matches(u, names, 1)) else u for u in unknown]
            raise ConfigError(f"unknown training option(s): {', '.join(hints)}")
        try:
            return cls(**{k: _coerce(k, v) for k, v in data.items()})
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"bad training option: {exc}") from None

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str], **overrides: Any) -> "TrainConfig":
        """Read a YAML file of options (``overrides`` win over the file).

        Example:
            >>> TrainConfig.from_yaml("run.yaml", epochs=2)  # doctest: +SKIP
        """
        import yaml

        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file not found: {p}" + (" (it is a folder)" if p.is_dir() else ""))
        try:
            data = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p} is not valid YAML: {str(exc).splitlines()[0]}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{p} is not a text (UTF-8) YAML file") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{p}: expected a mapping of option: value")
        try:
            return cls.from_dict({**data, **overrides})
        except ConfigError as exc:
            raise ConfigError(f"{p}: {exc}") from None


_DEFAULTS = {f.name: f.default for f in dataclasses.fields(TrainConfig) if f.default is not dataclasses.MISSING}


def _coerce(name: str, value: Any) -> Any:
    """Convert text (from YAML or the command line) to the type of the field's default."""
    default = _DEFAULTS.get(name)
    if name == "pretrained" and isinstance(value, str):  # false, or a path (the default False is no guide to the type)
        return False if value.strip().lower() in {"false", "no", "0", ""} else value
    if not isinstance(value, str) or isinstance(default, str) or default is None:
        return value
    try:
        if isinstance(default, bool):
            if value.strip().lower() not in {"true", "false", "1", "0", "yes", "no"}:
                raise ValueError(value)
            return value.strip().lower() in {"true", "1", "yes"}
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        raise ConfigError(f"option {name} expects a {type(default).__name__}, got {value!r}") from None
    return value
