"""The segmenter's learning-rate schedule: warm-up then cosine over the budget that binds first."""

from __future__ import annotations

import lightning.pytorch as pl
import pytest
import torch

from dermkit.models.segmenter import create_segmenter
from dermkit.segment.module import SegmentationModule


class _Squares(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> dict:
        mask = torch.zeros(1, 32, 32)
        mask[:, 8:24, 8:24] = 1.0
        return {"image": torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(i)) + mask, "mask": mask}


class _LearningRates(pl.Callback):
    def __init__(self) -> None:
        self.rates: list[float] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.rates.append(trainer.optimizers[0].param_groups[0]["lr"])


def _rates(module: SegmentationModule, **trainer_kw) -> list[float]:
    rates = _LearningRates()
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, callbacks=[rates], **trainer_kw)
    trainer.fit(module, torch.utils.data.DataLoader(_Squares(), batch_size=2))
    return rates.rates + [trainer.optimizers[0].param_groups[0]["lr"]]  # and after the last step


@pytest.mark.parametrize("total_seconds", [0.0, 3600.0])
def test_an_epoch_budget_warms_up_and_decays_even_with_a_time_budget_left(total_seconds):
    """3 epochs of 4 steps end long before an hour: the schedule follows the steps (it used to follow
    only the clock when a time budget was set, and never left its warm-up)."""
    pl.seed_everything(0, verbose=False)
    module = SegmentationModule(create_segmenter("unet", "resnet18"), lr=1e-2, total_seconds=total_seconds)
    rates = _rates(module, max_epochs=3)
    assert len(rates) == 13  # 12 steps, then the rate after the last
    assert rates[0] == pytest.approx(0.02 * 1e-2)  # warm-up starts at 2% of the peak
    assert max(rates) > 0.99e-2  # near the peak after the warm-up (5% of the 12 steps: under one step)
    assert rates[-1] == pytest.approx(0.02 * 1e-2)  # decayed to 2% when the steps run out


def test_a_time_budget_that_binds_first_drives_the_schedule():
    pl.seed_everything(0, verbose=False)
    module = SegmentationModule(create_segmenter("unet", "resnet18"), lr=1e-2, total_steps=10**6, total_seconds=1e-3)
    rates = _rates(module, max_steps=3)
    assert rates[-1] == pytest.approx(0.02 * 1e-2)  # the millisecond is spent: fully decayed, though few steps ran


def test_no_budget_keeps_the_learning_rate_constant():
    pl.seed_everything(0, verbose=False)
    module = SegmentationModule(create_segmenter("unet", "resnet18"), lr=1e-2)
    assert set(_rates(module, max_epochs=-1, max_steps=-1, limit_train_batches=2, max_time={"seconds": 2})) == {1e-2}
