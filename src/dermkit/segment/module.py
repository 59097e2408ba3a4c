"""The Lightning module that trains a segmenter: loss, optimiser, and validation Dice / Jaccard.

Validation scores are computed at the training resolution on thresholded (0.5) predictions (of
the EMA weights when ``ema`` is on), as a cheap running signal; the reported scores come from
:func:`dermkit.segment.evaluate_masks` on full-size post-processed masks.

Example:
    >>> module = SegmentationModule(create_segmenter("unet", "resnet18"), lr=1e-3)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from typing import Any

import lightning.pytorch as pl
import torch

from dermkit.segment.losses import SegmentationLoss
from dermkit.train.ema import EmaWeights
from dermkit.train.layout import memory_format
from dermkit.train.time_budget import time_budget_used


class SegmentationModule(EmaWeights, pl.LightningModule):
    """Wraps an smp segmenter with a loss (default: :class:`SegmentationLoss`, Dice + BCE), AdamW and a warm-up + cosine schedule.

    The schedule runs over ``total_steps`` optimiser steps (by default the Trainer's count for the
    run, ``estimated_stepping_batches``, which divides the epochs among DDP processes); with a time
    budget of ``total_seconds`` it follows whichever runs out first, steps or time, so the learning
    rate has decayed when training stops (time-budgeted runs are not bit-repeatable). The time is
    the Trainer's ``max_time`` clock (:func:`~dermkit.train.time_budget.time_budget_used`), which
    a resumed run continues. Without any budget (no step limit, no time): constant learning rate.
    ``channels_last=True`` stores weights and batches channels-last (NHWC), which oneDNN and cuDNN
    run faster, most of all under ``bf16-mixed`` precision. ``ema`` > 0 keeps an exponential moving
    average of the weights with that decay (:class:`~dermkit.train.ema.EmaWeights`), which validation
    uses and :attr:`eval_model` returns for export.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        loss: torch.nn.Module | None = None,
        total_steps: int | None = None,
        total_seconds: float = 0.0,
        channels_last: bool = False,
        ema: float = 0.0,
    ) -> None:
        super().__init__()
        self.channels_last = channels_last
        self.model = model.to(memory_format=memory_format(channels_last))
        self.loss = loss if loss is not None else SegmentationLoss()
        self.lr, self.weight_decay = lr, weight_decay
        self.total_steps, self.total_seconds = total_steps, total_seconds
        self._start: float | None = None
        self.init_ema(ema)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, 1, H, W)``."""
        return self.model(x)

    def _images(self, batch: dict[str, Any]) -> torch.Tensor:
        return batch["image"].contiguous(memory_format=memory_format(self.channels_last))

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        """Loss on one batch of ``{"image", "mask"}`` samples."""
        loss = self.loss(self.model(self._images(batch)), batch["mask"])
        self.log("train_loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=len(batch["image"]))
        return loss

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        """Loss, Dice and Jaccard (per image, then averaged) on one validation batch."""
        logits = self.eval_model(self._images(batch))
        target = batch["mask"] > 0.5
        pred = logits > 0
        inter = (pred & target).flatten(1).sum(1).float()
        total = pred.flatten(1).sum(1).float() + target.flatten(1).sum(1).float()
        dice = torch.where(total > 0, 2 * inter / total.clamp(min=1), torch.ones_like(total))
        jac = dice / (2 - dice)
        n = len(batch["image"])
        self.log("val_loss", self.loss(logits, batch["mask"]), batch_size=n, sync_dist=True)
        self.log("val_dice", dice.mean(), prog_bar=True, batch_size=n, sync_dist=True)
        self.log("val_jaccard", jac.mean(), batch_size=n, sync_dist=True)

    def on_train_start(self) -> None:
        """Start the clock of the time budget for a Trainer without ``max_time`` (else its Timer counts)."""
        self._start = time.monotonic()

    def configure_optimizers(self) -> Any:
        """AdamW; with a budget, 5% linear warm-up then cosine decay to 2% of ``lr``."""
        opt = torch.optim.AdamW(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        total = self.total_steps or float(self.trainer.estimated_stepping_batches)
        counted = math.isfinite(total) and total > 0
        if not (counted or self.total_seconds):
            return opt

        def factor(step: int) -> float:
            t = step / total if counted else 0.0
            if self.total_seconds:
                t = max(t, time_budget_used(self._trainer, self.total_seconds, self._start))
            t = min(1.0, t)
            return max(t / 0.05, 0.02) if t < 0.05 else 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * (t - 0.05) / 0.95))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
