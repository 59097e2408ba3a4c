"""The share of a time budget used: the Trainer's Timer when it has one, so a resumed run goes on from its saved time."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from lightning.pytorch.callbacks import Timer

from dermkit.train.time_budget import time_budget_used


def test_a_resumed_timer_carries_the_time_already_used():
    timer = Timer(duration={"minutes": 1})
    timer.load_state_dict({"time_elapsed": {"train": 30.0}})  # what a checkpoint restores
    trainer = SimpleNamespace(callbacks=[timer], world_size=1)
    assert time_budget_used(trainer, 60.0, started=time.monotonic()) == pytest.approx(0.5)  # not 0: no second warm-up


def test_without_a_timer_the_clock_runs_from_the_start_given():
    trainer = SimpleNamespace(callbacks=[], world_size=1)
    assert time_budget_used(trainer, 60.0, started=time.monotonic() - 6.0) == pytest.approx(0.1, abs=0.01)
    assert time_budget_used(trainer, 60.0, started=None) == 0.0


@pytest.mark.parametrize("name", ["dermkit.train.time_budget", "dermkit.train.distributed", "dermkit.train.fit"])
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
