"""Balanced sampling and reweighting: inverse-frequency weights over classes or class x group cells.

The same weights serve two uses: a ``WeightedRandomSampler`` that draws every class (or every
class x skin-tone cell) equally often, and per-sample loss weights for group reweighting.

Example:
    >>> balanced_weights([0, 0, 0, 1]).tolist()
    [0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 2.0]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch.utils.data import WeightedRandomSampler

from dermkit.errors import ConfigError


def balanced_weights(labels: Sequence[int] | np.ndarray, groups: Sequence[object] | np.ndarray | None = None) -> np.ndarray:
    """Weight ``n / (K * n_k)`` per sample, where ``k`` is its class (or its class x group cell, ``K`` cells).

    Every cell then carries the same total weight; the weights average to 1.

    Example:
        >>> balanced_weights([0, 0, 1, 1], groups=["a", "b", "b", "b"]).round(3).tolist()
        [1.333, 1.333, 0.667, 0.667]
    """
    y = np.asarray(labels)
    keys = y.astype(str) if groups is None else np.char.add(np.char.add(y.astype(str), "|"), np.asarray(groups).astype(str))
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return len(y) / (len(counts) * counts[inverse].astype(float))


def create_sampler(kind: str, labels: np.ndarray, groups: np.ndarray | None = None, seed: int = 0) -> WeightedRandomSampler | None:
    """``none`` → ``None`` (plain shuffling); ``class`` → class-balanced; ``class_tone`` → class x ``groups`` balanced.

    Draws ``len(labels)`` samples per epoch with replacement, from a generator seeded by ``seed``.

    Example:
        >>> s = create_sampler("class", np.array([0, 0, 0, 1]), seed=0)
        >>> len(list(s))
        4
    """
    if kind == "none":
        return None
    if kind == "class":
        weights = balanced_weights(labels)
    elif kind == "class_tone":
        if groups is None:
            raise ConfigError("sampler 'class_tone' needs a skin_tone column in the training cases")
        weights = balanced_weights(labels, groups)
    else:
        raise ConfigError(f"unknown sampler {kind!r}; use none, class or class_tone")
    return WeightedRandomSampler(torch.as_tensor(weights, dtype=torch.double), num_samples=len(weights), replacement=True, generator=torch.Generator().manual_seed(seed))
