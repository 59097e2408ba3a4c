"""Debiasing methods for classifier training, each switched on by one option of :class:`TrainConfig`.

* **CIRCLe** (``debias="circle"``): Pakzad, Abhishek, Hamarneh, "CIRCLe: Color Invariant
  Representation Learning for Unbiased Classification of Skin Lesions", ECCV Workshops 2022. The
  classification loss is joined by ``lambda * ||f(x) - f(G(x))||_2`` between the embedding of an
  image and of its skin-tone-transformed twin. The paper's StarGAN generator ``G`` is replaced by
  dermkit's colorimetric transform :func:`dermkit.imaging.tone_transform.shift_skin_tone` towards
  a random target ITA (:class:`ToneTwins`).
* **Adversarial unlearning** (``debias="adversarial"``): gradient-reversal heads (Ganin &
  Lempitsky, "Unsupervised Domain Adaptation by Backpropagation", ICML 2015) that predict a
  protected attribute from the embedding while the reversed gradient drives the encoder to forget
  it: skin tone as in Bevan & Atapour-Abarghouei, "Detecting Melanoma Fairly: Skin Tone Detection
  and Debiasing for Skin Lesion Classification", MICCAI DART 2022; artifacts (rulers, ink, ...)
  as in Bevan & Atapour-Abarghouei, "Skin Deep Unlearning: Artefact and Instrument Debiasing in
  the Context of Melanoma Classification", ICML 2022 (:class:`AdversarialHeads`).
* **Group reweighting** (``debias="reweight"``): each class x group cell weighs the same in the
  loss (:func:`dermkit.train.samplers.balanced_weights`), a classic baseline.
* **Group DRO** (``debias="group_dro"``): Sagawa, Koh, Hashimoto, Liang, "Distributionally Robust
  Neural Networks for Group Shifts", ICLR 2020: the loss is a weighted sum of class x group
  losses whose weights grow exponentially with each group's loss (:class:`GroupDRO`).

Example:
    >>> heads = AdversarialHeads(16, {"skin_tone": 6, "artifact:ruler": 1})
    >>> out = heads(torch.randn(4, 16))
    >>> out["skin_tone"].shape, out["artifact:ruler"].shape
    (torch.Size([4, 6]), torch.Size([4, 1]))
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dermkit.errors import DataError


class _ReverseGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:  # type: ignore[override]
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        return -ctx.scale * grad, None


def grad_reverse(x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """Identity forward; multiplies the gradient by ``-scale`` backward (gradient reversal layer).

    Example:
        >>> x = torch.ones(2, requires_grad=True); grad_reverse(x, 0.5).sum().backward(); x.grad.tolist()
        [-0.5, -0.5]
    """
    return _ReverseGrad.apply(x, float(scale))


class AdversarialHeads(nn.Module):
    """One small MLP head per protected attribute, fed through gradient reversal.

    ``targets`` maps an attribute name to its number of outputs: ``k > 1`` → a ``k``-way
    categorical attribute (cross-entropy; label ``-1`` = unknown, ignored), ``1`` → a binary one
    (logistic; target ``-1`` ignored). :meth:`loss` sums the heads' mean losses.
    """

    def __init__(self, in_features: int, targets: Mapping[str, int], hidden: int = 128, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = scale
        self.names = list(targets)
        self.heads = nn.ModuleDict(
            {self._key(n): nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, k)) for n, k in targets.items()}
        )

    @staticmethod
    def _key(name: str) -> str:
        return name.replace(":", "__").replace(".", "_")

    def forward(self, embedding: torch.Tensor) -> dict[str, torch.Tensor]:
        """Logits of every head, computed on the gradient-reversed embedding."""
        reversed_ = grad_reverse(embedding, self.scale)
        return {n: self.heads[self._key(n)](reversed_) for n in self.names}

    def loss(self, logits: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Sum over heads of the mean loss on the samples whose attribute is known."""
        total = next(iter(logits.values())).new_zeros(())
        for name, out in logits.items():
            t = targets[name]
            known = t >= 0
            if not known.any():
                continue
            if out.shape[1] == 1:
                total = total + F.binary_cross_entropy_with_logits(out[known, 0].float(), t[known].float())
            else:
                total = total + F.cross_entropy(out[known].float(), t[known].long())
        return total


def circle_loss(embedding: torch.Tensor, twin_embedding: torch.Tensor) -> torch.Tensor:
    """CIRCLe's regulariser: mean L2 distance between the embeddings of images and of their twins.

    Example:
        >>> circle_loss(torch.zeros(2, 4), torch.ones(2, 4)).item()
        2.0
    """
    return torch.linalg.vector_norm(embedding.float() - twin_embedding.float(), dim=1).mean()


class ToneTwins:
    """Makes the skin-tone-transformed twin of a normalised image batch (CIRCLe's ``G``).

    Each image is de-normalised to RGB uint8, its skin moved to a target ITA drawn uniformly in
    ``ita_range`` by :func:`dermkit.imaging.tone_transform.shift_skin_tone`, and normalised again.
    An image without measurable skin keeps its own colours. The draws come from a generator seeded
    by ``seed``.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], ita_range: tuple[float, float] = (-50.0, 60.0), seed: int = 0) -> None:
        self.mean = torch.tensor(mean).view(1, 3, 1, 1)
        self.std = torch.tensor(std).view(1, 3, 1, 1)
        self.ita_range = ita_range
        self.rng = np.random.default_rng(seed)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Twins of ``images`` (``N x 3 x H x W``, normalised), on the same device and dtype."""
        from dermkit.imaging.tone_transform import shift_skin_tone

        rgb = ((images.detach().float().cpu() * self.std + self.mean).clamp(0, 1) * 255).round().to(torch.uint8)
        arrays = rgb.permute(0, 2, 3, 1).numpy()
        targets = self.rng.uniform(*self.ita_range, size=len(arrays))
        out = np.empty_like(arrays)
        for i, (img, ita) in enumerate(zip(arrays, targets)):
            try:
                out[i] = shift_skin_tone(img, float(ita))
            except DataError:
                out[i] = img
        twins = (torch.from_numpy(out).permute(0, 3, 1, 2).float() / 255 - self.mean) / self.std
        return twins.to(device=images.device, dtype=images.dtype).contiguous(memory_format=_memory_format(images))


def _memory_format(x: torch.Tensor) -> torch.memory_format:
    return torch.channels_last if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous() else torch.contiguous_format


class GroupDRO(nn.Module):
    """Online group DRO (Sagawa et al. 2020, Algorithm 1) over ``num_groups`` groups.

    ``q`` (a buffer, so it is checkpointed and resumed) starts uniform; each step
    ``q_g <- q_g * exp(eta * loss_g)`` for the groups present in the batch, renormalised, and the
    loss is ``sum_g q_g * loss_g``.

    Example:
        >>> dro = GroupDRO(2, eta=1.0)
        >>> round(dro(torch.tensor([1.0, 3.0]), torch.tensor([0, 1])).item(), 3)
        2.762
    """

    def __init__(self, num_groups: int, eta: float = 0.01) -> None:
        super().__init__()
        self.eta = float(eta)
        self.register_buffer("q", torch.full((num_groups,), 1.0 / num_groups))

    def forward(self, losses: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        """Robust loss from per-sample ``losses`` and their group indices."""
        n = self.q.numel()
        sums = torch.zeros(n, device=losses.device, dtype=losses.dtype).index_add(0, groups, losses)
        counts = torch.bincount(groups, minlength=n).to(losses.dtype)
        present = counts > 0
        group_loss = torch.where(present, sums / counts.clamp_min(1), torch.zeros_like(sums))
        with torch.no_grad():
            q = self.q * torch.exp(self.eta * group_loss.detach() * present)
            self.q.copy_(q / q.sum())
        return (self.q * group_loss).sum()
