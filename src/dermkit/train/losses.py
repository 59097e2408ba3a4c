"""Classification losses for imbalanced data: class-weighted and focal cross-entropy on soft targets.

One function covers plain, class-weighted, label-smoothed, focal and mixup/cutmix (soft-target)
cross-entropy, per sample, so the debiasing methods (group reweighting, group DRO) can weight or
regroup the per-sample losses.

* Focal loss: Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017.
* Label smoothing: Szegedy et al., "Rethinking the Inception Architecture", CVPR 2016.

Example:
    >>> soft_targets(torch.tensor([0, 1]), 2, smoothing=0.1).double().round(decimals=2).tolist()
    [[0.95, 0.05], [0.05, 0.95]]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from dermkit.errors import DataError


def soft_targets(labels: torch.Tensor, num_classes: int, smoothing: float = 0.0) -> torch.Tensor:
    """One-hot targets with label smoothing: ``1 - smoothing + smoothing / C`` on the true class."""
    off = smoothing / num_classes
    return F.one_hot(labels.long(), num_classes).float() * (1.0 - smoothing) + off


def classification_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    class_weights: torch.Tensor | None = None,
    focal_gamma: float = 0.0,
) -> torch.Tensor:
    """Per-sample cross-entropy of ``logits`` against soft ``targets`` (``N x C``).

    ``class_weights`` multiplies each class's term; ``focal_gamma`` > 0 down-weights easy
    examples by ``(1 - p)^gamma`` (focal loss). With one-hot targets and no options this equals
    ``F.cross_entropy(..., reduction="none")``.

    Example:
        >>> logits = torch.randn(4, 3); y = torch.tensor([0, 1, 2, 1])
        >>> torch.allclose(classification_loss(logits, soft_targets(y, 3)), F.cross_entropy(logits, y, reduction="none"))
        True
    """
    logp = F.log_softmax(logits.float(), dim=1)
    term = -targets * logp
    if focal_gamma:
        term = term * (1.0 - logp.exp()).clamp_min(0).pow(focal_gamma)
    if class_weights is not None:
        term = term * class_weights.to(term)
    return term.sum(dim=1)


def balanced_class_weights(labels: Sequence[int] | np.ndarray, num_classes: int) -> torch.Tensor:
    """Inverse-frequency weights ``n / (C * n_c)`` (scikit-learn's "balanced"), mean 1 over the samples.

    Raises :class:`DataError` when a class has no training sample.

    Example:
        >>> balanced_class_weights([0, 0, 0, 1], 2).double().round(decimals=3).tolist()
        [0.667, 2.0]
    """
    y = np.asarray(labels)
    y = y[y >= 0]
    counts = np.bincount(y, minlength=num_classes)
    if (counts == 0).any():
        raise DataError(f"class index {int(np.flatnonzero(counts == 0)[0])} has no training case; cannot weight by class frequency")
    return torch.tensor(len(y) / (num_classes * counts), dtype=torch.float32)
