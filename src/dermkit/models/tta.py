"""Test-time augmentation views: the eight flips / 90-degree rotations of a square image batch.

Dermoscopic images have no "up", so a model's output can be averaged over these views. A
classifier averages its probabilities directly; a segmenter first maps each view's output map
back to the image's frame with :func:`undo_dihedral_view`.

Example:
    >>> x = torch.arange(16.).view(1, 1, 4, 4)
    >>> all(torch.equal(undo_dihedral_view(v, i), x) for i, v in enumerate(dihedral_views(x)))
    True
"""

from __future__ import annotations

from typing import Iterator

import torch


def dihedral_views(x: torch.Tensor) -> Iterator[torch.Tensor]:
    """The eight flips / 90-degree rotations of an image batch ``N x C x H x W`` (square images).

    Example:
        >>> len(list(dihedral_views(torch.zeros(1, 3, 4, 4))))
        8
    """
    for flipped in (x, x.flip(-1)):
        for k in range(4):
            yield torch.rot90(flipped, k, dims=(-2, -1))


def undo_dihedral_view(y: torch.Tensor, index: int) -> torch.Tensor:
    """Map an output of the ``index``-th view of :func:`dihedral_views` back to the original frame.

    For dense outputs (segmentation maps): ``undo_dihedral_view(model(view_i), i)`` lines up
    with ``model(x)``.

    Example:
        >>> x = torch.arange(16.).view(1, 1, 4, 4)
        >>> all(torch.equal(undo_dihedral_view(v, i), x) for i, v in enumerate(dihedral_views(x)))
        True
    """
    y = torch.rot90(y, -(index % 4), dims=(-2, -1))
    return y.flip(-1) if index >= 4 else y
