"""Whether a model takes inputs of a given size, checked before training writes anything."""

from __future__ import annotations

import torch

from dermkit.errors import ConfigError


def check_input_size(model: torch.nn.Module, size: int, what: str = "this architecture and encoder", hint: str = "try another image size or encoder", in_channels: int = 3) -> None:
    """Raise :class:`ConfigError` when ``model`` cannot take ``size`` x ``size`` inputs (e.g. a Swin or
    ViT, which timm builds for 224 px unless told otherwise): one forward pass of a blank image, in
    eval mode so no BatchNorm statistics change; each submodule's mode is restored.

    Example:
        >>> check_input_size(torch.nn.Conv2d(3, 4, 3), 64)
    """
    from dermkit.models.device import evaluating

    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    try:
        with evaluating(model, device), torch.no_grad():  # each submodule's mode given back
            model(torch.zeros(1, in_channels, size, size, device=device))
    except (AssertionError, RuntimeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{what} cannot take {size} x {size} px input ({reason}); {hint}") from None
