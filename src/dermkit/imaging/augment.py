"""Albumentations transforms for colour-space jitter and artifact injection.

* :class:`ColourSpaceJitter` adds a random offset to each channel of the image in HSV, CIELAB
  or YCbCr (OpenCV's 8-bit encodings; hue wraps around), as the Mpox web system's training
  pipeline jittered colours in several spaces to be robust to cameras and skin tones.
* :class:`ArtifactInjection` draws acquisition artifacts (hair, ruler, ink, ...) with the synthetic
  generator's own renderers (:mod:`dermkit.synth.artifacts`), so a model can be taught, or
  tested, not to rely on them.

Both take their randomness from albumentations' seeded generators: ``A.Compose(..., seed=s)``
gives the same bytes for the same ``s``. Use them on RGB uint8 images, before ``Normalize``.
:class:`dermkit.imaging.tone_transform.SkinToneShift` is the skin-tone transform.

Example:
    >>> import albumentations as A
    >>> t = A.Compose([ColourSpaceJitter("lab", p=1.0), ArtifactInjection(("hair",), p=1.0)], seed=0)
    >>> t(image=np.full((64, 64, 3), 180, np.uint8))["image"].shape
    (64, 64, 3)
"""

from __future__ import annotations

from typing import Any, Sequence

import albumentations as A
import cv2
import numpy as np

from dermkit.checks import as_names
from dermkit.errors import ConfigError, DataError

# space -> (forward, backward) OpenCV codes and default shift limits per channel (8-bit units).
SPACES: dict[str, tuple[int, int, tuple[float, float, float]]] = {
    "hsv": (cv2.COLOR_RGB2HSV, cv2.COLOR_HSV2RGB, (5.0, 20.0, 20.0)),
    "lab": (cv2.COLOR_RGB2Lab, cv2.COLOR_Lab2RGB, (10.0, 6.0, 6.0)),
    "ycbcr": (cv2.COLOR_RGB2YCrCb, cv2.COLOR_YCrCb2RGB, (15.0, 6.0, 6.0)),
}


def _uint8(img: np.ndarray, name: str) -> None:
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise DataError(f"{name} expects RGB uint8 images (place it before Normalize), got {img.dtype} {img.shape}")


class ColourSpaceJitter(A.ImageOnlyTransform):
    """Shift each channel of ``space`` (``hsv``, ``lab`` or ``ycbcr``) by a uniform random offset.

    ``shift`` gives the largest offset per channel in OpenCV's 8-bit units (hue: 0-179, the
    others 0-255); default :data:`SPACES`' limits for the space.

    Example:
        >>> import albumentations as A
        >>> img = np.full((8, 8, 3), (200, 150, 120), np.uint8)
        >>> out = A.Compose([ColourSpaceJitter("hsv", shift=(0, 0, 30), p=1.0)], seed=1)(image=img)["image"]
        >>> bool((out != img).any())
        True
    """

    def __init__(self, space: str = "lab", shift: Sequence[float] | None = None, p: float = 0.5):
        super().__init__(p=p)
        if space not in SPACES:
            raise ConfigError(f"unknown colour space {space!r}; known: {', '.join(SPACES)}")
        limits = SPACES[space][2] if shift is None else tuple(float(v) for v in shift)
        if len(limits) != 3 or min(limits) < 0:
            raise ConfigError(f"shift must be three non-negative numbers, got {shift}")
        self.space = space
        self.shift = limits

    def get_params(self) -> dict[str, Any]:
        """Draw the three channel offsets."""
        return {"offsets": [self.py_random.uniform(-s, s) for s in self.shift]}

    def apply(self, img: np.ndarray, offsets: Sequence[float] = (0.0, 0.0, 0.0), **params: Any) -> np.ndarray:
        """Jitter one image."""
        _uint8(img, "ColourSpaceJitter")
        forward, backward, _ = SPACES[self.space]
        x = cv2.cvtColor(img, forward).astype(np.float32) + np.asarray(offsets, np.float32)
        if self.space == "hsv":
            x[:, :, 0] = np.mod(x[:, :, 0], 180.0)
        x = np.clip(np.round(x), 0, 255).astype(np.uint8)
        return cv2.cvtColor(x, backward)

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        """Arguments for albumentations' serialisation."""
        return ("space", "shift")


class ArtifactInjection(A.ImageOnlyTransform):
    """Draw acquisition artifacts with :mod:`dermkit.synth.artifacts` renderers.

    Each of ``artifacts`` (names of :data:`dermkit.synth.artifacts.ARTIFACTS`, default hair,
    ruler and ink) is drawn with probability ``artifact_p``; when the draw picks none, one of them
    is drawn, so an applied transform always adds an artifact. ``options`` passes keyword
    arguments to a renderer, e.g. ``{"hair": {"count": 10}}``. The lesion mask is not changed.

    Example:
        >>> import albumentations as A
        >>> img = np.full((64, 64, 3), 200, np.uint8)
        >>> out = A.Compose([ArtifactInjection(("ruler",), p=1.0)], seed=0)(image=img)["image"]
        >>> int(out.min()) < 100
        True
    """

    def __init__(
        self,
        artifacts: str | Sequence[str] = ("hair", "ruler", "ink"),
        artifact_p: float = 0.5,
        options: dict[str, dict[str, Any]] | None = None,
        p: float = 0.5,
    ):
        super().__init__(p=p)
        from dermkit.synth.artifacts import ARTIFACTS

        artifacts = as_names(artifacts)  # one name may be given as a string
        unknown = [a for a in artifacts if a not in ARTIFACTS]
        if unknown or not artifacts:
            raise ConfigError(f"unknown or no artifact(s) {unknown or list(artifacts)}; known: {', '.join(ARTIFACTS)}")
        if not 0.0 <= artifact_p <= 1.0:
            raise ConfigError(f"artifact_p must be in [0, 1], got {artifact_p}")
        self.artifacts = tuple(artifacts)
        self.artifact_p = float(artifact_p)
        self.options = dict(options or {})

    def get_params(self) -> dict[str, Any]:
        """Choose the artifacts and a seed for their renderers."""
        chosen = [a for a in self.artifacts if self.py_random.random() < self.artifact_p]
        if not chosen:
            chosen = [self.py_random.choice(self.artifacts)]
        return {"chosen": chosen, "seed": self.py_random.getrandbits(63)}

    def apply(self, img: np.ndarray, chosen: Sequence[str] = (), seed: int = 0, **params: Any) -> np.ndarray:
        """Draw the chosen artifacts on one image."""
        from dermkit.synth.artifacts import ARTIFACTS

        _uint8(img, "ArtifactInjection")
        rng = np.random.default_rng(seed)
        for name in ARTIFACTS:  # the generator's drawing order
            if name in chosen:
                img, _ = ARTIFACTS[name](img, rng, **self.options.get(name, {}))
        return img

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        """Arguments for albumentations' serialisation."""
        return ("artifacts", "artifact_p", "options")
