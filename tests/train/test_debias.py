"""Debiasing pieces: gradient reversal, adversarial heads, group DRO, CIRCLe twins, and one training step per method."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dermkit.imaging.skin_tone import measure_ita
from dermkit.models import create_classifier
from dermkit.train.config import TrainConfig
from dermkit.train.debias import AdversarialHeads, GroupDRO, ToneTwins, circle_loss, grad_reverse
from dermkit.train.module import ClassifierModule


def test_gradient_reversal_flips_and_scales():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (grad_reverse(x, 0.3) * torch.tensor([1.0, -2.0])).sum().backward()
    assert torch.allclose(x.grad, torch.tensor([-0.3, 0.6]))


def test_adversarial_heads_ignore_unknown_attributes():
    torch.manual_seed(0)
    heads = AdversarialHeads(8, {"skin_tone": 6, "artifact:ruler": 1})
    emb = torch.randn(4, 8)
    out = heads(emb)
    full = heads.loss(out, {"skin_tone": torch.tensor([0, 1, -1, -1]), "artifact:ruler": torch.tensor([1.0, 0.0, -1.0, -1.0])})
    first_two = heads.loss({k: v[:2] for k, v in out.items()}, {"skin_tone": torch.tensor([0, 1]), "artifact:ruler": torch.tensor([1.0, 0.0])})
    assert torch.isclose(full, first_two)


def test_group_dro_moves_weight_to_the_worst_group():
    dro = GroupDRO(3, eta=0.5)
    for _ in range(20):
        dro(torch.tensor([0.1, 0.1, 2.0, 0.5]), torch.tensor([0, 0, 1, 2]))
    assert dro.q.argmax().item() == 1 and dro.q[1] > 0.9
    assert torch.isclose(dro.q.sum(), torch.tensor(1.0))


def test_circle_loss_is_zero_for_identical_embeddings():
    e = torch.randn(3, 5)
    assert circle_loss(e, e).item() == 0.0
    assert circle_loss(e, e + torch.tensor([3.0, 4.0, 0, 0, 0])).item() == pytest.approx(5.0)


def test_tone_twins_change_skin_tone_and_keep_shape():
    mean, std = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)
    img = np.full((32, 32, 3), (200, 160, 130), np.uint8)
    img[12:20, 12:20] = (90, 50, 40)
    x = ((torch.from_numpy(img).permute(2, 0, 1).float() / 255 - 0.5) / 0.25)[None]
    twins = ToneTwins(mean, std, ita_range=(-30.0, -30.0), seed=0)(x)
    assert twins.shape == x.shape
    back = ((twins[0] * 0.25 + 0.5) * 255).round().clamp(0, 255).byte().permute(1, 2, 0).numpy()
    assert measure_ita(img).ita > 20 and abs(measure_ita(back).ita + 30) < 3


def _batch(n=8, size=32):
    g = torch.Generator().manual_seed(0)
    return {
        "image": torch.randn(n, 3, size, size, generator=g),
        "label": torch.tensor([0, 1] * (n // 2)),
        "adv:skin_tone": torch.tensor([0, 4, -1, 1] * (n // 4)),
        "adv:artifact:ruler": torch.tensor([1.0, 0.0, -1.0, 0.0] * (n // 4)),
        "group": torch.tensor([0, 1, 2, 3] * (n // 4)),
        "weight": torch.rand(n, generator=g) + 0.5,
        "meta": torch.rand(n, 6, generator=g),
    }


@pytest.mark.parametrize("options", [
    {"debias": "circle"},
    {"debias": "adversarial", "adversarial_targets": ("skin_tone", "artifact:ruler")},
    {"debias": "reweight"},
    {"debias": "group_dro", "loss": "focal"},
    {"mixup": 0.4, "cutmix": 1.0, "class_weights": True, "label_smoothing": 0.1, "metadata": True},
])
def test_training_step_of_every_method_backpropagates(options):
    torch.manual_seed(0)
    cfg = TrainConfig(model="test_resnet", **options)
    model = create_classifier("test_resnet", 2, metadata_dim=6 if cfg.metadata else 0)
    adv = {t: (6 if t == "skin_tone" else 1) for t in cfg.adversarial_targets} if cfg.debias == "adversarial" else None
    module = ClassifierModule(model, cfg, class_weights=torch.tensor([1.0, 2.0]) if cfg.class_weights else None, adversarial_targets=adv, num_groups=4)
    module.log = lambda *a, **k: None  # no Trainer attached
    loss = module.training_step(_batch(), 0)
    assert torch.isfinite(loss) and loss.ndim == 0
    loss.backward()
    assert next(model.backbone.parameters()).grad.abs().sum() > 0
    if module.adversary is not None:
        assert all(p.grad is not None for p in module.adversary.parameters())
    if module.dro is not None:
        assert not torch.allclose(module.dro.q, torch.full((4,), 0.25))


def test_artifact_targets_read_an_empty_cell_as_no_artifact_and_must_vary(lesion_cases, tmp_path, fast):
    from dermkit.cases import validate_cases
    from dermkit.errors import DataError
    from dermkit.train import fit
    from dermkit.train.data import attribute_targets

    table = validate_cases(lesion_cases)  # "" becomes a missing cell, as a saved and reloaded table has it
    ruler = attribute_targets(table, "artifact:ruler")
    assert set(ruler.tolist()) == {0.0, 1.0} and ruler.sum() == table["artifacts"].eq("ruler").sum()  # clean cases were -1: ignored
    for targets, value in ((("artifact:rulr",), "[0.0]"), (("skin_tone",), "[-1]")):  # a typo; an empty skin_tone column
        cases = lesion_cases.assign(skin_tone=None) if targets == ("skin_tone",) else lesion_cases
        with pytest.raises(DataError, match=rf"adversarial target '{targets[0]}': the training cases do not vary in it \(values: \{value}"):
            fit(cases, {**fast, "debias": "adversarial", "adversarial_targets": targets}, tmp_path / "run")


def test_validation_balanced_accuracy_averages_the_classes_present_as_sklearn_does(monkeypatch):
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    cfg = TrainConfig(model="test_resnet")
    module = ClassifierModule(create_classifier("test_resnet", 3), cfg)
    y = torch.tensor([0, 0, 0, 1, 1, 1, 1, 0])  # class 2 has no validation case ...
    logits = torch.tensor([[3, 0, 1], [3, 0, 0], [0, 0, 3], [0, 3, 0], [0, 3, 1], [1, 0, 0], [0, 2, 1], [2, 1, 0]], dtype=torch.float)  # ... but is predicted once
    monkeypatch.setattr(ClassifierModule, "eval_model", property(lambda self: lambda x, meta=None: logits))
    logged = {}
    module.log = lambda *a, **k: None
    module.log_dict = lambda values, **k: logged.update({key: float(v) for key, v in values.items()})
    module.validation_step({"image": torch.zeros(8, 3, 32, 32), "label": y}, 0)
    module.on_validation_epoch_end()
    with pytest.warns(UserWarning, match="y_pred contains classes not in y_true"):  # sklearn notes class 2, and leaves it out
        expected = balanced_accuracy_score(y, logits.argmax(1))
    assert logged["val_bal_acc"] == pytest.approx(expected)  # torchmetrics' macro gave 0.5: (0.75 + 0.75 + 0) / 3
    probs = logits.softmax(1).numpy()
    expected_auc = np.mean([roc_auc_score(y == c, probs[:, c]) for c in (0, 1)])
    assert logged["val_auc"] == pytest.approx(expected_auc, abs=1e-6)


def test_mixup_trains_on_an_odd_batch():
    cfg = TrainConfig(model="test_resnet", mixup=0.4)
    module = ClassifierModule(create_classifier("test_resnet", 2), cfg)
    module.log = lambda *a, **k: None
    odd = {k: v[:7] for k, v in _batch().items()}  # a training set of 7 cases with batch size 8: timm's AssertionError "Batch size should be even"
    assert torch.isfinite(module.training_step(odd, 0))


def test_validation_auc_of_a_single_class_is_undefined():
    from dermkit.train.module import validation_scores

    scores = validation_scores(torch.tensor(1.0), torch.tensor([[0, 0], [0, 4]]), torch.tensor([0.0, 0.0]))  # torchmetrics' 0 for no negatives
    assert scores["val_bal_acc"] == 1.0 and torch.isnan(scores["val_auc"])
