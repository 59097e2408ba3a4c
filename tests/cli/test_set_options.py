"""The shared `--set KEY=VALUE` reader of `dermkit synth` and `dermkit train`."""

from __future__ import annotations

import pytest

from dermkit.cli.options import parse_set_options
from dermkit.errors import ConfigError


def test_values_are_read_as_yaml_and_later_items_win():
    got = parse_set_options(["ema=0.999", "augment={rotate: 0, scale: [0.5, 1]}", "tags=[a, b]", "flag=true", "ema=0.99", " name = x=y"])
    assert got == {"ema": 0.99, "augment": {"rotate": 0, "scale": [0.5, 1]}, "tags": ["a", "b"], "flag": True, "name": "x=y"}


@pytest.mark.parametrize(("item", "message"), [("epochs", "--set expects KEY=VALUE, got 'epochs'"), ("augment={rotate: [0", "--set augment: cannot read value '{rotate: [0'")])
def test_bad_items_are_one_line_config_errors(item, message):
    with pytest.raises(ConfigError) as info:
        parse_set_options([item])
    assert message in str(info.value) and "\n" not in str(info.value)
