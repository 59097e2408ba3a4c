"""The examples in the synth modules' docstrings run and give what they say."""

import doctest
import importlib

import pytest

MODULES = ["_noise", "skin", "lesion", "artifacts", "render", "presets", "plan"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"dermkit.synth.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
