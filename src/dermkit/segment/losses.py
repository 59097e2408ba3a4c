"""Segmentation losses: Dice + BCE (smp's implementations), optional boundary and Lovász losses.

The boundary loss of Kervadec et al. (MIDL 2019) integrates the predicted lesion probability
against the signed distance map of the true mask (negative inside the lesion, positive outside,
in units of the image's short side), so false positives far from the lesion cost more than those
next to its border. It complements the region losses; it is weighted by ``boundary_weight``.

The Lovász hinge of Berman et al. (CVPR 2018; smp's ``LovaszLoss``, computed per image) is a
convex surrogate of each image's Jaccard loss, the quantity the ISIC 2018 score averages; it is
weighted by ``lovasz_weight``.

Example:
    >>> loss = SegmentationLoss(boundary_weight=0.1)
    >>> float(loss(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))) > 0
    True
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from dermkit.errors import ConfigError


def signed_distance(masks: torch.Tensor) -> torch.Tensor:
    """Signed Euclidean distance to the lesion border for a batch ``(N, 1, H, W)`` of {0, 1} masks.

    Negative inside, positive outside, divided by ``min(H, W)``. An empty mask gets +1
    everywhere (every predicted pixel is a false positive).

    Example:
        >>> m = torch.zeros(1, 1, 5, 5); m[..., :2] = 1
        >>> (signed_distance(m)[0, 0, 0] * 5).tolist()
        [-1.0, 0.0, 1.0, 2.0, 3.0]
    """
    from scipy import ndimage

    arr = masks.detach().cpu().numpy() > 0.5
    out = np.ones(arr.shape, dtype=np.float32)
    scale = float(min(arr.shape[-2:]))
    for i in range(arr.shape[0]):
        m = arr[i, 0]
        if m.any():
            outside = ndimage.distance_transform_edt(~m)
            inside = ndimage.distance_transform_edt(m)
            out[i, 0] = (outside - np.where(m, inside - 1.0, 0.0)) / scale
    return torch.from_numpy(out).to(masks.device)


class SegmentationLoss(nn.Module):
    """``dice * Dice + bce * BCE + boundary * boundary + lovasz * Lovász`` (weights) on logits ``(N, 1, H, W)``.

    Example:
        >>> SegmentationLoss()(torch.full((1, 1, 4, 4), 10.0), torch.ones(1, 1, 4, 4)).item() < 0.01
        True
    """

    def __init__(self, dice_weight: float = 1.0, bce_weight: float = 1.0, boundary_weight: float = 0.0, lovasz_weight: float = 0.0) -> None:
        super().__init__()
        from segmentation_models_pytorch.losses import DiceLoss, LovaszLoss, SoftBCEWithLogitsLoss

        weights = {"dice": dice_weight, "bce": bce_weight, "boundary": boundary_weight, "lovasz": lovasz_weight}
        if min(weights.values()) < 0 or sum(weights.values()) == 0:
            raise ConfigError("loss weights must be >= 0 and not all 0, got " + " ".join(f"{k}={v}" for k, v in weights.items()))
        self.weights = tuple(float(w) for w in weights.values())
        self.dice = DiceLoss("binary", from_logits=True)
        self.bce = SoftBCEWithLogitsLoss()
        self.lovasz = LovaszLoss("binary", per_image=True, from_logits=True)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The weighted loss of a batch, in float32 (also when the model runs in bf16/fp16 autocast)."""
        w_dice, w_bce, w_boundary, w_lovasz = self.weights
        logits, target = logits.float(), target.float()
        loss = logits.new_zeros(())
        if w_dice:
            loss = loss + w_dice * self.dice(logits, target)
        if w_bce:
            loss = loss + w_bce * self.bce(logits, target)
        if w_boundary:
            loss = loss + w_boundary * (torch.sigmoid(logits) * signed_distance(target)).mean()
        if w_lovasz:
            loss = loss + w_lovasz * self.lovasz(logits, target)
        return loss
