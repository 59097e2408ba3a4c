"""The shared argument checks, and the examples in their docstrings."""

import doctest

import numpy as np
import pytest

import dermkit.checks
from dermkit.checks import as_names, check_count
from dermkit.errors import ConfigError


def test_docstring_examples():
    result = doctest.testmod(dermkit.checks, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_one_name_or_several():
    assert as_names("site") == ["site"] and as_names(("a", "b")) == ["a", "b"] and as_names(n for n in "ab") == ["a", "b"]


@pytest.mark.parametrize("value", [True, 2.0, "3", -1, None])
def test_counts_must_be_whole_numbers_at_the_minimum(value):
    with pytest.raises(ConfigError, match=f"seed must be a whole number >= 0, got {value!r}"):
        check_count("seed", value, 0)


def test_a_count_comes_back_as_an_int():
    assert check_count("n", np.int64(3), 1) == 3 and type(check_count("n", np.int64(3), 1)) is int
