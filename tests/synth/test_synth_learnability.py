"""Learnability (slow): classes are learnable, and a plain CNN picks up the planted ruler shortcut."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))


@pytest.mark.slow
def test_balanced_classes_are_learnable_and_rulers_are_a_shortcut():
    import torch

    import synth_learnability as bench

    torch.set_num_threads(2)
    bal = bench.balanced_task(n=700, size=48, epochs=8, seed=0)
    assert bal["test_accuracy"] > 2.5 * bal["chance"]
    spur = bench.spurious_task(n=600, size=64, epochs=8, seed=0)
    assert spur["train_ruler_rate"]["melanoma"] > 0.8 and spur["train_ruler_rate"]["nevus"] < 0.2
    assert spur["accuracy_rulers_aligned_with_melanoma"] - spur["accuracy_rulers_against_label"] > 0.05
