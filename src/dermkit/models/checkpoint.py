"""Checkpoints: a run folder holding ``model.safetensors`` and ``config.json``.

A checkpoint carries everything needed to rebuild and use a model without training code: the
architecture (so :func:`dermkit.models.create_classifier` can rebuild it), the class names, the
input size, the normalisation and preprocessing, and the dermkit version that wrote it. Both
files are written atomically (weights first, config last), and the config records the SHA-256 of
the weights, so a folder whose two files come from different runs is refused on load.

Example:
    >>> save_checkpoint(model, {"task": "classification", "classes": ["nevus", "melanoma"],
    ...                         "architecture": {"name": "resnet18", "num_classes": 2}}, "runs/a")  # doctest: +SKIP
    >>> state_dict, config = load_checkpoint("runs/a")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Mapping

import torch

from dermkit.errors import ConfigError, DataError
from dermkit.io import atomic_path, write_json

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
CHECKPOINT_FORMAT = "dermkit-checkpoint/1"
REQUIRED_KEYS = ("task", "architecture")


def save_checkpoint(model: torch.nn.Module | Mapping[str, torch.Tensor], config: Mapping[str, Any], run_dir: str | os.PathLike[str]) -> Path:
    """Write ``run_dir/model.safetensors`` and ``run_dir/config.json`` atomically; return ``run_dir``.

    ``model`` is a module or a state dict. ``config`` must hold ``task`` (e.g. ``"classification"``
    or ``"segmentation"``) and ``architecture`` (the keyword arguments that rebuild the model), and
    should hold ``classes``, ``input_size``, ``mean``, ``std`` and ``preprocessing``; the format tag,
    the dermkit version and the weights' SHA-256 are added here.

    Example:
        >>> save_checkpoint(model, {"task": "classification", "architecture": {"name": "resnet18", "num_classes": 7}}, "run")  # doctest: +SKIP
    """
    from safetensors.torch import save_file

    from dermkit import __version__

    missing = [k for k in REQUIRED_KEYS if k not in config]
    if missing:
        raise ConfigError(f"checkpoint config lacks {', '.join(missing)} (needed to rebuild the model)")
    state = model.state_dict() if isinstance(model, torch.nn.Module) else dict(model)
    tensors = _plain_tensors(state)
    out = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    # Both files are finished under temporary names, then renamed back to back (weights, config),
    # so an interruption leaves the previous pair or the new pair, never half a file.
    with atomic_path(out / CONFIG_FILE) as tmp_config:
        with atomic_path(out / WEIGHTS_FILE) as tmp_weights:
            save_file(tensors, str(tmp_weights), metadata={"format": CHECKPOINT_FORMAT})
            full = {"format": CHECKPOINT_FORMAT, "dermkit_version": __version__, **dict(config), "weights_sha256": _sha256(tmp_weights)}
            write_json(tmp_config, full)
    return out


def load_checkpoint(run_dir: str | os.PathLike[str], map_location: str | torch.device = "cpu") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a run folder written by :func:`save_checkpoint`; return ``(state_dict, config)``.

    Raises :class:`DataError` naming the folder when a file is missing, unreadable, not a dermkit
    checkpoint, or when the weights are not the ones the config was written with.

    Example:
        >>> state_dict, config = load_checkpoint("runs/a")  # doctest: +SKIP
        >>> config["classes"]  # doctest: +SKIP
        ['nevus', 'melanoma']
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    config = read_checkpoint_config(run_dir)
    weights = Path(run_dir) / WEIGHTS_FILE
    if not weights.is_file():
        raise DataError(f"{run_dir}: no {WEIGHTS_FILE} (not a dermkit run folder, or the run never saved a checkpoint)")
    try:  # read first: a damaged file is reported as damaged, not as another run's
        state = load_file(str(weights), device=str(map_location))
    except (SafetensorError, OSError, ValueError) as exc:
        raise DataError(f"cannot read weights {weights} (damaged or not a safetensors file): {exc}") from None
    expected = config.get("weights_sha256")
    if expected and _sha256(weights) != expected:
        raise DataError(f"{weights} does not match {Path(run_dir) / CONFIG_FILE}: the two files come from different runs")
    return state, config


def read_checkpoint_config(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check ``run_dir/config.json`` alone (cheap: no weights are loaded).

    Example:
        >>> read_checkpoint_config("runs/a")["task"]  # doctest: +SKIP
        'classification'
    """
    folder = Path(run_dir)
    if not folder.is_dir():
        raise DataError(f"{folder} is a file, not a run folder" if folder.exists() else f"run folder not found: {folder}")
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise DataError(f"{folder}: no {CONFIG_FILE} (not a dermkit run folder)")
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(config, dict) or config.get("format") != CHECKPOINT_FORMAT:
        raise DataError(f"{path} is not a dermkit checkpoint config (expected format {CHECKPOINT_FORMAT!r})")
    missing = [k for k in REQUIRED_KEYS if k not in config]
    if missing:
        raise DataError(f"{path} lacks {', '.join(missing)}")
    return config


def read_weights_file(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """The state dict in a ``.safetensors`` or torch ``.pth``/``.pt``/``.ckpt`` file (tensors only).

    A torch file holding ``{"state_dict": ...}`` or ``{"model": ...}`` (Lightning, timm training
    scripts) is unwrapped. A missing or unreadable file is a :class:`DataError` naming it.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"weights file not found: {path}")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch / safetensors raise many types for a bad file
        text = str(exc).strip().replace("\n", " ")[:300]
        raise DataError(f"cannot read weights {path}: not a readable .safetensors, .pth, .pt or .ckpt file ({type(exc).__name__}: {text})") from None
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict):
        raise DataError(f"{path}: expected a state dict of tensors, got {type(state).__name__}")
    return state


def _plain_tensors(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Detached, contiguous CPU tensors with no shared storage (safetensors refuses aliases)."""
    seen: set[int] = set()
    out = {}
    for key, value in state.items():
        t = value.detach().to("cpu").contiguous()
        ptr = t.untyped_storage().data_ptr() if t.numel() else -1
        if ptr in seen:
            t = t.clone()
        elif ptr != -1:
            seen.add(ptr)
        out[key] = t
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
