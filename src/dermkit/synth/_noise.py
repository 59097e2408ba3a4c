"""Fast procedural fields shared by the skin, lesion and artifact renderers.

Everything is built from small random grids upsampled with OpenCV, so a 256x256 field costs
well under a millisecond.

Example:
    >>> import numpy as np
    >>> field = fractal_noise(64, np.random.default_rng(0), scale=16)
    >>> field.shape, round(float(field.std()), 1)
    ((64, 64), 1.0)
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np


def fractal_noise(size: int, rng: np.random.Generator, scale: float = 32.0, octaves: int = 3, persistence: float = 0.5) -> np.ndarray:
    """Smooth zero-mean, unit-std noise of ``size x size``; ``scale`` is the coarsest feature size in pixels.

    The octaves are summed at the finest octave's resolution (a few samples per feature) and
    upsampled once, so coarse noise costs almost nothing.

    Example:
        >>> fractal_noise(32, np.random.default_rng(1), scale=8).shape
        (32, 32)
    """
    finest = max(2, int(round(size / max(scale / 2 ** (octaves - 1), 1.0))) + 1)
    work = min(size, 4 * finest)
    out = np.zeros((work, work), np.float32)
    weight = 1.0
    for octave in range(octaves):
        cells = max(2, int(round(size / max(scale / 2**octave, 1.0))) + 1)
        grid = rng.standard_normal((cells, cells)).astype(np.float32)
        out += weight * (grid if cells == work else cv2.resize(grid, (work, work), interpolation=cv2.INTER_CUBIC))
        weight *= persistence
    if work != size:
        out = cv2.resize(out, (size, size), interpolation=cv2.INTER_CUBIC)
    out -= out.mean()
    std = float(out.std())
    return out / std if std > 0 else out


def coordinates(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel row and column coordinates (float32, ``size x size``), cached; do not modify them."""
    return _coordinates(int(size))


@lru_cache(maxsize=8)
def _coordinates(size: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    yy.flags.writeable = False
    xx.flags.writeable = False
    return yy, xx


def voronoi_edges(size: int, rng: np.random.Generator, cell: float, width: float = 1.0, jitter: float = 1.0) -> np.ndarray:
    """A honeycomb of cell walls in [0, 1]: 1 on the edges of a Voronoi tessellation of ~``cell`` px cells.

    ``jitter`` 0 gives a regular lattice, 1 fully random seed points; ``width`` is the wall's blur (px).
    Pigment networks and skin furrows are both drawn from it.

    Example:
        >>> net = voronoi_edges(64, np.random.default_rng(0), cell=8)
        >>> 0.0 <= float(net.min()) and float(net.max()) <= 1.0
        True
    """
    n = max(2, int(round(size / cell)))
    ys, xs = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    pts = (np.stack([ys, xs], -1).reshape(-1, 2) + 0.5 + jitter * (rng.random((n * n, 2)) - 0.5)) * (size / n)
    pts = np.clip(pts.astype(np.int32), 0, size - 1)
    seeds = np.ones((size, size), np.uint8)
    seeds[pts[:, 0], pts[:, 1]] = 0
    _, labels = cv2.distanceTransformWithLabels(seeds, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    edges = np.zeros((size, size), np.float32)
    edges[:, 1:] += labels[:, 1:] != labels[:, :-1]
    edges[1:, :] += labels[1:, :] != labels[:-1, :]
    edges = np.minimum(edges, 1.0)
    if width > 0:
        edges = cv2.GaussianBlur(edges, (0, 0), width)
        edges /= max(float(edges.max()), 1e-6)
    return edges


def blur(field: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of a float field (``sigma`` in px; 0 returns it unchanged)."""
    return cv2.GaussianBlur(field, (0, 0), sigma) if sigma > 0 else field


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream for one rendering component, so changing one factor leaves the others' randomness unchanged.

    Example:
        >>> stream(0, "hair").random() == stream(0, "hair").random()
        True
    """
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "little")])
