"""The examples in the segmentation and ABCD modules' docstrings run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
import torch

MODULES = ["dermkit.models.segmenter", "dermkit.models.device", "dermkit.segment.losses", "dermkit.segment.postprocess", "dermkit.segment.preprocess", "dermkit.segment.evaluate", "dermkit.segment.report", "dermkit.explain.abcd"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"np": np, "torch": torch}, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
