"""Presets, overrides and bad parameters: each gets a clear ConfigError naming the value."""

import pandas as pd
import pytest

from dermkit.errors import ConfigError
from dermkit.synth import PRESETS, CaseParams, contact_sheet, generate, get_preset, plan_cases, render_case


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
        ({"ugly_duckling_rate": "0.5"}, "ugly_duckling_rate must be a rate between 0 and 1, got '0.5'"),
        ({"hair_rate": True}, "hair_rate must be a rate"),
        ({"spurious": {"ruler": {"melanoma": 1.2}}}, "spurious"),
        ({"spurious": {"ruler": {"psoriasis": 0.5}}}, "psoriasis"),
        ({"class_weights": {"melanoma": -1}}, "melanoma"),
        ({"tone_weights": {"purple": 1}}, "purple"),
        ({"colour": 1}, "unknown generator option 'colour'"),
        ({"split_fractions": (0.5, 0.5, 0.5)}, "split_fractions"),
        ({"split_fractions": (float("nan"), 0.5, 0.5)}, "split_fractions"),
        ({"split_fractions": (0, 0, 1)}, r"split_fractions must be three non-negative numbers summing to 1 with train > 0, got \(0, 0, 1\)"),
        ({"class_weights": {"nevus": 0, "melanoma": 0}}, "positive, finite sum"),
        ({"lesions_per_patient": 2}, "lesions_per_patient must be two integers"),
        ({"lesions_per_patient": (1, 2, 3)}, "lesions_per_patient must be two integers"),
        ({"lesions_per_patient": (1.5, 3)}, "lesions_per_patient must be two integers"),
        ({"spurious": "ruler"}, "spurious must be a mapping"),
        ({"spurious": {"ruler": "melanoma"}}, r"spurious\['ruler'\] must be a mapping"),
        ({"artifact_rates": "hair"}, "artifact_rates must be a mapping"),
        ({"radius_scale": "big"}, "radius_scale"),
    ],
)
def test_bad_overrides(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        get_preset("balanced", **kwargs)


def test_spurious_overrides_merge_into_the_presets_own():
    ruler = get_preset("spurious-ruler", spurious={"ruler": {"melanoma": 1.0}}).spurious["ruler"]
    assert ruler == {"melanoma": 1.0, "nevus": 0.1}  # nevus fell back to the 0.5 test rate: the shortcut got weaker
    with pytest.raises(ConfigError, match=r"spurious\['ruler'\] names class 'bcc', which this preset does not generate \(classes: melanoma, nevus\)"):
        get_preset("spurious-ruler", spurious={"ruler": {"bcc": 1.0}})  # accepted, and never drawn


def test_unknown_preset():
    with pytest.raises(ConfigError, match="unknown preset 'nope'"):
        plan_cases("nope", n=5)


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), "1"])
def test_class_weights_must_be_finite_numbers(weight):
    with pytest.raises(ConfigError, match="class_weights: weight of 'nevus' must be a finite number >= 0"):
        plan_cases("balanced", n=5, size=32, class_weights={"nevus": weight, "melanoma": 1})


@pytest.mark.parametrize("seed", [-1, None, 1.5, "0"])
def test_seed_must_be_a_non_negative_integer(seed):
    for call in (
        lambda: plan_cases("balanced", n=5, size=32, seed=seed),
        lambda: render_case(CaseParams(diagnosis="nevus", size=32), seed),
        lambda: contact_sheet(pd.DataFrame({"case_id": ["a"], "image_path": ["a.png"], "diagnosis": ["nevus"]}), "sheet.png", seed=seed),
    ):
        with pytest.raises(ConfigError, match="seed must be a whole number >= 0"):
            call()


@pytest.mark.parametrize("n", [-1, 0, 2.5, True])
def test_bad_counts(n):
    with pytest.raises(ConfigError, match="number of images"):
        plan_cases("balanced", n=n)


@pytest.mark.parametrize("size", [16, 31, 0, 4097, 100_000])
def test_size_outside_32_to_4096(size):
    with pytest.raises(ConfigError, match="at least 32 px and at most 4096 px"):  # 100000 px ran out of memory in a worker
        plan_cases("balanced", n=4, size=size)
    with pytest.raises(ConfigError, match="at least 32 px and at most 4096 px" if size else "whole number >= 1"):
        CaseParams(diagnosis="nevus", size=size)


def test_generate_bad_parameters_write_nothing(tmp_path):
    out = tmp_path / "out"
    for kwargs in ({"n": -3}, {"size": 8}, {"hair_rate": 3.0}, {"workers": 0}):
        with pytest.raises(ConfigError):
            generate("balanced", out_dir=out, **{"n": 4, **kwargs})
    assert not out.exists()
