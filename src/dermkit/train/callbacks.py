"""Lightning callbacks of a dermkit run: export the best model, keep the metrics history.

Both write atomically into the run folder, so stopping a run at any moment (Ctrl-C, a crash, a
time limit) leaves the last good ``model.safetensors`` / ``config.json`` / ``history.csv`` whole.

Example:
    >>> callbacks = [ExportBest("runs/a", "val_bal_acc", "max", lambda: {...}), History("runs/a")]  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any, Callable

import lightning.pytorch as pl
import pandas as pd

from dermkit.errors import DermkitError
from dermkit.io import atomic_path
from dermkit.models.checkpoint import save_checkpoint


class ExportBest(pl.Callback):
    """After each validation, if ``monitor`` improved, save the module's ``eval_model`` with
    :func:`dermkit.models.save_checkpoint` and the config returned by ``make_config()``
    (plus ``best: {metric, value, epoch}``). Its best score is checkpointed, so resuming continues the comparison."""

    def __init__(self, run_dir: str | os.PathLike[str], monitor: str, mode: str, make_config: Callable[[], dict[str, Any]]) -> None:
        self.run_dir = Path(run_dir)
        self.monitor, self.mode, self.make_config = monitor, mode, make_config
        self.best: float | None = None
        self.best_epoch: int | None = None

    def _improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.best is None:
            return True
        return value > self.best if self.mode == "max" else value < self.best

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Export when the monitored metric improved."""
        if trainer.sanity_checking or self.monitor not in trainer.callback_metrics:
            return
        value = float(trainer.callback_metrics[self.monitor])
        if not self._improved(value):
            return
        self.best, self.best_epoch = value, int(trainer.current_epoch)
        if trainer.is_global_zero:
            config = {**self.make_config(), "best": {"metric": self.monitor, "value": value, "epoch": self.best_epoch}}
            save_checkpoint(pl_module.eval_model, config, self.run_dir)

    def state_dict(self) -> dict[str, Any]:
        """Best score so far (saved in Lightning checkpoints)."""
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the best score when resuming."""
        self.best, self.best_epoch = state_dict["best"], state_dict["best_epoch"]


class StopOnNonFiniteLoss(pl.Callback):
    """Stop training with :class:`~dermkit.errors.DermkitError` at the first batch whose loss is
    NaN or infinite: from there the weights are NaN, and a model "trained" on would be exported and
    predict NaN for every case (seen with ``16-true`` precision, which has no loss scaling)."""

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int) -> None:
        """Raise when this batch's loss is not finite."""
        import torch

        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        bad = isinstance(loss, torch.Tensor) and not bool(torch.isfinite(loss.detach()).all())
        # decided together: under DDP a process that stopped alone would leave the others waiting for it
        if trainer.strategy.reduce_boolean_decision(bad, all=False):
            value = float(loss.detach().float().mean()) if bad else "non-finite in another process"
            raise DermkitError(
                f"the training loss became {value} in epoch {trainer.current_epoch}, batch {batch_idx}: "
                "the model diverged and training stopped; try precision 32-true or 16-mixed (16-true has no loss scaling) or a lower learning rate"
            )


class History(pl.Callback):
    """One row per epoch (epoch, metrics, learning rate, training images/s) in ``history.csv``,
    and ``loss_curve.png`` (training and validation loss, validation balanced accuracy/AUC)."""

    def __init__(self, run_dir: str | os.PathLike[str], plot: bool = True) -> None:
        self.run_dir = Path(run_dir)
        self.plot = plot
        self.rows: list[dict[str, Any]] = []
        self._start = 0.0
        self._train_seconds = 0.0
        self._batches = 0

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Start the epoch's training clock."""
        self._start = time.perf_counter()
        self._train_seconds = 0.0
        self._batches = 0

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int) -> None:
        """Count the batches actually trained (an epoch may be cut short by a time limit)."""
        self._batches += 1

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Stop the training clock: validation time is not training time."""
        if not trainer.sanity_checking and self._start:
            self._train_seconds = time.perf_counter() - self._start

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Append the epoch's row and rewrite the files."""
        seconds = self._train_seconds or (time.perf_counter() - self._start)
        images = self._batches * trainer.train_dataloader.batch_size * trainer.world_size if trainer.train_dataloader is not None else 0
        row: dict[str, Any] = {"epoch": int(trainer.current_epoch), "step": int(trainer.global_step)}
        for key, value in sorted(trainer.callback_metrics.items()):
            if key.endswith("_step"):
                continue
            row[key.removesuffix("_epoch")] = float(value)
        row["lr"] = float(trainer.optimizers[0].param_groups[0]["lr"]) if trainer.optimizers else float("nan")
        row["train_seconds"] = round(seconds, 3)
        row["train_images_per_s"] = round(images / seconds, 2) if seconds > 0 else float("nan")
        self.rows.append(row)
        if trainer.is_global_zero:
            self.write()

    def write(self) -> None:
        """Write ``history.csv`` and ``loss_curve.png`` atomically."""
        table = pd.DataFrame(self.rows)
        with atomic_path(self.run_dir / "history.csv") as tmp:
            table.to_csv(tmp, index=False)
        if self.plot:
            plot_history(table, self.run_dir / "loss_curve.png")

    def state_dict(self) -> dict[str, Any]:
        """Rows so far (saved in Lightning checkpoints, so a resumed run keeps its history)."""
        return {"rows": self.rows}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the rows when resuming."""
        self.rows = list(state_dict["rows"])


def plot_history(history: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Loss curves (left) and validation metrics (right) per epoch, saved as a PNG atomically.

    Example:
        >>> plot_history(pd.read_csv("runs/a/history.csv"), "runs/a/loss_curve.png")  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    for col in ("train_loss", "val_loss"):
        if col in history:
            left.plot(history["epoch"], history[col], marker="o", label=col)
    left.set_xlabel("epoch")
    left.set_ylabel("loss")
    for col in ("val_bal_acc", "val_acc", "val_auc", "val_dice", "val_jaccard"):
        if col in history:
            right.plot(history["epoch"], history[col], marker="o", label=col)
    right.set_xlabel("epoch")
    right.set_ylim(0, 1)
    for axes in (left, right):
        if axes.lines:  # a run without validation has no metric curves (matplotlib warned of an empty legend)
            axes.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
