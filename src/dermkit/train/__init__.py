"""Classifier training on PyTorch Lightning: losses for imbalance, balanced samplers, debiasing.

Example:
    >>> from dermkit.train import fit, TrainConfig
    >>> result = fit("cases.parquet", TrainConfig(model="resnet18", epochs=5), "runs/a")  # doctest: +SKIP
"""

from dermkit.train.config import TrainConfig
from dermkit.train.fit import FitResult, fit

__all__ = ["TrainConfig", "FitResult", "fit"]
