"""Acquisition artifacts drawn over a dermoscopic image, each with a ground-truth flag and mask.

Every renderer takes an RGB uint8 image and a :class:`numpy.random.Generator` and returns a new
image and a bool mask of the pixels it covers (``None`` for global effects: blur, colour cast).
They work on any RGB uint8 image, so the same functions serve as augmentations.

A mask marks the artifact's body: the pixels where its opacity exceeds a fixed share (hair and
dark corners 0.1, ink 0.2, ruler 0.25, glare 0.3, sticker and gel-bubble disc 0.5). Pixels it
changes only faintly are outside: anti-aliased edges, the tapering ends of hairs and ruler
ticks, a bubble's rim and shadow, and (when ``blur`` is also drawn, after the masked artifacts)
the blurred spread around each. Scored against these masks, a detector's recall is the share
of the visible body it finds; its precision is understated by the faint fringe.

Example:
    >>> import numpy as np
    >>> img = np.full((64, 64, 3), 200, np.uint8)
    >>> out, mask = draw_hair(img, np.random.default_rng(0), count=5)
    >>> out.shape, mask.dtype, bool(mask.any()), bool((out[mask] < 200).all())
    ((64, 64, 3), dtype('bool'), True, True)
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from dermkit.errors import ConfigError, DataError


def _check(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise DataError(f"artifacts need an RGB uint8 image (H, W, 3); got dtype {arr.dtype} shape {arr.shape}")
    return arr


def _blend(image: np.ndarray, alpha: np.ndarray, colour: np.ndarray | tuple[float, float, float]) -> np.ndarray:
    """Alpha-blend a flat colour (or a per-pixel (H, W, 3) colour), touching only the bounding box where ``alpha`` > 0."""
    out = image.copy()
    rows, cols = np.flatnonzero(alpha.any(1)), np.flatnonzero(alpha.any(0))
    if len(rows) == 0:
        return out
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    a = np.clip(alpha[box], 0.0, 1.0)[..., None]
    paint = np.asarray(colour, np.float32)
    blended = out[box].astype(np.float32) * (1.0 - a) + (paint[box] if paint.ndim == 3 else paint) * a
    out[box] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return out


def _curve(rng: np.random.Generator, size: int, length: float, start: np.ndarray | None = None) -> np.ndarray:
    """A smooth random curve (quadratic Bezier) of about ``length`` px, as int points in 1/4 px."""
    p0 = rng.uniform(-0.1, 1.1, 2) * size if start is None else start
    a = rng.uniform(0, 2 * np.pi)
    p2 = p0 + length * np.array([np.cos(a), np.sin(a)])
    p1 = (p0 + p2) / 2 + rng.normal(0, length * 0.35, 2)
    t = np.linspace(0, 1, max(8, int(length / 4)))[:, None]
    pts = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2
    return np.round(pts * 4).astype(np.int32)


def draw_hair(
    image: np.ndarray,
    rng: np.random.Generator,
    count: int | None = None,
    colour: tuple[int, int, int] | None = None,
    thickness: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Dark curved hairs (quadratic Bezier strokes); mask = hair pixels.

    Example:
        >>> img = np.full((64, 64, 3), 200, np.uint8)
        >>> out, mask = draw_hair(img, np.random.default_rng(1), count=3, colour=(0, 0, 0))
        >>> int(out[mask].max()) < 200
        True
    """
    img = _check(image)
    h, w = img.shape[:2]
    size = max(h, w)
    count = int(np.clip(rng.gamma(1.5, 9.0), 1, 60)) if count is None else int(count)
    if count < 0:
        raise ConfigError(f"hair count must be >= 0, got {count}")
    base = np.array(colour if colour is not None else [(30, 22, 18), (55, 38, 28), (90, 62, 40), (15, 12, 12)][rng.integers(0, 4)], np.float32)
    alpha = np.zeros((h, w), np.float32)
    for _ in range(count):
        t = thickness if thickness is not None else rng.uniform(0.7, 1.9) * size / 256
        layer = np.zeros((h, w), np.float32)
        cv2.polylines(layer, [_curve(rng, size, rng.uniform(0.3, 1.2) * size)], False, 1.0, max(1, int(round(t))), cv2.LINE_AA, shift=2)
        alpha = np.maximum(alpha, layer * rng.uniform(0.75, 1.0))
    return _blend(img, alpha, base), alpha > 0.1


def draw_ruler(
    image: np.ndarray,
    rng: np.random.Generator,
    spacing: float | None = None,
    colour: tuple[int, int, int] = (20, 20, 20),
) -> tuple[np.ndarray, np.ndarray]:
    """A millimetre scale: a straight line near an image edge with ticks (every fifth longer); mask = its strokes.

    Example:
        >>> img = np.full((128, 128, 3), 200, np.uint8)
        >>> out, mask = draw_ruler(img, np.random.default_rng(0))
        >>> bool(0 < mask.mean() < 0.2)
        True
    """
    img = _check(image)
    h, w = img.shape[:2]
    size = max(h, w)
    spacing = spacing if spacing is not None else rng.uniform(4.5, 8.0) * size / 256
    if spacing <= 0:
        raise ConfigError(f"ruler spacing must be > 0, got {spacing}")
    side = rng.integers(0, 4)  # bottom, top, left, right
    offset = rng.uniform(0.06, 0.2) * size
    along = rng.uniform(0.35, 0.75) * size
    start = rng.uniform(0.05, 0.95 - along / size) * size
    tilt = rng.normal(0, 0.12)
    direction = np.array([np.cos(tilt), np.sin(tilt)])
    normal = np.array([-direction[1], direction[0]])
    origin = np.array([start, size - offset])
    if side == 1:
        origin, normal = np.array([start, offset]), -normal
    pts = lambda p: np.round(p * 4).astype(np.int32)  # noqa: E731
    canvas = np.zeros((size, size), np.uint8)  # uint8: OpenCV draws text only on 8-bit images
    lw = max(1, int(round(size / 256)))
    cv2.line(canvas, tuple(pts(origin)), tuple(pts(origin + along * direction)), 255, lw, cv2.LINE_AA, shift=2)
    for i in range(int(along / spacing) + 1):
        p = origin + i * spacing * direction
        tick = (0.06 if i % 5 == 0 else 0.035) * size
        cv2.line(canvas, tuple(pts(p)), tuple(pts(p - tick * normal)), 255, lw, cv2.LINE_AA, shift=2)
    if rng.random() < 0.6:
        q = origin - 0.1 * size * normal
        cv2.putText(canvas, "mm", (int(q[0]), int(q[1])), cv2.FONT_HERSHEY_SIMPLEX, 0.3 * size / 256, 255, lw, cv2.LINE_AA)
    layer = canvas.astype(np.float32) / 255.0
    if side >= 2:  # vertical rulers: transpose the drawing
        layer = layer.T if side == 2 else layer.T[:, ::-1]
    layer = cv2.resize(layer, (w, h)) if (h, w) != (size, size) else layer
    return _blend(img, layer * 0.9, colour), layer > 0.25


def draw_ink(
    image: np.ndarray,
    rng: np.random.Generator,
    centre: tuple[float, float] | None = None,
    radius: float | None = None,
    colour: tuple[int, int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Surgical-pen marks: dots or dashes ringing a point, a free stroke, or a broad scribbled smear; mask = ink pixels.

    ``centre`` (x, y) and ``radius`` are fractions of the image size (default: around the centre).

    Example:
        >>> img = np.full((64, 64, 3), 200, np.uint8)
        >>> out, mask = draw_ink(img, np.random.default_rng(0))
        >>> bool(mask.any())
        True
    """
    img = _check(image)
    h, w = img.shape[:2]
    size = max(h, w)
    cx, cy = (np.array(centre) if centre is not None else 0.5 + rng.normal(0, 0.03, 2)) * size
    rad = (radius if radius is not None else rng.uniform(0.3, 0.45)) * size
    ink = np.array(colour if colour is not None else [(110, 60, 165), (80, 50, 150), (70, 80, 170)][rng.integers(0, 3)], np.float32)
    layer = np.zeros((h, w), np.float32)
    kind = rng.integers(0, 4)
    if kind >= 2:  # a free stroke near the rim, or a smear: a broad, patchy scribble
        a = rng.uniform(0, 2 * np.pi)
        start = np.array([cx + rad * np.cos(a), cy + rad * np.sin(a)])
        width = max(2, int(size / 60)) if kind == 2 else max(3, int(size * rng.uniform(0.03, 0.08)))
        cv2.polylines(layer, [_curve(rng, size, rng.uniform(0.1, 0.3) * size, start)], False, 1.0, width, cv2.LINE_AA, shift=2)
        if kind == 3:
            patchy = cv2.resize(rng.uniform(0.45, 1.0, (max(2, h // 8), max(2, w // 8))).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
            layer = cv2.GaussianBlur(layer, (0, 0), size / 200) * np.clip(patchy, 0.3, 1.0)
    else:
        n = int(rng.integers(4, 12))
        for a in np.linspace(0, 2 * np.pi, n, endpoint=False) + rng.uniform(0, 1):
            p = np.array([cx + rad * np.cos(a), cy + rad * np.sin(a)]) + rng.normal(0, size * 0.01, 2)
            if kind == 0:
                cv2.circle(layer, (int(p[0]), int(p[1])), max(1, int(rng.uniform(2, 5) * size / 256)), 1.0, -1, cv2.LINE_AA)
            else:
                d = rng.uniform(3, 8) * size / 256 * np.array([-np.sin(a), np.cos(a)])
                cv2.line(layer, tuple((p - d).astype(int)), tuple((p + d).astype(int)), 1.0, max(1, int(size / 100)), cv2.LINE_AA)
    layer = cv2.GaussianBlur(layer, (0, 0), 0.7) * rng.uniform(0.7, 0.95)
    return _blend(img, layer, ink), layer > 0.2


STICKER_COLOURS: tuple[tuple[int, int, int], ...] = ((236, 136, 40), (242, 212, 58), (58, 118, 214), (112, 200, 214), (96, 178, 92))
"""Colours of the round stickers seen at the edge of many archive images (orange, yellow, blue, cyan, green)."""
STICKER_REACH = 0.22
"""Farthest a sticker reaches into the image, as a fraction of its size."""


def draw_sticker(
    image: np.ndarray, rng: np.random.Generator, radius: float | None = None, colour: tuple[int, int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A round coloured sticker on the skin at the image's edge, partly out of frame; mask = sticker pixels.

    ``radius`` is a fraction of the image size (default 0.15-0.32); ``colour`` an RGB triple (default
    one of :data:`STICKER_COLOURS`), speckled, with a darker rim. The sticker reaches at most
    :data:`STICKER_REACH` of the image into the frame, so it seldom reaches a centred lesion; a large
    or off-centre one can be partly covered (its mask is not cut where the sticker lies over it).

    Example:
        >>> img = np.full((64, 64, 3), 200, np.uint8)
        >>> out, mask = draw_sticker(img, np.random.default_rng(0), colour=(60, 120, 210))
        >>> bool(0 < mask.mean() < 0.5), out[mask].mean(0).round().tolist()[2] > 180
        (True, True)
    """
    img = _check(image)
    h, w = img.shape[:2]
    size = max(h, w)
    r = (radius if radius is not None else rng.uniform(0.15, 0.32)) * size
    if r <= 0:
        raise ConfigError(f"sticker radius must be > 0, got {radius}")
    fill = np.array(colour if colour is not None else STICKER_COLOURS[rng.integers(0, len(STICKER_COLOURS))], np.float32)
    # 10-80% of the diameter shows, and at most STICKER_REACH of the image: the centre is that depth less r from the edge
    inside, along = min(rng.uniform(0.1, 0.8) * 2 * r, STICKER_REACH * size) - r, rng.uniform(0.15, 0.85)
    side = rng.integers(0, 4)
    cx, cy = [(along * w, inside), (along * w, h - inside), (inside, along * h), (w - inside, along * h)][side]
    centre, r4 = (int(round(cx * 4)), int(round(cy * 4))), int(round(r * 4))  # 1/4 px (shift=2)
    layer, rim = np.zeros((h, w), np.float32), np.zeros((h, w), np.float32)
    cv2.circle(layer, centre, r4, 1.0, -1, cv2.LINE_AA, shift=2)
    cv2.circle(rim, centre, r4, 1.0, max(1, int(size / 128)), cv2.LINE_AA, shift=2)
    # printed stickers are speckled: a fine random pattern of +-12% in brightness, and a darker rim
    speckle = 1.0 + 0.12 * cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), max(0.6, size / 256))
    paint = fill * (speckle * (1.0 - 0.4 * rim))[..., None]
    return _blend(img, layer * rng.uniform(0.9, 1.0), paint), layer > 0.5


def draw_dark_corners(image: np.ndarray, rng: np.random.Generator, radius: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The dermoscope's round field of view: black outside a circle of ``radius`` (fraction of the diagonal / 2); mask = darkened pixels.

    Example:
        >>> img = np.full((64, 64, 3), 200, np.uint8)
        >>> out, mask = draw_dark_corners(img, np.random.default_rng(0), radius=0.8)
        >>> bool(mask[0, 0]), bool(mask[32, 32])
        (True, False)
    """
    img = _check(image)
    h, w = img.shape[:2]
    rad = radius if radius is not None else rng.uniform(0.72, 0.95)
    yy, xx = np.ogrid[0:h, 0:w]
    cx, cy = w / 2 + rng.normal(0, w * 0.03), h / 2 + rng.normal(0, h * 0.03)
    r = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / (0.5 * np.hypot(h, w))
    soft = rng.uniform(0.03, 0.08)
    dark = np.clip((r - rad) / soft + 0.5, 0, 1)
    return _blend(img, dark * 0.97, (4, 4, 4)), dark > 0.1


def draw_gel_bubbles(image: np.ndarray, rng: np.random.Generator, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Immersion-gel air bubbles: round discs with a bright rim and a faint shadow; mask = the discs.

    Example:
        >>> img = np.full((64, 64, 3), 120, np.uint8)
        >>> out, mask = draw_gel_bubbles(img, np.random.default_rng(0), count=2)
        >>> bool(mask.any())
        True
    """
    img = _check(image)
    h, w = img.shape[:2]
    size = max(h, w)
    count = int(rng.integers(1, 6)) if count is None else int(count)
    rim = np.zeros((h, w), np.float32)
    disc = np.zeros((h, w), np.float32)
    shadow = np.zeros((h, w), np.float32)
    for _ in range(count):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.015, 0.07) * size
        c = (int(x * 4), int(y * 4))
        cv2.circle(disc, c, int(r * 4), 1.0, -1, cv2.LINE_AA, shift=2)
        cv2.circle(shadow, c, int(r * 4), 1.0, max(1, int(r / 5)), cv2.LINE_AA, shift=2)
        cv2.ellipse(rim, c, (int(r * 2.6), int(r * 2.6)), 0, 200, 290, 1.0, max(1, int(r / 6)), cv2.LINE_AA, shift=2)
    out = _blend(img, shadow * 0.35, (60, 60, 60))
    out = _blend(out, disc * 0.12, (255, 255, 255))
    return _blend(out, cv2.GaussianBlur(rim, (0, 0), 0.8), (255, 255, 255)), disc > 0.5


def draw_glare(image: np.ndarray, rng: np.random.Generator, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Specular reflections: small saturated white spots and streaks; mask = the bright area.

    Example:
        >>> img = np.full((64, 64, 3), 120, np.uint8)
        >>> out, mask = draw_glare(img, np.random.default_rng(0))
        >>> int(out[mask].min()) > 120
        True
    """
    img = _check(image)
    h, w = img.shape[:2]
    size = max(h, w)
    count = int(rng.integers(2, 12)) if count is None else int(count)
    layer = np.zeros((h, w), np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    for _ in range(count):
        x, y = cx + rng.normal(0, 0.12 * size), cy + rng.normal(0, 0.12 * size)
        axes = (max(1, int(rng.uniform(1, 4) * size / 256)), max(1, int(rng.uniform(1, 2.5) * size / 256)))
        cv2.ellipse(layer, (int(x), int(y)), axes, rng.uniform(0, 180), 0, 360, 1.0, -1, cv2.LINE_AA)
    halo = cv2.GaussianBlur(layer, (0, 0), 3.0 * size / 256)  # light scattered around each highlight
    layer = np.clip(cv2.GaussianBlur(layer, (0, 0), 0.8) * 1.6 + 0.8 * halo, 0, 1)
    return _blend(img, layer, (255, 255, 255)), layer > 0.3


def apply_blur(image: np.ndarray, rng: np.random.Generator, sigma: float | None = None) -> tuple[np.ndarray, None]:
    """Defocus blur (Gaussian, ``sigma`` px, default 0.8-2 px at 256); no mask.

    Example:
        >>> img = np.zeros((32, 32, 3), np.uint8); img[16] = 255
        >>> int(apply_blur(img, np.random.default_rng(0), sigma=2.0)[0][16, 0, 0]) < 255
        True
    """
    img = _check(image)
    sigma = sigma if sigma is not None else rng.uniform(0.8, 2.0) * max(img.shape[:2]) / 256
    if sigma < 0:
        raise ConfigError(f"blur sigma must be >= 0, got {sigma}")
    return (cv2.GaussianBlur(img, (0, 0), sigma) if sigma > 0 else img.copy()), None


def apply_colour_cast(
    image: np.ndarray, rng: np.random.Generator, gains: tuple[float, float, float] | None = None, saturation: float | None = None
) -> tuple[np.ndarray, None]:
    """A white-balance error: per-channel ``gains`` after scaling the chroma by ``saturation``; no mask.

    Either argument given alone leaves the other neutral. With neither, half the casts are a
    camera's warm or cool tint (saturation 1) and half the grey cast of many dermoscopes
    (saturation 0.35-0.75, slightly cool): in ISIC 2018 the skin around the lesion has a median b*
    of ~9 and a tenth of images have b* < 2, far greyer than skin seen without a dermoscope.

    Example:
        >>> img = np.full((8, 8, 3), 100, np.uint8)
        >>> apply_colour_cast(img, np.random.default_rng(0), gains=(1.1, 1.0, 0.9))[0][0, 0].tolist()
        [110, 100, 90]
    """
    img = _check(image)
    if gains is None and saturation is None:
        grey = rng.random() < 0.5
        k = rng.uniform(0.0, 0.04) * -1.0 if grey else rng.uniform(0.03, 0.08) * rng.choice([-1.0, 1.0])
        gains = (1.0 + k, 1.0 + rng.normal(0, 0.02), 1.0 - k)
        saturation = rng.uniform(0.35, 0.75) if grey else 1.0
    gains = (1.0, 1.0, 1.0) if gains is None else gains
    saturation = 1.0 if saturation is None else float(saturation)
    g = np.asarray(gains, np.float32)
    if g.shape != (3,) or (g <= 0).any():
        raise ConfigError(f"colour cast gains must be three positive numbers, got {gains}")
    if not 0.0 <= saturation <= 2.0:
        raise ConfigError(f"colour cast saturation must be in [0, 2], got {saturation}")
    x = img.astype(np.float32)
    if saturation != 1.0:
        lum = x @ np.array([0.299, 0.587, 0.114], np.float32)
        x = lum[..., None] + saturation * (x - lum[..., None])
    return np.clip(x * g + 0.5, 0, 255).astype(np.uint8), None


ARTIFACTS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray | None]]] = {
    "hair": draw_hair,
    "ink": draw_ink,
    "ruler": draw_ruler,
    "sticker": draw_sticker,
    "gel_bubble": draw_gel_bubbles,
    "glare": draw_glare,
    "dark_corner": draw_dark_corners,
    "blur": apply_blur,
    "colour_cast": apply_colour_cast,
}
"""Artifact name -> renderer, in drawing order (later ones lie on top of earlier ones)."""

MASKED_ARTIFACTS: tuple[str, ...] = ("hair", "ink", "ruler", "sticker", "gel_bubble", "glare", "dark_corner")
"""Artifacts that come with a mask (the others act on the whole image)."""
