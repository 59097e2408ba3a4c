"""Presets, overrides and bad parameters: each gets a clear ConfigError naming the value."""

import pytest

from dermkit.errors import ConfigError
from dermkit.synth import PRESETS, generate, get_preset, plan_cases


def test_every_named_preset_is_valid():
    assert set(PRESETS) == {"balanced", "isic-like", "spurious-ruler", "skin-tone-shift"}
    for name in PRESETS:
        assert get_preset(name).name == name


def test_rate_shortcut_and_field_overrides():
    p = get_preset("balanced", hair_rate=0.0, ruler_rate=1.0, ugly_duckling_rate=0.5, lesions_per_patient=[2, 2])
    assert p.artifact_rates["hair"] == 0.0 and p.artifact_rates["ruler"] == 1.0
    assert p.ugly_duckling_rate == 0.5 and p.lesions_per_patient == (2, 2)
    assert PRESETS["balanced"].artifact_rates["hair"] != 0.0  # the named preset is untouched


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hair_rate": 1.5}, "hair_rate"),
        ({"ruler_rate": -0.1}, "ruler_rate"),
        ({"ugly_duckling_rate": 2}, "ugly_duckling_rate"),
        ({"spurious": {"ruler": {"melanoma": 1.2}}}, "spurious"),
        ({"spurious": {"ruler": {"psoriasis": 0.5}}}, "psoriasis"),
        ({"class_weights": {"melanoma": -1}}, "melanoma"),
        ({"tone_weights": {"purple": 1}}, "purple"),
        ({"colour": 1}, "unknown generator option 'colour'"),
        ({"split_fractions": (0.5, 0.5, 0.5)}, "split_fractions"),
    ],
)
def test_bad_overrides(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        get_preset("balanced", **kwargs)


def test_unknown_preset():
    with pytest.raises(ConfigError, match="unknown preset 'nope'"):
        plan_cases("nope", n=5)


@pytest.mark.parametrize("n", [-1, 0, 2.5, True])
def test_bad_counts(n):
    with pytest.raises(ConfigError, match="number of images"):
        plan_cases("balanced", n=n)


@pytest.mark.parametrize("size", [16, 31, 0])
def test_size_below_32(size):
    with pytest.raises(ConfigError, match="at least 32"):
        plan_cases("balanced", n=4, size=size)


def test_generate_bad_parameters_write_nothing(tmp_path):
    out = tmp_path / "out"
    for kwargs in ({"n": -3}, {"size": 8}, {"hair_rate": 3.0}, {"workers": 0}):
        with pytest.raises(ConfigError):
            generate("balanced", out_dir=out, **{"n": 4, **kwargs})
    assert not out.exists()
