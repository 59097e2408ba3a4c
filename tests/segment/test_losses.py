import torch

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
