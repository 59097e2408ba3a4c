"""The examples in the evaluate modules' docstrings run and give what they say."""

import doctest
import importlib

import pytest

MODULES = ["segmentation", "classification", "groups", "calibration", "counterfactual", "predictions", "core", "report", "figures"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"dermkit.evaluate.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
