"""The lesion layer: shape (size, asymmetry, border irregularity) and diagnosis-dependent patterns.

A lesion is drawn on top of the linear-RGB skin in two ways: brown-to-black pigment as extra
melanin absorption (Beer-Lambert, so the same lesion is darker on darker skin, as in life), and
structures that are not epidermal melanin (blue-grey dermal pigment, white regression or scar,
red vessels and lacunae) as coloured overlays. Each diagnosis has its own dermoscopic recipe,
after the pattern-analysis descriptions of Argenziano et al. (2003) and Kittler et al. (2016):

- ``nevus``: symmetric, regular border, one or two browns, a regular reticular network fading to
  the rim, or regular globules, or a homogeneous pattern;
- ``melanoma``: asymmetric, irregular border, several colours, atypical (thick, broken) network,
  irregular peripheral dots/globules, streaks, blue-white veil, regression, black blotches;
- ``bcc``: little or no network; a translucent pink-red plaque of mottled erythema, enclosed
  whole by the mask, with fine arborizing vessels, a few clustered grey-brown ovoid nests and
  specks, ulceration, shiny white structures;
- ``bkl`` (seborrheic keratosis / solar lentigo): sharp "stuck-on" or moth-eaten border, brown
  cerebriform fissures and ridges, milia-like cysts, comedo-like openings;
- ``df``: small, central white scar-like patch, delicate light-brown network at the periphery;
- ``vasc``: red-purple lacunae separated by pale septa, no pigment network;
- ``akiec``: patchy erythema (strawberry pattern) with a faint, broken red pseudo-network around
  pale follicles, rough white scale in patches, often some light brown pigment.

Example:
    >>> import numpy as np
    >>> from dermkit.synth.skin import render_skin
    >>> skin = render_skin(64, 40.0, np.random.default_rng(0))
    >>> out = render_lesion(skin, "nevus", np.random.default_rng(1), radius=0.25)
    >>> out.image.shape, bool(out.mask[32, 32]), bool(out.mask[0, 0])
    ((64, 64, 3), True, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import cv2
import numpy as np

from dermkit.errors import ConfigError
from dermkit.synth._noise import blur, coordinates, fractal_noise, voronoi_edges
from dermkit.synth.skin import K_HAEMOGLOBIN, srgb_to_linear

COLOURS: dict[str, tuple[int, int, int]] = {
    "light_brown": (170, 112, 72),
    "dark_brown": (92, 52, 34),
    "black": (32, 24, 24),
    "blue_gray": (98, 112, 140),
    "white": (236, 228, 226),
    "red": (196, 48, 56),
    "pink": (226, 150, 158),
    "purple": (118, 38, 82),
    "yellow": (226, 210, 150),
}
"""Dermoscopic colours (sRGB) used by the overlays; the browns come from melanin absorption."""

K_LESION_MELANIN = np.array([0.52, 0.80, 1.22], np.float32)
"""Melanin absorption of lesional pigment: steeper than the skin's (closer to lambda^-3.5), for the saturated
orange-to-dark browns of nests of melanocytes (the skin model's is flatter)."""

DIAGNOSIS_PATTERNS: tuple[str, ...] = ("melanoma", "nevus", "bcc", "akiec", "bkl", "df", "vasc")
"""Diagnoses the renderer draws, each with its own recipe."""


FAR = 1.6
"""Normalised radius beyond which no lesion pixel is drawn (the softest border ends before it)."""
OUTLINE_ALPHA = 0.2
"""Share of the full pigment strength left on the lesion outline. In ISIC 2018 the expert mask
encloses the soft edge: lightness is halfway between lesion and skin ~4 px (at 256 px) inside the
mask and ~85% of the way to the skin on it (``benchmarks/synth_calibration.py``, edge profile)."""
_FADE_JITTER = 0.5
"""The fade width varies along the border by up to this share (smooth noise)."""
_TAIL_REACH = OUTLINE_ALPHA * float(np.log(OUTLINE_ALPHA / 0.005))
"""How far beyond the outline, in units of the (jittered) fade, the tail has fallen below 0.005."""


@dataclass
class LesionShape:
    """Geometry of one lesion: the whole-image bool ``mask``; and, on the ``box`` (row, column slices)
    around it, the normalised radius ``rnorm`` (1 on the border) and angle ``theta``, with the centre
    ``centre_px`` (x, y) in box coordinates."""

    mask: np.ndarray
    rnorm: np.ndarray
    theta: np.ndarray
    radius_px: float
    centre_px: tuple[float, float]
    box: tuple[slice, slice]


@dataclass
class RenderedLesion:
    """A skin image with a lesion: linear-RGB ``image``, bool ``mask``, and what was drawn."""

    image: np.ndarray
    mask: np.ndarray
    colours: list[str] = field(default_factory=list)
    structures: list[str] = field(default_factory=list)


def lesion_shape(
    size: int,
    rng: np.random.Generator,
    radius: float = 0.25,
    centre: tuple[float, float] = (0.5, 0.5),
    asymmetry: float = 0.2,
    border_irregularity: float = 0.2,
    elongation: float = 0.15,
    orientation: float = 0.0,
) -> LesionShape:
    """A closed lesion outline; ``radius`` and ``centre`` are fractions of ``size``, the others in [0, 1].

    Asymmetry adds one or two lobes and a third harmonic (shapes a flip does not map onto
    themselves); border irregularity adds high angular harmonics and a fractal displacement.

    Example:
        >>> s = lesion_shape(128, np.random.default_rng(0), radius=0.2)
        >>> bool(0.08 < s.mask.mean() < 0.18)
        True
    """
    for name, value in (("asymmetry", asymmetry), ("border_irregularity", border_irregularity)):
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"{name} must be in [0, 1], got {value}")
    cy, cx = centre[1] * size, centre[0] * size
    c, s = np.cos(orientation), np.sin(orientation)
    stretch = np.sqrt(1.0 + elongation)
    radius_px = radius * size
    # The outline is a radius profile over angle, tabulated on 1024 bins and looked up per pixel.
    angles = np.linspace(-np.pi, np.pi, 1024, endpoint=False)
    profile = np.ones_like(angles)
    for amp in (asymmetry * rng.uniform(0.35, 0.6), asymmetry * rng.uniform(0.0, 0.35)):
        d = np.angle(np.exp(1j * (angles - rng.uniform(-np.pi, np.pi))))
        profile += amp * np.exp(-(d**2) / (2 * rng.uniform(0.4, 0.8) ** 2))
    profile += asymmetry * 0.12 * np.cos(3 * angles - rng.uniform(0, 2 * np.pi))
    ks = np.arange(4, 24)
    amps = border_irregularity * 0.22 * rng.standard_normal(len(ks)) / ks**0.9
    phases = rng.uniform(0, 2 * np.pi, len(ks))
    profile += (amps[:, None] * np.cos(ks[:, None] * angles[None] - phases[:, None])).sum(0)
    profile = np.maximum(profile, 0.35).astype(np.float32)
    ragged = 0.04 + border_irregularity * 0.08  # every outline is a little ragged (as traced by hand)
    # Only a box around the lesion is computed: beyond it rnorm exceeds FAR whatever the noise.
    reach = (FAR + 4.5 * ragged) * radius_px * float(profile.max()) * stretch
    y0, y1 = max(int(cy - reach), 0), min(int(np.ceil(cy + reach)) + 1, size)
    x0, x1 = max(int(cx - reach), 0), min(int(np.ceil(cx + reach)) + 1, size)
    yy, xx = coordinates(size)
    yy, xx = yy[y0:y1, x0:x1] - cy, xx[y0:y1, x0:x1] - cx
    u = (xx * c + yy * s) / stretch
    v = (-xx * s + yy * c) * stretch
    theta = np.arctan2(v, u)
    bins = ((theta + np.pi) * (1024 / (2 * np.pi))).astype(np.int32) % 1024
    rnorm = np.sqrt(u * u + v * v) / (radius_px * profile[bins])
    side = max(y1 - y0, x1 - x0, 2)
    rnorm += ragged * fractal_noise(side, rng, scale=max(radius_px / 2, 4), octaves=4)[: y1 - y0, : x1 - x0]
    rnorm = np.minimum(rnorm, 4.5 * FAR).astype(np.float32)
    mask = np.zeros((size, size), bool)
    mask[y0:y1, x0:x1] = rnorm < 1.0
    return LesionShape(mask=mask, rnorm=rnorm, theta=theta.astype(np.float32), radius_px=radius_px, centre_px=(cx - x0, cy - y0), box=(slice(y0, y1), slice(x0, x1)))


class _Canvas:
    """The working image of one lesion: melanin absorption, colour overlays, and a record of both."""

    def __init__(self, image: np.ndarray, shape: LesionShape, fade: float, rng: np.random.Generator, image_size: int) -> None:
        self.img = image.copy()
        self.shape = shape
        self.rng = rng
        self.h, self.w = image.shape[:2]
        self.side = max(self.h, self.w)
        self.px = image_size / 256.0  # sizes of fine structures are given for a 256 px image
        # Pigment fades in over ``fade`` (varying along the border) and is at OUTLINE_ALPHA of its
        # full strength on the outline: the mask is traced around the faint visible edge.
        # Outside the outline a short exponential tail (same slope on the outline) stands for the optics' blur.
        soft = np.maximum(fade * (1.0 + _FADE_JITTER * self.noise(max(shape.radius_px, 4), 1)), 0.01)
        t = (1.0 - shape.rnorm) / soft
        tail = OUTLINE_ALPHA * np.exp(np.minimum(t, 0.0) / OUTLINE_ALPHA)
        self.inside = np.where(t >= 0, np.minimum(t + OUTLINE_ALPHA, 1.0), tail).astype(np.float32)
        lum = float(np.median(image[..., 1]))
        self.tone = float(np.clip(lum / 0.45, 0.3, 1.0)) ** 0.6  # overlays darken on darker skin
        self.colours: set[str] = set()
        self.structures: set[str] = set()

    def noise(self, scale: float, octaves: int) -> np.ndarray:
        """Fractal noise of the canvas's shape (see :func:`dermkit.synth._noise.fractal_noise`)."""
        return fractal_noise(self.side, self.rng, scale=scale, octaves=octaves)[: self.h, : self.w]

    def network(self, cell: float, width: float = 1.0, jitter: float = 1.0) -> np.ndarray:
        """Voronoi cell walls of the canvas's shape (see :func:`dermkit.synth._noise.voronoi_edges`)."""
        return voronoi_edges(self.side, self.rng, cell=cell, width=width, jitter=jitter)[: self.h, : self.w]

    def zeros(self) -> np.ndarray:
        """An empty float layer of the canvas's shape."""
        return np.zeros((self.h, self.w), np.float32)

    def blood(self, density: np.ndarray) -> None:
        """Add haemoglobin (erythema, vascularity): redder, as in the skin model."""
        self.img *= np.exp(-np.maximum(density, 0.0)[..., None] * K_HAEMOGLOBIN)

    def grain(self, scale: float = 2.0) -> np.ndarray:
        """Granular fine-scale variation (zero mean, unit std), for pigment that is never perfectly smooth."""
        return self.noise(scale * self.px * 4, 2)

    def erythema(self, scale: float, low: float, high: float) -> None:
        """Mottled redness over the whole lesion: haemoglobin of a random strength in [low, high), varying by half."""
        mottle = self.noise(max(scale, 3.0), 3).clip(-1.5, 1.5)
        self.blood(self.rng.uniform(low, high) * self.inside * (1.0 + 0.5 * mottle))

    def pigment(self, density: np.ndarray, colours: tuple[str, ...] = ()) -> None:
        """Add melanin (Beer-Lambert): ~1 light brown, ~2.5 dark brown, >4 black."""
        self.img *= np.exp(-np.maximum(density, 0.0)[..., None] * K_LESION_MELANIN)
        self.colours.update(colours)

    def paint(self, colour: str, alpha: np.ndarray, strength: float = 1.0) -> None:
        """Blend a named colour over the image with an alpha map in [0, 1]."""
        a = (np.clip(alpha, 0.0, 1.0) * strength)[..., None]
        target = srgb_to_linear(np.array(COLOURS[colour], np.uint8)) * (self.tone if colour not in ("black",) else 1.0)
        self.img = self.img * (1.0 - a) + target * a
        self.colours.add(colour)

    def points(self, n: int, weight: np.ndarray) -> np.ndarray:
        """``n`` pixel positions (x, y) drawn with probability proportional to ``weight``."""
        w = np.clip(weight, 0, None).ravel().astype(np.float64)
        total = w.sum()
        if n <= 0 or total <= 0:
            return np.zeros((0, 2), np.int32)
        idx = self.rng.choice(w.size, size=n, p=w / total)
        return np.stack([idx % self.w, idx // self.w], 1).astype(np.int32)

    def dots(self, pts: np.ndarray, radii: np.ndarray, sharp: float = 0.6) -> np.ndarray:
        """An alpha map of filled discs at ``pts`` with ``radii`` (px), slightly blurred."""
        layer = self.zeros()
        for (x, y), r in zip(pts, radii):
            cv2.circle(layer, (int(x), int(y)), max(1, int(round(r))), 1.0, -1, cv2.LINE_AA)
        return blur(layer, sharp)

    def blob(self, where: np.ndarray, scale: float, threshold: float = 0.6) -> np.ndarray:
        """A soft irregular patch: smooth noise above ``threshold``, restricted by ``where``."""
        n = self.noise(scale, 2)
        return np.clip((n - threshold) * 1.5, 0, 1) * where


def _base_profile(cv: _Canvas, variegation: float, scale: float) -> np.ndarray:
    mottle = cv.noise(scale, 3)
    return cv.inside * (1.0 + 0.45 * (1.0 - cv.shape.rnorm.clip(0, 1) ** 2)) * (1.0 + (0.1 + variegation * 0.5) * mottle)


def _network(cv: _Canvas, cell: float, width: float, jitter: float) -> np.ndarray:
    return cv.network(cell=cell, width=width, jitter=jitter)


def _nevus(cv: _Canvas, darkness: float, variegation: float, style: str) -> None:
    r = cv.shape.radius_px
    d0 = 0.3 + 2.4 * darkness  # from a faint tan macule to a dark brown nevus
    base = _base_profile(cv, variegation * 0.7, r) * (1.0 + 0.35 * cv.grain())
    cv.blood(cv.inside * cv.rng.uniform(0.0, 0.6))
    cv.pigment(d0 * 0.55 * base, ("light_brown",) if d0 < 2.0 else ("light_brown", "dark_brown"))
    if style == "reticular":
        net = _network(cv, cell=float(np.clip(5.0 * cv.px, 3.0, r / 4)), width=0.6, jitter=0.7)
        cv.pigment(d0 * 0.45 * net * cv.inside * (1.0 - 0.7 * cv.shape.rnorm.clip(0, 1) ** 2))
        cv.structures.add("pigment_network")
    elif style == "globular":
        pts = cv.points(int(np.clip(r * r / 30, 8, 200)), cv.inside * (cv.shape.rnorm < 0.92))
        cv.pigment(d0 * 0.8 * cv.dots(pts, cv.rng.uniform(1.2, 2.2, len(pts)) * cv.px) * cv.inside, ("dark_brown",))
        cv.structures.add("globules")
    else:
        cv.pigment(d0 * 0.35 * cv.inside * (1.0 - cv.shape.rnorm.clip(0, 1)))
        cv.structures.add("homogeneous")


def _melanoma(cv: _Canvas, darkness: float, variegation: float, style: str) -> None:
    rng, r, inside, rn = cv.rng, cv.shape.radius_px, cv.inside, cv.shape.rnorm
    d0 = 1.0 + 2.2 * darkness
    zones = cv.noise(r * 0.9, 2)
    base = inside * np.clip(1.0 + (0.5 + 0.6 * variegation) * zones, 0.15, 2.5) * (1.0 + 0.35 * cv.grain())
    cv.blood(inside * rng.uniform(0.1, 0.8) * variegation * np.clip(1.0 - zones, 0, 2))
    cv.pigment(d0 * 0.6 * base, ("light_brown", "dark_brown"))
    # Atypical network: irregular cells, thick dark lines, broken in places.
    net = _network(cv, cell=float(np.clip(6.5 * cv.px, 3.5, r / 3)), width=rng.uniform(0.8, 1.3), jitter=1.0)
    keep = np.clip(cv.noise(r / 2, 2) + 0.3, 0, 1)
    cv.pigment(d0 * 0.6 * net * keep * np.clip(base, 0, 1.5))  # the network lives where the pigment is
    cv.structures.add("atypical_network")
    # Irregular dots and globules, crowded in one off-centre region towards the rim.
    side = np.cos(cv.shape.theta - rng.uniform(-np.pi, np.pi)).clip(0, 1)
    pts = cv.points(int(5 + rng.integers(0, 50) * variegation), inside * side * (rn > 0.4))
    dots = cv.dots(pts, rng.uniform(0.8, 3.0, len(pts)) * cv.px)
    cv.pigment(4.5 * dots * inside, ("black",))
    cv.structures.add("irregular_globules")
    if rng.random() < 0.15 + 0.6 * variegation:  # streaks / pseudopods on part of the border
        _streaks(cv, n=int(rng.integers(6, 18)), colour_density=2.5)
    if rng.random() < 0.1 + 0.7 * variegation:  # blue-white veil
        cv.paint("blue_gray", blur(cv.blob(inside * (rn < 0.85), scale=r, threshold=0.3), 2.0), strength=rng.uniform(0.4, 0.7))
        cv.paint("white", blur(cv.blob(inside * (rn < 0.8), scale=r, threshold=0.9), 2.0), strength=0.2)
        cv.structures.add("blue_white_veil")
    if rng.random() < 0.1 + 0.4 * variegation:  # regression: white scar-like area with grey peppering
        area = blur(cv.blob(inside * (rn < 0.9), scale=r * 0.7, threshold=0.7), 2.0)
        cv.paint("white", blur(area, 1.5), strength=0.45)
        pts = cv.points(int(area.sum() / 12) + 1, area)
        cv.paint("blue_gray", cv.dots(pts, np.full(len(pts), 0.8), sharp=0.5) * area, strength=0.8)
        cv.structures.add("regression")
    if rng.random() < 0.15 + 0.5 * variegation:  # black blotch off centre
        cv.pigment(3.5 * blur(cv.blob(inside * (rn < 0.8), scale=r * 0.6, threshold=1.0), 2.5), ("black",))
    if rng.random() < 0.3:  # pink areas with atypical (dotted, irregular) vessels
        cv.paint("pink", blur(cv.blob(inside, scale=r, threshold=0.6), 3.0), strength=0.3)
        pts = cv.points(int(rng.integers(10, 40)), inside)
        cv.paint("red", cv.dots(pts, rng.uniform(0.6, 1.5, len(pts)), sharp=0.4), strength=0.7)
        cv.structures.add("atypical_vessels")


def _streaks(cv: _Canvas, n: int, colour_density: float) -> None:
    rng = cv.rng
    centre_angle = rng.uniform(-np.pi, np.pi)
    spread = rng.uniform(0.6, 2.5)
    angles = centre_angle + spread * (rng.random(n) - 0.5)
    starts = rng.uniform(0.6, 0.8, n)
    rn, th = cv.shape.rnorm, cv.shape.theta
    ys, xs = np.nonzero((rn > starts.min()) & (rn < 0.99))  # only the rim is tested against each streak
    d = np.abs(np.angle(np.exp(1j * (th[ys, xs, None] - angles[None]))))
    half_width = 0.7 * cv.px / (np.maximum(rn[ys, xs], 0.5) * cv.shape.radius_px)
    hit = ((d < half_width[:, None]) & (rn[ys, xs, None] > starts[None])).any(1)
    layer = cv.zeros()
    layer[ys[hit], xs[hit]] = 1.0
    cv.pigment(colour_density * blur(layer, 0.6), ("dark_brown",))
    cv.structures.add("streaks")


def _branches(layer: np.ndarray, rng: np.random.Generator, x: float, y: float, angle: float, length: float, width: float, depth: int) -> None:
    if depth == 0 or length < 2:
        return
    x2, y2 = x + length * np.cos(angle), y + length * np.sin(angle)
    n = 5
    pts = [(x + (x2 - x) * t + rng.normal(0, length * 0.06), y + (y2 - y) * t + rng.normal(0, length * 0.06)) for t in np.linspace(0, 1, n)]
    cv2.polylines(layer, [np.round(np.array(pts) * 4).astype(np.int32)], False, 1.0, max(1, int(round(width))), cv2.LINE_AA, shift=2)
    for da in (rng.uniform(0.3, 0.8), -rng.uniform(0.3, 0.8)):
        _branches(layer, rng, pts[-1][0], pts[-1][1], angle + da, length * rng.uniform(0.5, 0.75), width * 0.7, depth - 1)


def _bcc(cv: _Canvas, darkness: float, variegation: float, style: str) -> None:
    rng, r, inside, rn = cv.rng, cv.shape.radius_px, cv.inside, cv.shape.rnorm
    # A translucent pink-red plaque: mottled erythema (haemoglobin) that the mask encloses whole,
    # under a milky sheen; vessels, nests and dots are small details on it, often out of focus.
    cv.erythema(r / 3, 0.3, 0.8)
    cv.paint("pink", inside * (0.6 + 0.3 * cv.noise(r, 2).clip(-1, 1)), strength=0.2)
    cv.paint("white", blur(cv.blob(inside, scale=r * 0.6, threshold=0.5), 2.0), strength=0.2)
    cv.structures.add("translucent")
    vessels = cv.zeros()
    cx, cy = cv.shape.centre_px
    for _ in range(int(rng.integers(1, 4))):
        a, d = rng.uniform(0, 2 * np.pi), rng.uniform(0, 0.6) * r
        _branches(vessels, rng, cx + d * np.cos(a), cy + d * np.sin(a), rng.uniform(0, 2 * np.pi), r * rng.uniform(0.25, 0.5), max(1.0, 1.2 * cv.px), 3)
    cv.paint("red", blur(vessels, rng.uniform(0.5, 1.5)) * (rn < 1.0), strength=rng.uniform(0.4, 0.8))
    cv.structures.add("arborizing_vessels")
    if style == "pigmented" or rng.random() < 0.3:
        # ovoid nests: a few small grey-brown blotches in one or two clusters; globules: specks around them
        cluster = np.clip((cv.noise(r / 2, 1) - 0.2) * 2.0, 0, 1) * inside * (rn < 0.9)
        nests = blur(cv.blob(cluster, scale=max(r * 0.12, 2.0), threshold=0.7), 1.0)
        cv.pigment((0.8 + 1.5 * darkness) * nests, ("dark_brown",))
        cv.paint("blue_gray", nests, strength=0.4)
        pts = cv.points(int(rng.integers(8, 40)), inside * (0.2 + cluster))
        specks = cv.dots(pts, rng.uniform(0.6, 1.6, len(pts)) * cv.px, sharp=0.8) * inside
        cv.pigment(2.0 * specks, ("dark_brown",))
        cv.paint("blue_gray", specks, strength=0.4)
        cv.structures.update({"blue_gray_ovoid_nests", "blue_gray_globules"})
    if rng.random() < 0.35:
        ulcer = blur(cv.blob(inside * (rn < 0.7), scale=r * 0.4, threshold=1.1), 1.5)
        cv.paint("red", ulcer, strength=0.6)
        cv.pigment(2.0 * ulcer, ("dark_brown",))
        cv.structures.add("ulceration")
    if rng.random() < 0.3:
        lines = cv.zeros()
        for x, y in cv.points(int(rng.integers(4, 12)), inside):
            a = rng.choice([0.0, np.pi / 2]) + rng.normal(0, 0.1)
            L = rng.uniform(2, 6)
            cv2.line(lines, (int(x - L * np.cos(a)), int(y - L * np.sin(a))), (int(x + L * np.cos(a)), int(y + L * np.sin(a))), 1.0, 1, cv2.LINE_AA)
        cv.paint("white", lines, strength=0.6)
        cv.structures.add("shiny_white_structures")


def _bkl(cv: _Canvas, darkness: float, variegation: float, style: str) -> None:
    rng, r, inside, rn = cv.rng, cv.shape.radius_px, cv.inside, cv.shape.rnorm
    if style == "lentigo":
        cv.pigment((0.6 + 1.2 * darkness) * inside * (1.0 + 0.3 * cv.noise(r / 2, 2)), ("light_brown",))
        ang = rng.uniform(0, np.pi)
        xx, yy = (c[: cv.h, : cv.w] for c in coordinates(cv.side))
        stripes = 0.5 + 0.5 * np.sin((xx * np.cos(ang) + yy * np.sin(ang)) * 2 * np.pi / max(3.0, r / 8) + 3 * cv.noise(r, 1))
        cv.pigment(0.25 * stripes * inside)
        cv.structures.add("fingerprint_pattern")
        return
    cv.pigment((1.2 + 2.2 * darkness) * inside * (1.0 + 0.3 * variegation * cv.noise(r, 2)), ("light_brown", "dark_brown"))
    band = cv.noise(max(6.0, r / 3), 2)
    fissures = np.clip(1.0 - np.abs(band) / 0.25, 0, 1)
    ridges = np.clip(band - 0.8, 0, 1)
    cv.pigment(2.2 * fissures * inside, ("dark_brown",))
    cv.paint("yellow", ridges * inside, strength=0.25)
    cv.structures.add("fissures_ridges")
    pts = cv.points(int(rng.integers(3, 14)), inside * (rn < 0.9))
    cv.paint("white", cv.dots(pts, rng.uniform(1.0, 2.8, len(pts)), sharp=0.8) * inside, strength=0.85)
    cv.structures.add("milia_like_cysts")
    pts = cv.points(int(rng.integers(3, 12)), inside * (rn < 0.9))
    cv.pigment(4.0 * cv.dots(pts, rng.uniform(1.0, 2.5, len(pts)), sharp=0.7) * inside, ("black",))
    cv.structures.add("comedo_like_openings")


def _df(cv: _Canvas, darkness: float, variegation: float, style: str) -> None:
    rng, r, inside, rn = cv.rng, cv.shape.radius_px, cv.inside, cv.shape.rnorm
    cv.paint("pink", inside * 0.6, strength=0.35)
    ring = inside * np.clip((rn - 0.35) / 0.3, 0, 1)
    net = _network(cv, cell=float(np.clip(5.0 * cv.px, 3.0, r / 4)), width=0.6, jitter=0.7)
    cv.pigment((0.5 + 1.0 * darkness) * ring * (0.6 + 0.5 * net), ("light_brown",))
    cv.structures.add("peripheral_network")
    patch = np.clip(1.0 - rn / rng.uniform(0.4, 0.6) + 0.4 * cv.noise(r / 2, 2), 0, 1)
    cv.paint("white", blur(patch, 1.5) * inside, strength=0.8)
    cv.structures.add("central_white_patch")


def _vasc(cv: _Canvas, darkness: float, variegation: float, style: str) -> None:
    rng, r, inside, rn = cv.rng, cv.shape.radius_px, cv.inside, cv.shape.rnorm
    main = "purple" if style == "purple" else "red"
    cv.paint("pink", inside, strength=0.5)
    cv.paint(main, inside, strength=0.3)
    septa = cv.network(cell=max(4.0, r / rng.uniform(2.5, 5)), width=1.3, jitter=0.9)
    lacunae = np.clip(1.0 - 1.3 * septa, 0, 1) * inside * np.clip((1.0 - rn) * 8, 0, 1)
    cv.paint(main, lacunae, strength=0.9)
    cv.pigment(darkness * 1.2 * lacunae * np.clip(cv.noise(r / 2, 1), 0, 1))
    if rng.random() < 0.3:
        cv.paint("blue_gray", blur(cv.blob(inside * (rn < 0.8), scale=r / 2, threshold=1.0), 1.5), strength=0.6)
    cv.structures.add("lacunae")


def _akiec(cv: _Canvas, darkness: float, variegation: float, style: str) -> None:
    rng, r, inside, rn = cv.rng, cv.shape.radius_px, cv.inside, cv.shape.rnorm
    # Patchy erythema (strawberry pattern): a faint, broken red pseudo-network around pale
    # follicles on mottled redness, rough white scale in patches, often some light brown pigment.
    cv.erythema(r / 4, 0.4, 1.0)
    cv.paint("pink", inside, strength=0.25)
    patchy = np.clip(0.5 + cv.noise(r / 2, 2), 0, 1)
    net = blur(cv.network(cell=max(3.0, r / rng.uniform(6, 12)), width=1.0, jitter=1.0), 0.8)
    cv.paint("red", net * patchy * inside, strength=rng.uniform(0.25, 0.5))
    cv.structures.add("red_pseudo_network")
    pts = cv.points(int(np.clip(r * r / 50, 6, 80)), inside)
    cv.paint("white", cv.dots(pts, rng.uniform(0.8, 1.6, len(pts)) * cv.px, sharp=0.8) * inside, strength=0.5)
    cv.structures.add("follicular_openings")
    scale = cv.blob(inside, scale=max(r / 3, 3.0), threshold=0.75) * np.clip(0.6 + 0.8 * cv.grain(), 0, 1)
    cv.paint("white", blur(scale, 1.0), strength=rng.uniform(0.3, 0.6))
    cv.structures.add("scale")
    if rng.random() < 0.5:
        cv.pigment((0.4 + 1.2 * darkness) * cv.blob(inside, scale=r / 2, threshold=0.5) * (1.0 + 0.4 * cv.grain()), ("light_brown",))
    pts = cv.points(int(rng.integers(10, 40)), inside)
    cv.paint("red", cv.dots(pts, np.full(len(pts), 0.8), sharp=0.4), strength=0.7)
    cv.structures.add("dotted_vessels")


_RECIPES: dict[str, tuple[Callable[..., None], float]] = {
    # diagnosis: (recipe, default border fade in units of the lesion radius)
    "nevus": (_nevus, 0.2),
    "melanoma": (_melanoma, 0.15),
    "bcc": (_bcc, 0.3),
    "akiec": (_akiec, 0.3),
    "bkl": (_bkl, 0.06),
    "df": (_df, 0.4),
    "vasc": (_vasc, 0.08),
}

STYLES: dict[str, tuple[str, ...]] = {
    "nevus": ("reticular", "globular", "homogeneous"),
    "melanoma": ("default",),
    "bcc": ("default", "pigmented"),
    "akiec": ("default",),
    "bkl": ("seborrheic", "lentigo"),
    "df": ("default",),
    "vasc": ("red", "purple"),
}
"""Sub-types each recipe draws (e.g. a reticular, globular or homogeneous nevus)."""


def render_lesion(
    skin: np.ndarray,
    diagnosis: str,
    rng: np.random.Generator,
    radius: float = 0.25,
    centre: tuple[float, float] = (0.5, 0.5),
    asymmetry: float = 0.2,
    border_irregularity: float = 0.2,
    elongation: float = 0.15,
    orientation: float = 0.0,
    darkness: float = 0.5,
    variegation: float = 0.3,
    style: str | None = None,
    border_fade: float | None = None,
) -> RenderedLesion:
    """Draw a lesion of ``diagnosis`` on linear-RGB ``skin`` (not modified); see the module example.

    ``border_fade`` is the width, in units of the lesion radius, over which pigment fades in
    inside the outline (0: a sharp, stuck-on edge; ~0.3: a soft nevus edge); ``None`` takes the
    diagnosis's default.
    """
    if diagnosis not in _RECIPES:
        raise ConfigError(f"cannot render diagnosis {diagnosis!r}; known: {', '.join(DIAGNOSIS_PATTERNS)}")
    styles = STYLES[diagnosis]
    style = style or styles[0]
    if style not in styles:
        raise ConfigError(f"unknown {diagnosis} style {style!r}; known: {', '.join(styles)}")
    size = skin.shape[0]
    shape = lesion_shape(size, rng, radius, centre, asymmetry, border_irregularity, elongation, orientation)
    recipe, default_fade = _RECIPES[diagnosis]
    fade = default_fade if border_fade is None else float(border_fade)
    if not 0.0 <= fade <= 1.0:
        raise ConfigError(f"border_fade must be in [0, 1] (units of the lesion radius), got {border_fade}")
    # Work on the lesion's box only (with room for the faint rim outside the outline): cost follows lesion area.
    near = shape.rnorm < 1.0 + max(fade, 0.01) * (1.0 + _FADE_JITTER) * _TAIL_REACH + 0.02
    rows, cols = np.flatnonzero(near.any(1)), np.flatnonzero(near.any(0))
    if len(rows) == 0:
        return RenderedLesion(skin.copy(), shape.mask, [], [])
    by, bx = shape.box
    ry0, ry1 = max(int(rows[0]) - 3, 0), min(int(rows[-1]) + 4, near.shape[0])
    rx0, rx1 = max(int(cols[0]) - 3, 0), min(int(cols[-1]) + 4, near.shape[1])
    inner = (slice(ry0, ry1), slice(rx0, rx1))
    box = (slice(by.start + ry0, by.start + ry1), slice(bx.start + rx0, bx.start + rx1))
    crop = LesionShape(shape.mask[box], shape.rnorm[inner], shape.theta[inner], shape.radius_px, (shape.centre_px[0] - rx0, shape.centre_px[1] - ry0), box)
    cv = _Canvas(skin[box], crop, fade, rng, size)
    recipe(cv, darkness, variegation, style)
    image = skin.copy()
    image[box] = cv.img
    return RenderedLesion(image, shape.mask, sorted(cv.colours), sorted(cv.structures))
