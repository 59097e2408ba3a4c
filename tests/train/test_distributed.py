"""Two training processes (DDP on the CPU) keep identical weights under a time-budgeted schedule."""

from __future__ import annotations

import time
from types import SimpleNamespace

import lightning.pytorch as pl
import pytest
import torch

from dermkit.train.distributed import from_first_process, is_first_process


def test_from_first_process_uses_the_broadcast_only_with_several_processes():
    sent = []

    def broadcast(value, src):
        sent.append((value, src))
        return 0.5  # what the first process computed

    strategy = SimpleNamespace(broadcast=broadcast)
    assert from_first_process(None, 0.25) == 0.25
    assert from_first_process(SimpleNamespace(world_size=1, strategy=strategy), 0.25) == 0.25 and sent == []
    assert from_first_process(SimpleNamespace(world_size=2, strategy=strategy), 0.25) == 0.5 and sent == [(0.25, 0)]


def test_is_first_process_follows_lightnings_rank(monkeypatch):
    from lightning.pytorch.utilities import rank_zero_only

    assert is_first_process()
    monkeypatch.setattr(rank_zero_only, "rank", 1)
    assert not is_first_process()


class _Images(torch.utils.data.Dataset):
    """Random images with a bright square as the lesion (seeded, so every process sees the same data)."""

    def __init__(self, n: int = 16, size: int = 32) -> None:
        g = torch.Generator().manual_seed(0)
        self.images = torch.rand(n, 3, size, size, generator=g)
        self.masks = torch.zeros(n, 1, size, size)
        self.masks[:, :, 8:24, 8:24] = 1.0
        self.images[:, :, 8:24, 8:24] += 1.0

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> dict:
        return {"image": self.images[i], "mask": self.masks[i]}


class _LateStartAndCompare(pl.Callback):
    """The second process starts its clock half a second late; at the end the processes' weights are compared."""

    def __init__(self, out):
        self.out = out

    def setup(self, trainer, pl_module, stage):
        if trainer.global_rank == 1:
            time.sleep(0.5)

    def on_train_end(self, trainer, pl_module):
        flat = torch.cat([p.detach().flatten() for p in pl_module.model.parameters()])
        both = pl_module.all_gather(flat)
        if trainer.is_global_zero:
            self.out.write_text(str(float((both[0] - both[1]).abs().max())))


@pytest.mark.slow
def test_ddp_processes_keep_the_same_weights_under_a_time_budget(tmp_path):
    from dermkit.models.segmenter import create_segmenter
    from dermkit.segment.module import SegmentationModule

    callback = _LateStartAndCompare(tmp_path / "max_difference.txt")
    pl.seed_everything(0, verbose=False)
    module = SegmentationModule(create_segmenter("unet", "resnet18"), lr=1e-2, total_steps=10**6, total_seconds=5.0)  # the clock binds
    trainer = pl.Trainer(
        accelerator="cpu", devices=2, strategy="ddp_spawn", max_steps=4, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, callbacks=[callback], default_root_dir=tmp_path,
    )
    trainer.fit(module, torch.utils.data.DataLoader(_Images(), batch_size=2))
    # each process's learning rate followed the first process's clock, so the steps were the same
    assert float((tmp_path / "max_difference.txt").read_text()) == 0.0

