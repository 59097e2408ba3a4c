"""Keeping the processes of a multi-device (DDP) run in step where each would otherwise decide alone.

A time-budgeted learning-rate schedule reads the wall clock. The processes of a DDP run start a
little apart, so each would compute a slightly different learning rate and their weights would
drift apart although their gradients are averaged. :func:`from_first_process` gives every process
the first process's value instead. :func:`is_first_process` tells the command line which process
reports the finished run.

Example:
    >>> from_first_process(None, 0.25)  # no trainer (or one process): the value itself
    0.25
"""

from __future__ import annotations

from typing import Any


def from_first_process(trainer: Any, value: float) -> float:
    """``value`` as the first process computed it when ``trainer`` runs several processes, else ``value``.

    Every process must call this at the same point (it is a collective operation).
    """
    if trainer is None or trainer.world_size == 1:
        return value
    return float(trainer.strategy.broadcast(value, src=0))


def is_first_process() -> bool:
    """Whether this is the first (rank 0) process of a training run; true outside multi-process runs."""
    from lightning.pytorch.utilities import rank_zero_only

    return getattr(rank_zero_only, "rank", 0) == 0
