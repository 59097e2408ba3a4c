import pytest
import torch

from dermkit.errors import ConfigError
from dermkit.segment.losses import SegmentationLoss, signed_distance


def test_signed_distance_known_values():
    m = torch.zeros(1, 1, 5, 5)
    m[..., :2] = 1
    assert (signed_distance(m)[0, 0, 0] * 5).tolist() == [-1.0, 0.0, 1.0, 2.0, 3.0]
    assert signed_distance(torch.zeros(1, 1, 3, 3)).eq(1).all()


def test_region_loss_is_small_when_right_and_large_when_wrong():
    target = torch.zeros(1, 1, 8, 8)
    target[..., 2:6, 2:6] = 1
    good = (target * 2 - 1) * 10
    loss = SegmentationLoss()
    assert loss(good, target) < 0.01
    assert loss(-good, target) > 1.5


def test_boundary_loss_penalises_far_false_positives_more():
    target = torch.zeros(1, 1, 16, 16)
    target[..., 4:8, 4:8] = 1
    near, far = target.clone(), target.clone()
    near[..., 8, 4:8] = 1
    far[..., 15, 4:8] = 1
    loss = SegmentationLoss(dice_weight=0, bce_weight=0, boundary_weight=1)
    to_logits = lambda m: (m * 2 - 1) * 20
    assert loss(to_logits(far), target) > loss(to_logits(near), target) > loss(to_logits(target), target)


def test_loss_is_float32_under_bf16_autocast():
    torch.manual_seed(0)
    logits = torch.randn(4, 1, 64, 64).to(torch.bfloat16)  # what a bf16 model's last layer hands over
    target = (torch.rand(4, 1, 64, 64) > 0.7).float()
    loss = SegmentationLoss(bce_weight=0.0, boundary_weight=0.5)  # Dice keeps its input's dtype
    reference = loss(logits.float(), target)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = loss(logits, target)
    assert mixed.dtype == torch.float32
    assert abs(mixed.item() - reference.item()) < 1e-6


def test_lovasz_loss_equals_the_jaccard_loss_of_hand_counted_errors():
    # 4 lesion pixels of 16. Logits of +-1 on the right side have hinge error 0; logit 0 has error 1.
    # Two lesion pixels and one background pixel get logit 0: the Lovász extension at a {0,1}
    # error vector is the Jaccard loss of the erred set M: |M| / |lesion ∪ M| = 3 / 5.
    target = torch.zeros(1, 1, 4, 4)
    target[0, 0, 0, :] = 1
    logits = target * 2 - 1
    logits[0, 0, 0, :2] = 0
    logits[0, 0, 3, 3] = 0
    loss = SegmentationLoss(dice_weight=0, bce_weight=0, lovasz_weight=1)
    assert abs(loss(logits, target).item() - 0.6) < 1e-6
    assert loss(target * 2 - 1, target).item() == 0.0


def test_lovasz_loss_is_averaged_per_image():
    # One perfect image and one with the 3/5 errors above: the mean of the two images' losses.
    target = torch.zeros(2, 1, 4, 4)
    target[:, 0, 0, :] = 1
    logits = target * 2 - 1
    logits[1, 0, 0, :2] = 0
    logits[1, 0, 3, 3] = 0
    loss = SegmentationLoss(dice_weight=0, bce_weight=0, lovasz_weight=1)
    assert abs(loss(logits, target).item() - 0.3) < 1e-6


def test_negative_loss_weight_is_refused_with_its_name():
    with pytest.raises(ConfigError, match="lovasz=-1"):
        SegmentationLoss(lovasz_weight=-1)


def test_lovasz_loss_on_an_empty_mask_is_the_largest_hinge_error():
    # No lesion: every predicted pixel is a false positive, and the Jaccard loss is 1 as soon as
    # one pixel is wrong, so the Lovász extension takes the largest error, 1 + 0.5 here.
    target = torch.zeros(1, 1, 4, 4)
    logits = torch.full((1, 1, 4, 4), -2.0)
    loss = SegmentationLoss(dice_weight=0, bce_weight=0, lovasz_weight=1)
    assert loss(logits, target).item() == 0.0
    logits[0, 0, 0, 0] = 0.5
    assert loss(logits, target).item() == pytest.approx(1.5)
