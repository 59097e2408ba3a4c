"""Generator presets: class mix, skin-tone mix, artifact rates and planted correlations.

A :class:`Preset` holds every rate of the generator; :func:`get_preset` returns a named one
with any field overridden (``hair_rate=0.8`` is a shortcut for one entry of ``artifact_rates``).

- ``balanced``: the seven classes equally often, the six ITA skin-tone groups equally often,
  moderate artifact rates;
- ``isic-like``: ISIC/HAM10000 class imbalance (two thirds nevi), mostly light skin, ISIC-like
  artifact rates (calibrated in ``benchmarks/synth_calibration.py``);
- ``spurious-ruler``: melanoma vs nevus (half of them hard cases: early melanomas, atypical
  nevi), rulers mostly on melanomas in train/val, on half of every class in test (so a model
  that learned the ruler loses accuracy there);
- ``skin-tone-shift``: train/val on very light and light skin only, test across all six groups.

Example:
    >>> get_preset("balanced", hair_rate=0.9).artifact_rates["hair"]
    0.9
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Mapping

from dermkit.cases import SKIN_TONES
from dermkit.datasets.ham10000 import CLASS_COUNTS as HAM10000_CLASS_COUNTS
from dermkit.errors import ConfigError
from dermkit.synth.artifacts import ARTIFACTS
from dermkit.synth.lesion import DIAGNOSIS_PATTERNS

ALL_TONES = {t: 1.0 for t in SKIN_TONES}


@dataclass(frozen=True)
class Preset:
    """Every rate of the generator (weights need not sum to 1; rates are probabilities in [0, 1])."""

    name: str
    class_weights: Mapping[str, float]
    tone_weights: Mapping[str, float] = field(default_factory=lambda: dict(ALL_TONES))
    train_tone_weights: Mapping[str, float] | None = None
    artifact_rates: Mapping[str, float] = field(default_factory=dict)
    spurious: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Artifact -> class -> rate in train/val (overrides ``artifact_rates`` there; test keeps the plain rate)."""
    lesions_per_patient: tuple[int, int] = (1, 3)
    ugly_duckling_rate: float = 0.3
    """Probability that a patient with 3+ lesions gets a planted ugly duckling among similar nevi."""
    split_fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
    hard_case_rate: float = 0.1
    """Share of melanomas drawn with a nevus's shape and few colours (early, featureless
    melanoma) and of nevi drawn with a melanoma's asymmetry and border (atypical nevi)."""
    radius_scale: float = 1.0
    """Multiplies every lesion radius (calibrated against ISIC lesion area fractions)."""

    def validate(self) -> "Preset":
        """Check every rate and name; raise :class:`ConfigError` naming the bad one."""
        _weights(f"{self.name}: class_weights", self.class_weights, DIAGNOSIS_PATTERNS)
        _weights(f"{self.name}: tone_weights", self.tone_weights, SKIN_TONES)
        if self.train_tone_weights is not None:
            _weights(f"{self.name}: train_tone_weights", self.train_tone_weights, SKIN_TONES)
        _mapping(f"{self.name}: artifact_rates", self.artifact_rates, "artifact -> rate")
        for name, rate in self.artifact_rates.items():
            if name not in ARTIFACTS:
                raise ConfigError(f"{self.name}: unknown artifact {name!r} in artifact_rates; known: {', '.join(ARTIFACTS)}")
            _rate(f"{self.name}: {name}_rate", rate)
        _mapping(f"{self.name}: spurious", self.spurious, "artifact -> {class: rate}")
        for name, by_class in self.spurious.items():
            if name not in ARTIFACTS:
                raise ConfigError(f"{self.name}: unknown artifact {name!r} in spurious; known: {', '.join(ARTIFACTS)}")
            _mapping(f"{self.name}: spurious[{name!r}]", by_class, "class -> rate")
            for cls, rate in by_class.items():
                if cls not in DIAGNOSIS_PATTERNS:
                    raise ConfigError(f"{self.name}: unknown class {cls!r} in spurious[{name!r}]")
                if cls not in self.class_weights:  # it would never be drawn: the shortcut silently not planted
                    raise ConfigError(f"{self.name}: spurious[{name!r}] names class {cls!r}, which this preset does not generate (classes: {', '.join(self.class_weights)})")
                _rate(f"{self.name}: spurious[{name!r}][{cls!r}]", rate)
        _rate(f"{self.name}: ugly_duckling_rate", self.ugly_duckling_rate)
        _rate(f"{self.name}: hard_case_rate", self.hard_case_rate)
        lpp = self.lesions_per_patient
        if not (_numbers(lpp, 2, numbers.Integral) and 1 <= lpp[0] <= lpp[1]):
            raise ConfigError(f"{self.name}: lesions_per_patient must be two integers (min, max) with 1 <= min <= max, got {lpp!r}")
        if not (_finite(self.radius_scale) and 0.2 <= self.radius_scale <= 2.5):
            raise ConfigError(f"{self.name}: radius_scale must be in [0.2, 2.5], got {self.radius_scale!r}")
        fr = self.split_fractions
        if not (_numbers(fr, 3) and min(fr) >= 0 and abs(sum(fr) - 1) <= 1e-6 and fr[0] > 0):
            raise ConfigError(f"{self.name}: split_fractions must be three non-negative numbers summing to 1 with train > 0, got {fr!r}")
        return self

    def rate(self, artifact: str, diagnosis: str, split: str) -> float:
        """The probability of ``artifact`` for a case of this class in this split."""
        if split in ("train", "val") and diagnosis in self.spurious.get(artifact, {}):
            return float(self.spurious[artifact][diagnosis])
        return float(self.artifact_rates.get(artifact, 0.0))

    def tones(self, split: str) -> Mapping[str, float]:
        """Skin-tone weights for a split (``train_tone_weights`` for train/val when set)."""
        return self.train_tone_weights if (split in ("train", "val") and self.train_tone_weights is not None) else self.tone_weights


def _rate(name: str, value: Any) -> None:
    if isinstance(value, bool) or not _finite(value) or not 0.0 <= value <= 1.0:  # text such as "0.5" failed later, mid-plan
        raise ConfigError(f"{name} must be a rate between 0 and 1, got {value!r}")


def _finite(value: Any) -> bool:
    """Whether ``value`` is a finite real number (numpy scalars included)."""
    return isinstance(value, numbers.Real) and math.isfinite(value)


def _numbers(value: Any, n: int, kind: type = numbers.Real) -> bool:
    """Whether ``value`` is a tuple or list of ``n`` finite numbers of ``kind``."""
    return isinstance(value, (tuple, list)) and len(value) == n and all(isinstance(v, kind) and _finite(v) for v in value)


def _mapping(name: str, value: Any, what: str) -> None:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{name} must be a mapping of {what}, got {value!r}")


def _weights(name: str, weights: Mapping[str, float], allowed: tuple[str, ...]) -> None:
    if not isinstance(weights, Mapping) or not weights:
        raise ConfigError(f"{name} must be a non-empty mapping of name -> weight, got {weights!r}")
    for k, v in weights.items():
        if k not in allowed:
            raise ConfigError(f"{name}: unknown name {k!r}; allowed: {', '.join(allowed)}")
        if not _finite(v) or v < 0:
            raise ConfigError(f"{name}: weight of {k!r} must be a finite number >= 0, got {v!r}")
    total = sum(weights.values())
    if not 0 < total < math.inf:
        raise ConfigError(f"{name}: weights must have a positive, finite sum, got {total}")


_MODERATE = {"hair": 0.35, "ruler": 0.2, "ink": 0.08, "dark_corner": 0.3, "gel_bubble": 0.1, "glare": 0.1, "blur": 0.1, "colour_cast": 0.1}

PRESETS: dict[str, Preset] = {
    "balanced": Preset("balanced", class_weights={c: 1.0 for c in DIAGNOSIS_PATTERNS}, artifact_rates=dict(_MODERATE)),
    "isic-like": Preset(
        "isic-like",
        # HAM10000 class frequencies (Tschandl et al. 2018).
        class_weights=dict(HAM10000_CLASS_COUNTS),
        # Skin ITA and lesion size follow ISIC 2018 (benchmarks/synth_calibration.py).
        tone_weights={"very_light": 0.6, "light": 0.2, "intermediate": 0.1, "tan": 0.07, "brown": 0.03, "dark": 0.0},
        radius_scale=1.35,
        artifact_rates={"hair": 0.4, "ruler": 0.25, "ink": 0.12, "sticker": 0.08, "dark_corner": 0.35, "gel_bubble": 0.15, "glare": 0.05, "blur": 0.1, "colour_cast": 0.4},
        lesions_per_patient=(1, 4),
    ),
    "spurious-ruler": Preset(
        "spurious-ruler",
        class_weights={"melanoma": 1.0, "nevus": 1.0},
        artifact_rates={**_MODERATE, "ruler": 0.5},
        spurious={"ruler": {"melanoma": 0.9, "nevus": 0.1}},
        hard_case_rate=0.5,  # melanoma vs nevus is then not trivial, as in life, and a shortcut pays
    ),
    "skin-tone-shift": Preset(
        "skin-tone-shift",
        class_weights={c: 1.0 for c in DIAGNOSIS_PATTERNS},
        train_tone_weights={"very_light": 1.0, "light": 1.0},
        artifact_rates=dict(_MODERATE),
    ),
}
"""The named presets."""


def get_preset(preset: str | Preset = "balanced", **overrides: Any) -> Preset:
    """A validated preset by name, with fields (or ``<artifact>_rate`` shortcuts) overridden.

    ``artifact_rates`` and ``spurious`` are merged into the preset's own (``spurious`` per artifact
    and class): ``spurious={"ruler": {"melanoma": 1.0}}`` keeps the preset's rate for nevi.

    Example:
        >>> get_preset("spurious-ruler", spurious={"ruler": {"melanoma": 1.0}}).spurious["ruler"]
        {'melanoma': 1.0, 'nevus': 0.1}
    """
    if isinstance(preset, Preset):
        base = preset
    elif preset in PRESETS:
        base = PRESETS[preset]
    else:
        raise ConfigError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    fields = {f.name for f in dataclasses.fields(Preset)} - {"name"}
    rates = dict(base.artifact_rates)
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        if key.endswith("_rate") and key[: -len("_rate")] in ARTIFACTS:
            rates[key[: -len("_rate")]] = value
        elif key in fields:
            listed = key in ("lesions_per_patient", "split_fractions") and isinstance(value, Iterable) and not isinstance(value, str)
            changes[key] = tuple(value) if listed else value  # anything else is left for validate() to refuse
        else:
            shortcuts = ", ".join(f"{a}_rate" for a in ARTIFACTS)
            raise ConfigError(f"unknown generator option {key!r}; options: {', '.join(sorted(fields))}, {shortcuts}")
    if "artifact_rates" in changes:
        _mapping(f"{base.name}: artifact_rates", changes["artifact_rates"], "artifact -> rate")
        rates = {**rates, **changes.pop("artifact_rates")}
    if "spurious" in changes:
        _mapping(f"{base.name}: spurious", changes["spurious"], "artifact -> {class: rate}")
        merged = {name: dict(by_class) for name, by_class in base.spurious.items()}
        for name, by_class in changes["spurious"].items():
            _mapping(f"{base.name}: spurious[{name!r}]", by_class, "class -> rate")
            merged[name] = {**merged.get(name, {}), **by_class}
        changes["spurious"] = merged
    return dataclasses.replace(base, artifact_rates=rates, **changes).validate()
