"""One synthetic case: its parameters (:class:`CaseParams`) and :func:`render_case`.

Every rendering component (skin, lesion, each artifact) draws from its own random stream
derived from the case's seed, so a case re-rendered with one factor changed (say, without hair)
is otherwise identical, byte for byte.

Example:
    >>> import dataclasses
    >>> p = CaseParams(diagnosis="nevus", size=64, ita=40.0, artifacts=("hair",))
    >>> a = render_case(p, seed=3)
    >>> b = render_case(dataclasses.replace(p, artifacts=()), seed=3)
    >>> hair = a.artifact_masks["hair"]
    >>> bool((a.image[hair] != b.image[hair]).any()), int(np.abs(a.image.astype(int) - b.image)[~hair].max()) <= 30
    (True, True)
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import numbers
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from dermkit.checks import as_names, check_count, check_number
from dermkit.errors import ConfigError
from dermkit.synth._noise import stream
from dermkit.synth.artifacts import ARTIFACTS
from dermkit.synth.lesion import DIAGNOSIS_PATTERNS, render_lesion
from dermkit.synth.skin import ITA_LIMITS, linear_to_srgb8, render_skin

MIN_SIZE = 32
MAX_SIZE = 4096
"""Largest image side rendered: memory grows with size² (about 1.5 GB per worker at 4096 px)."""


def _option_names(artifact: str) -> list[str]:
    """The keyword options of an artifact's renderer (its parameters after the image and the generator)."""
    return list(inspect.signature(ARTIFACTS[artifact]).parameters)[2:]


@dataclass(frozen=True)
class CaseParams:
    """Everything that defines one synthetic image (fractions are of the image size)."""

    diagnosis: str
    size: int = 256
    ita: float = 40.0
    haemoglobin: float = 0.3
    skin_texture: float = 1.0
    """Strength of the skin's mottling, furrows and pores (0: flat skin; 1: typical; 3: blotchy, weathered)."""
    radius: float = 0.22
    centre: tuple[float, float] = (0.5, 0.5)
    """Lesion centre (x, y), each a fraction of the image size in [0, 1]."""
    asymmetry: float = 0.2
    border_irregularity: float = 0.2
    elongation: float = 0.15
    orientation: float = 0.0
    darkness: float = 0.5
    variegation: float = 0.3
    style: str | None = None
    border_fade: float | None = None
    """Width over which pigment fades in inside the outline, in units of the radius (``None``: the diagnosis's default)."""
    artifacts: tuple[str, ...] = ()
    """Artifact names (a single name may be given as a string)."""
    artifact_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Artifact name -> keyword options of its renderer (e.g. ``{"hair": {"count": 5}}``)."""

    def __post_init__(self) -> None:
        if self.diagnosis not in DIAGNOSIS_PATTERNS:
            raise ConfigError(f"cannot render diagnosis {self.diagnosis!r}; known: {', '.join(DIAGNOSIS_PATTERNS)}")
        for name in ("ita", "haemoglobin", "skin_texture", "radius", "asymmetry", "border_irregularity", "elongation", "orientation", "darkness", "variegation"):
            check_number(name, getattr(self, name))  # text was a bare TypeError, NaN an IndexError in the renderer
        if self.border_fade is not None:
            check_number("border_fade", self.border_fade)
        if not MIN_SIZE <= check_count("size", self.size, 1) <= MAX_SIZE:
            raise ConfigError(f"image size must be at least {MIN_SIZE} px and at most {MAX_SIZE} px, got {self.size}")
        if not ITA_LIMITS[0] <= self.ita <= ITA_LIMITS[1]:
            raise ConfigError(f"ita {self.ita} is outside the renderable range {ITA_LIMITS}")
        for name in ("asymmetry", "border_irregularity", "darkness", "variegation"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"{name} must be in [0, 1], got {v}")
        if not 0.0 <= self.skin_texture <= 3.0:
            raise ConfigError(f"skin_texture must be in [0, 3], got {self.skin_texture}")
        if self.border_fade is not None and not 0.0 <= self.border_fade <= 1.0:
            raise ConfigError(f"border_fade must be in [0, 1] (units of the lesion radius), got {self.border_fade}")
        if not 0.0 < self.radius <= 0.6:
            raise ConfigError(f"lesion radius must be in (0, 0.6] of the image size, got {self.radius}")
        c = self.centre
        if not (isinstance(c, (tuple, list)) and len(c) == 2 and all(isinstance(v, numbers.Real) and 0.0 <= v <= 1.0 for v in c)):
            raise ConfigError(f"centre must be (x, y), fractions of the image size in [0, 1], got {c!r}")
        object.__setattr__(self, "centre", tuple(c))
        object.__setattr__(self, "artifacts", tuple(as_names(self.artifacts or ())))  # a string is one name; None is none
        unknown = [a for a in self.artifacts if a not in ARTIFACTS]
        if unknown:
            raise ConfigError(f"unknown artifact(s) {', '.join(unknown)}; known: {', '.join(ARTIFACTS)}")
        if not (isinstance(self.artifact_options, Mapping) and all(isinstance(o, Mapping) for o in self.artifact_options.values())):
            raise ConfigError(f"artifact_options must map artifact names to options, e.g. {{'hair': {{'count': 5}}}}; got {self.artifact_options!r}")
        for name, options in self.artifact_options.items():
            if name not in ARTIFACTS:
                raise ConfigError(f"unknown artifact {name!r} in artifact_options; known: {', '.join(ARTIFACTS)}")
            bad = [k for k in options if k not in _option_names(name)]
            if bad:
                raise ConfigError(f"unknown {name} option(s) {', '.join(map(repr, bad))}; known: {', '.join(_option_names(name))}")

    def to_json(self) -> str:
        """The parameters as a JSON string (stored in the case table's ``synth_params`` column)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "CaseParams":
        """Parameters back from :meth:`to_json`.

        Example:
            >>> p = CaseParams(diagnosis="df", artifacts=("ruler",))
            >>> CaseParams.from_json(p.to_json()) == p
            True
        """
        d = json.loads(text)
        d["centre"] = tuple(d["centre"])
        d["artifacts"] = tuple(d["artifacts"])
        return cls(**d)


@dataclass
class RenderedCase:
    """A rendered case: RGB uint8 ``image``, bool lesion ``mask``, bool ``artifact_masks`` by name."""

    image: np.ndarray
    mask: np.ndarray
    artifact_masks: dict[str, np.ndarray]
    colours: list[str]
    structures: list[str]


def render_case(params: CaseParams, seed: int) -> RenderedCase:
    """Render one case from its parameters; the same ``(params, seed)`` always gives the same bytes.

    Example:
        >>> out = render_case(CaseParams(diagnosis="melanoma", size=64), seed=0)
        >>> out.image.dtype, out.image.shape, bool(out.mask.any())
        (dtype('uint8'), (64, 64, 3), True)
    """
    seed = check_count("seed", seed, 0)
    size = int(params.size)
    skin = render_skin(size, params.ita, stream(seed, "skin"), haemoglobin=params.haemoglobin, texture=params.skin_texture)
    lesion = render_lesion(
        skin,
        params.diagnosis,
        stream(seed, "lesion"),
        radius=params.radius,
        centre=params.centre,
        asymmetry=params.asymmetry,
        border_irregularity=params.border_irregularity,
        elongation=params.elongation,
        orientation=params.orientation,
        darkness=params.darkness,
        variegation=params.variegation,
        style=params.style,
        border_fade=params.border_fade,
    )
    image = linear_to_srgb8(lesion.image)
    masks: dict[str, np.ndarray] = {}
    for name, draw in ARTIFACTS.items():  # fixed drawing order, whatever the order in params
        if name in params.artifacts:
            image, mask = draw(image, stream(seed, name), **params.artifact_options.get(name, {}))
            if mask is not None:
                masks[name] = mask
    return RenderedCase(image=image, mask=lesion.mask, artifact_masks=masks, colours=lesion.colours, structures=lesion.structures)
