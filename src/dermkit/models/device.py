"""Checking a torch device name before a model is moved to it.

Example:
    >>> check_device("cpu")
    'cpu'
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch

from dermkit.errors import ConfigError


def check_device(device: str | torch.device) -> str | torch.device:
    """``device`` if torch knows it and this machine has it; else :class:`ConfigError` naming it.

    A torch device object is returned as it is.
    """
    if isinstance(device, torch.device):
        return device
    try:
        kind = torch.device(device).type
    except RuntimeError:
        raise ConfigError(f"unknown device {device!r}; use cpu, cuda, cuda:N or mps") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r}: no CUDA GPU is available on this machine; use cpu")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {device!r}: MPS is not available on this machine; use cpu")
    return device


@contextlib.contextmanager
def evaluating(net: torch.nn.Module, device: str | torch.device) -> Iterator[torch.nn.Module]:
    """``net`` on ``device`` in eval mode for the ``with`` block, then back on its own device in its
    own mode: a caller's model predicted on mid-training stays in training mode where it was, and
    each submodule keeps its own mode (frozen BatchNorm layers stay in eval mode).

    Example:
        >>> net = torch.nn.Dropout()
        >>> with evaluating(net, "cpu"):
        ...     net.training
        False
        >>> net.training
        True
    """
    first = next(net.parameters(), None)
    home = first.device if first is not None else None
    modes = [(module, module.training) for module in net.modules()]
    net.to(device).eval()
    try:
        yield net
    finally:
        for module, training in modes:
            module.training = training
        if home is not None:
            net.to(home)
