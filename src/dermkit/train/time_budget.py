"""How much of a wall-time training budget is used: one number for the learning-rate schedule.

A time-budgeted schedule decays the learning rate over the budget, so it should read the clock that
stops training: the :class:`~lightning.pytorch.callbacks.Timer` that the Trainer's ``max_time`` adds.
That clock is saved in checkpoints, so a resumed run carries on from the time already used instead
of warming up again. Under DDP every process takes the first process's share
(:func:`~dermkit.train.distributed.from_first_process`).

Example:
    >>> time_budget_used(None, seconds=60.0, started=None)  # not started yet
    0.0
"""

from __future__ import annotations

import time
from typing import Any

from dermkit.train.distributed import from_first_process


def time_budget_used(trainer: Any, seconds: float, started: float | None) -> float:
    """Share of a ``seconds`` budget used so far (may pass 1), the same in every process.

    The elapsed time is the Trainer's Timer's (training time, including what a resumed run had
    used); without a Timer (no ``max_time``) it is the time since ``started``, a
    :func:`time.monotonic` reading (``None``: not started, 0). Every process must call this at the
    same point (under DDP it is a collective operation).
    """
    from lightning.pytorch.callbacks import Timer

    timer = next((c for c in getattr(trainer, "callbacks", []) if isinstance(c, Timer)), None)
    if timer is not None:
        elapsed = timer.time_elapsed()
    else:
        elapsed = 0.0 if started is None else time.monotonic() - started
    return from_first_process(trainer, elapsed / seconds)
