"""The LightningModule that trains a :class:`dermkit.models.Classifier` with the config's loss,
mixup/cutmix, EMA of the weights and debiasing method.

Validation logs ``val_loss``, ``val_acc``, ``val_bal_acc`` (balanced accuracy: the mean of the
per-class recalls, the ISIC challenge metric) and ``val_auc`` (macro one-vs-rest AUC), computed
with torchmetrics on the EMA weights when ``ema`` is on. Both macro means run over the classes
present among the validation cases, as scikit-learn and ``dermkit evaluate`` do (torchmetrics'
own macro average counts a class that is predicted but absent as a recall of 0).

Example:
    >>> module = ClassifierModule(create_classifier("resnet18", 7), TrainConfig())  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from typing import Any, Mapping

import lightning.pytorch as pl
import torch
import torch.nn.functional as F
from torch import nn

from dermkit.models.classifier import Classifier
from dermkit.train.config import TrainConfig
from dermkit.train.debias import AdversarialHeads, GroupDRO, ToneTwins, circle_loss
from dermkit.train.ema import EmaWeights
from dermkit.train.layout import memory_format
from dermkit.train.losses import classification_loss, soft_targets
from dermkit.train.time_budget import time_budget_used


class ClassifierModule(EmaWeights, pl.LightningModule):
    """Training and validation steps for a classifier.

    ``class_weights`` (a ``C`` tensor) weights the loss when ``config.class_weights``;
    ``adversarial_targets`` maps each adversarial head to its number of outputs;
    ``num_groups`` sizes group DRO.
    """

    def __init__(
        self,
        model: Classifier,
        config: TrainConfig,
        class_weights: torch.Tensor | None = None,
        adversarial_targets: Mapping[str, int] | None = None,
        num_groups: int = 0,
    ) -> None:
        super().__init__()
        import torchmetrics

        self.config = config
        self._fit_start: float | None = None
        self.num_classes = model.head[-1].out_features
        self.model = model.to(memory_format=memory_format(config.channels_last))
        self.init_ema(config.ema)
        if config.compile:
            self.model.compile()
        self.register_buffer("class_weights", class_weights if class_weights is not None else torch.ones(self.num_classes), persistent=False)
        self.use_class_weights = class_weights is not None
        self.adversary = AdversarialHeads(model.num_features, adversarial_targets, scale=1.0) if config.debias == "adversarial" and adversarial_targets else None
        self.dro = GroupDRO(num_groups, config.dro_eta) if config.debias == "group_dro" else None
        self.twins = ToneTwins(config.mean, config.std, config.circle_ita_range, seed=config.seed) if config.debias == "circle" else None
        self.mixup = None
        if config.mixup or config.cutmix:
            from timm.data import Mixup

            self.mixup = Mixup(mixup_alpha=config.mixup, cutmix_alpha=config.cutmix, label_smoothing=config.label_smoothing, num_classes=self.num_classes)
        metrics = {
            "val_acc": torchmetrics.classification.MulticlassAccuracy(self.num_classes, average="micro"),
            "confusion": torchmetrics.classification.MulticlassConfusionMatrix(self.num_classes),
            "auc": torchmetrics.classification.MulticlassAUROC(self.num_classes, average="none"),
        }
        self.val_metrics = torchmetrics.MetricCollection(metrics)

    def _images(self, batch: Mapping[str, Any]) -> torch.Tensor:
        return batch["image"].contiguous(memory_format=memory_format(self.config.channels_last))

    def training_step(self, batch: Mapping[str, Any], batch_idx: int) -> torch.Tensor:
        """Loss of one batch: classification (+ debiasing terms)."""
        cfg = self.config
        if self.mixup is not None and len(batch["label"]) % 2:  # timm mixes pairs: a training set smaller than the batch gave an odd one
            batch = {k: v[:-1] if isinstance(v, torch.Tensor) and len(v) == len(batch["label"]) else v for k, v in batch.items()}
        x, y = self._images(batch), batch["label"]
        if self.mixup is not None:
            x, targets = self.mixup(x, y)
        else:
            targets = soft_targets(y, self.num_classes, cfg.label_smoothing)
        embedding = self.model.embed(x)
        logits = self.model.classify(embedding, batch.get("meta"))
        per_sample = classification_loss(logits, targets, self.class_weights if self.use_class_weights else None, cfg.focal_gamma if cfg.loss == "focal" else 0.0)
        if self.dro is not None:
            loss = self.dro(per_sample, batch["group"].clamp_min(0))
        elif cfg.debias == "reweight":
            weight = batch["weight"].to(per_sample)
            loss = (per_sample * weight).sum() / weight.sum()
        else:
            loss = per_sample.mean()
        self.log("train_cls_loss", loss, on_step=False, on_epoch=True, batch_size=len(y))
        if self.twins is not None:
            twin_embedding = self.model.embed(self.twins(x))
            reg = circle_loss(embedding, twin_embedding)
            self.log("train_circle", reg, on_step=False, on_epoch=True, batch_size=len(y))
            loss = loss + cfg.debias_weight * reg
        if self.adversary is not None:
            adv = self.adversary.loss(self.adversary(embedding), {n: batch[f"adv:{n}"] for n in self.adversary.names})
            self.log("train_adversary", adv, on_step=False, on_epoch=True, batch_size=len(y))
            loss = loss + cfg.debias_weight * adv
        self.log("train_loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=len(y))
        return loss

    def validation_step(self, batch: Mapping[str, Any], batch_idx: int) -> None:
        """Accumulate validation loss and metrics."""
        y = batch["label"]
        logits = self.eval_model(self._images(batch), batch.get("meta")).float()
        self.log("val_loss", F.cross_entropy(logits, y), on_epoch=True, prog_bar=True, batch_size=len(y), sync_dist=True)
        self.val_metrics.update(logits.softmax(dim=1), y)

    def on_validation_epoch_end(self) -> None:
        """Log the epoch's metrics (``val_acc``, ``val_bal_acc``, ``val_auc``)."""
        import warnings

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*(positive|negative) samples in targets")  # classes absent from validation
            scores = self.val_metrics.compute()
        self.val_metrics.reset()
        self.log_dict(validation_scores(scores["val_acc"], scores["confusion"], scores["auc"]), prog_bar=True)

    def configure_optimizers(self) -> Any:
        """timm's optimiser factory (no weight decay on norms and biases) + cosine with linear warmup per step."""
        from timm.optim import create_optimizer_v2

        cfg = self.config
        trainable = nn.ModuleList([self.model] + ([self.adversary] if self.adversary is not None else []))
        optimizer = create_optimizer_v2(trainable, cfg.optimizer, lr=cfg.lr, weight_decay=cfg.weight_decay)
        if cfg.scheduler == "none":
            return optimizer
        total = max(1, int(self.trainer.estimated_stepping_batches))
        warmup = int(round(total * cfg.warmup_epochs / cfg.epochs))
        budget = cfg.max_minutes * 60.0 if cfg.max_minutes else None

        def factor(step: int) -> float:
            # with a time budget the cosine follows whichever runs out first: steps or minutes
            return cosine_with_warmup(step, total, warmup, time_budget_used(self._trainer, budget, self._fit_start) if budget else 0.0)

        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}

    def on_train_start(self) -> None:
        """Start the clock of the ``max_minutes`` schedule for a Trainer without ``max_time`` (else its Timer counts)."""
        self._fit_start = time.monotonic()


def cosine_with_warmup(step: int, total: int, warmup: int, time_fraction: float = 0.0) -> float:
    """Learning-rate factor: linear warmup over ``warmup`` steps, then cosine decay to 0 at ``total``
    steps or when ``time_fraction`` (share of the time budget used) reaches 1, whichever is first.

    Example:
        >>> [round(cosine_with_warmup(s, 10, 2), 3) for s in (0, 1, 2, 6, 10)]
        [0.333, 0.667, 1.0, 0.5, 0.0]
        >>> round(cosine_with_warmup(2, 10, 2, time_fraction=0.5), 3)
        0.5
    """
    if step < warmup:
        return (step + 1) / (warmup + 1)
    progress = min(1.0, max((step - warmup) / max(1, total - warmup), time_fraction))
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def validation_scores(accuracy: torch.Tensor, confusion: torch.Tensor, auc: torch.Tensor) -> dict[str, torch.Tensor]:
    """``val_acc``, and ``val_bal_acc`` / ``val_auc`` as means over the classes that have
    validation cases (rows of ``confusion``, true class first; ``auc`` per class).

    Example:
        >>> cm = torch.tensor([[2, 0, 1], [0, 2, 0], [0, 0, 0]])   # class 2 predicted once, never true
        >>> round(float(validation_scores(torch.tensor(0.8), cm, torch.tensor([0.9, 1.0, 0.0]))["val_bal_acc"]), 4)
        0.8333
    """
    support = confusion.sum(dim=1)
    present = support > 0
    recall = confusion.diagonal().float()[present] / support[present].float()
    one_class = int(present.sum()) < 2  # no negatives: torchmetrics gives each class's AUC as 0
    return {"val_acc": accuracy, "val_bal_acc": recall.mean(), "val_auc": torch.tensor(float("nan")) if one_class else auc.float()[present].mean()}

