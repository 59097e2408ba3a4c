"""Placing a caller's model for prediction and giving it back as it was."""

import torch

from dermkit.models.device import evaluating


def test_evaluating_gives_back_each_submodule_its_own_mode():
    net = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4), torch.nn.Dropout(0.5))
    net.train()
    net[1].eval()  # a frozen BatchNorm, as in fine-tuning
    with evaluating(net, "cpu"):
        assert not any(m.training for m in net.modules())
    assert [m.training for m in net.modules()] == [True, True, False, True]  # the BatchNorm came back in training mode
