"""Memory layout of image batches and weights: channels-last (NHWC) when asked for.

oneDNN and cuDNN run convolutions faster on channels-last tensors, most of all under
``bf16-mixed``; both Lightning modules (classifier and segmenter) store weights and batches so.
"""

from __future__ import annotations

import torch


def memory_format(channels_last: bool) -> torch.memory_format:
    """The layout for ``Module.to`` / ``Tensor.contiguous``: channels-last if asked, else the default.

    Example:
        >>> torch.zeros(1, 3, 2, 2).contiguous(memory_format=memory_format(True)).stride()
        (12, 1, 6, 3)
    """
    return torch.channels_last if channels_last else torch.contiguous_format
