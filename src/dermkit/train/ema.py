"""An exponential moving average (EMA) of a LightningModule's weights, for the classifier and segmenter modules.

The EMA copy is timm's :class:`~timm.utils.ModelEmaV3` with its decay warm-up (the decay grows
with the step count up to the given value, so early averages are not dominated by the random
initial weights). It is a submodule, so Lightning's checkpoints carry it and ``resume`` continues it.

Example:
    >>> class Module(EmaWeights, pl.LightningModule): ...  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import torch


class EmaWeights:
    """Mixin for a LightningModule whose network is ``self.model``: call :meth:`init_ema` in ``__init__``.

    It updates the EMA after every optimiser step and exposes :attr:`eval_model`, the weights to
    validate and export (the EMA copy when on). Put it before ``LightningModule`` in the bases.
    """

    model: torch.nn.Module

    def init_ema(self, decay: float) -> None:
        """Keep an EMA of ``self.model`` with ``decay`` in [0, 1) (0: no EMA)."""
        from timm.utils import ModelEmaV3

        self.ema = ModelEmaV3(self.model, decay=decay, use_warmup=True) if decay else None
        if self.ema is not None:  # a copy that trains nothing; DDP refuses parameters that get no gradient
            self.ema.module.requires_grad_(False)

    @property
    def eval_model(self) -> torch.nn.Module:
        """The weights to validate and export: the EMA copy when EMA is on."""
        return self.ema.module if self.ema is not None else self.model

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        """Update the EMA weights after each optimiser step."""
        if self.ema is not None:
            self.ema.update(self.model, step=self.global_step)
