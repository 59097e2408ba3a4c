"""Placing a caller's model for prediction and giving it back as it was."""

import torch

from dermkit.models.device import evaluating
from dermkit.models.input_size import check_input_size


def test_evaluating_gives_back_each_submodule_its_own_mode():
    net = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4), torch.nn.Dropout(0.5))
    net.train()
    net[1].eval()  # a frozen BatchNorm, as in fine-tuning
    with evaluating(net, "cpu"):
        assert not any(m.training for m in net.modules())
    assert [m.training for m in net.modules()] == [True, True, False, True]  # the BatchNorm came back in training mode


def test_the_input_size_check_gives_back_each_submodule_its_own_mode():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    net.train()
    net[1].eval()
    check_input_size(net, 32)
    assert [m.training for m in net.modules()] == [True, True, False]  # model.train(True) put the frozen BatchNorm back in training mode
