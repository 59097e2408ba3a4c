"""Losses and samplers against PyTorch's own cross-entropy and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from dermkit.train.losses import balanced_class_weights, classification_loss, soft_targets
from dermkit.train.samplers import balanced_weights, create_sampler


def test_weighted_smoothed_ce_matches_torch():
    torch.manual_seed(0)
    logits, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 1, 1])
    w = torch.tensor([1.0, 0.5, 2.0, 3.0])
    ours = classification_loss(logits, soft_targets(y, 4, smoothing=0.1), class_weights=w)
    ref = F.cross_entropy(logits, y, weight=w, label_smoothing=0.1, reduction="none")
    assert torch.allclose(ours, ref, atol=1e-6)


def test_focal_loss_hand_computed():
    # p(true) = sigmoid(2) for 2 classes with logits (2, 0); focal term = -(1-p)^2 log p
    p = 1 / (1 + math.exp(-2.0))
    loss = classification_loss(torch.tensor([[2.0, 0.0]]), soft_targets(torch.tensor([0]), 2), focal_gamma=2.0)
    assert math.isclose(loss.item(), -((1 - p) ** 2) * math.log(p), rel_tol=1e-5)


def test_balanced_class_weights_equalise_class_totals():
    y = np.array([0] * 90 + [1] * 10)
    w = balanced_class_weights(y, 2).numpy()
    assert math.isclose(w[0] * 90, w[1] * 10, rel_tol=1e-6)
    assert math.isclose((w[y]).mean(), 1.0, rel_tol=1e-6)


def test_class_tone_sampler_balances_cells():
    labels = np.array([0] * 80 + [1] * 20)
    tones = np.array((["light"] * 70 + ["dark"] * 10) + (["light"] * 15 + ["dark"] * 5))
    w = balanced_weights(labels, tones)
    assert np.allclose([w[(labels == c) & (tones == t)].sum() for c in (0, 1) for t in ("light", "dark")], 25.0)
    sampler = create_sampler("class_tone", labels, tones, seed=0)
    draws = np.array(list(sampler))
    assert len(draws) == 100
    cell_counts = [((labels[draws] == c) & (tones[draws] == t)).sum() for c in (0, 1) for t in ("light", "dark")]
    assert min(cell_counts) > 10  # every cell drawn about 25 times, not 5
    assert np.array_equal(draws, np.array(list(create_sampler("class_tone", labels, tones, seed=0))))
