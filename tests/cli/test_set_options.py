"""The shared option readers: `--set KEY=VALUE` (`dermkit synth`, `dermkit train`) and `--devices` (`dermkit train`, `dermkit segment train`)."""

from __future__ import annotations

import pytest

from dermkit.cli.options import parse_devices, parse_set_options
from dermkit.errors import ConfigError


def test_values_are_read_as_yaml_and_later_items_win():
    got = parse_set_options(["ema=0.999", "augment={rotate: 0, scale: [0.5, 1]}", "tags=[a, b]", "flag=true", "ema=0.99", " name = x=y"])
    assert got == {"ema": 0.99, "augment": {"rotate": 0, "scale": [0.5, 1]}, "tags": ["a", "b"], "flag": True, "name": "x=y"}


@pytest.mark.parametrize(("item", "message"), [("epochs", "--set expects KEY=VALUE, got 'epochs'"), ("augment={rotate: [0", "--set augment: cannot read value '{rotate: [0'")])
def test_bad_items_are_one_line_config_errors(item, message):
    with pytest.raises(ConfigError) as info:
        parse_set_options([item])
    assert message in str(info.value) and "\n" not in str(info.value)


def test_devices_as_lightning_takes_them():
    assert [parse_devices(t) for t in ("auto", "2", "-1", "0,1", "1,", "gpu")] == ["auto", 2, -1, [0, 1], [1], "gpu"]
    with pytest.raises(ConfigError, match="--devices: a list of device indices must hold integers, got '0,a'"):
        parse_devices("0,a")
