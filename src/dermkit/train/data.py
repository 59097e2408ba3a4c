"""Training data: checks and splits of the case table, per-sample extras, the LightningDataModule.

Example:
    >>> train, val = training_splits(cases, seed=0)  # doctest: +SKIP
    >>> dm = CaseDataModule(train, val, classes=["melanoma", "nevus"], config=TrainConfig(image_size=64))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset

from dermkit.cases import SKIN_TONES, artifact_flags, train_and_val
from dermkit.datasets.torch_dataset import UNLABELLED, CaseDataset, seed_worker
from dermkit.datasets.transforms import create_transform
from dermkit.errors import ConfigError, DataError
from dermkit.io import image_shape
from dermkit.models.metadata import MetadataEncoder
from dermkit.predict import check_images_exist
from dermkit.train.config import TrainConfig
from dermkit.train.samplers import balanced_weights, create_sampler



def labelled(cases: pd.DataFrame) -> pd.DataFrame:
    """Rows with a diagnosis (not empty, not ``unknown``) and an image file (``image_available`` not False)."""
    keep = cases["diagnosis"].notna() & ~cases["diagnosis"].isin(UNLABELLED)
    if "image_available" in cases.columns:
        keep &= cases["image_available"].ne(False).fillna(True)
    return cases.loc[keep].reset_index(drop=True)


def training_splits(cases: pd.DataFrame, seed: int = 0, source: str = "case table") -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(train, val)`` labelled cases: from the ``split`` column, else a patient-grouped 85/15 split.

    Raises :class:`DataError` when the training cases hold fewer than two classes, when there
    is no validation case, when a validation case's class is not among the training cases', or
    when an image file is missing or cannot be opened (its header is read).

    Example:
        >>> train, val = training_splits(cases)  # doctest: +SKIP
    """
    table = labelled(cases)
    if table.empty:
        raise DataError(f"{source}: no labelled case with an image (diagnosis empty or 'unknown' everywhere)")
    train, val = train_and_val(table, seed=seed, source=source)
    classes = train["diagnosis"].unique()
    if len(classes) < 2:
        what = f"a single class {classes[0]!r}" if len(classes) else "no case"
        raise DataError(f"{source}: the training split has {what} ({len(train)} cases); a classifier needs at least two classes")
    if val.empty:
        raise DataError(f"{source}: no validation case (split == 'val'); add some or drop the split column to split automatically")
    unseen = sorted(set(val["diagnosis"]) - set(classes))
    if unseen:
        raise DataError(f"{source}: the validation split has {', '.join(map(repr, unseen))}, which the training split lacks; "
                        "the classifier learns only the training split's classes (re-split, or drop those validation cases)")
    check_images_exist(train, source)
    check_images_exist(val, source)
    for path in pd.concat([train["image_path"], val["image_path"]]):  # headers only: an image that cannot be opened fails here, not mid-epoch
        image_shape(path)
    return train, val


def sample_extras(cases: pd.DataFrame, labels: np.ndarray, config: TrainConfig, metadata: MetadataEncoder | None, groups: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Per-sample arrays the losses need, by name: ``meta`` (metadata features), ``adv:skin_tone``
    (index in :data:`~dermkit.cases.SKIN_TONES`, -1 unknown), ``adv:artifact:<name>`` (1/0), ``group`` (class x ``group_column`` cell index among ``groups``) and ``weight``
    (group-reweighting loss weight)."""
    extras: dict[str, np.ndarray] = {}
    if metadata is not None:
        extras["meta"] = metadata.transform(cases)
    if config.debias == "adversarial":
        for target in config.adversarial_targets:
            extras[f"adv:{target}"] = attribute_targets(cases, target)
    if config.debias in ("reweight", "group_dro"):
        cells = group_cells(cases, labels, config.group_column)
        if config.debias == "reweight":
            extras["weight"] = balanced_weights(labels, cells).astype(np.float32)
        else:
            index = {g: i for i, g in enumerate(groups or sorted(set(cells)))}
            extras["group"] = np.array([index.get(c, -1) for c in cells], dtype=np.int64)
    return extras


def group_cells(cases: pd.DataFrame, labels: np.ndarray, column: str) -> list[str]:
    """``"<class>|<group value>"`` of every case (missing values as ``<none>``)."""
    if column not in cases.columns:
        raise ConfigError(f"group_column {column!r} is not a column of the training cases")
    values = cases[column].astype("string").fillna("<none>")
    return [f"{y}|{v}" for y, v in zip(labels, values)]


def attribute_targets(cases: pd.DataFrame, target: str) -> np.ndarray:
    """Targets of one adversarial head: skin-tone index (-1 when unknown) or artifact presence (1/0).

    A case whose ``artifacts`` cell is empty has no artifact, as evaluation's artifact groups read
    it (the synthetic generator writes clean cases so; they used to count as unknown and were left
    out of the head's loss).
    """
    if target == "skin_tone":
        if "skin_tone" not in cases.columns:
            raise ConfigError("adversarial target 'skin_tone' needs a skin_tone column (measure it with dermkit.imaging.skin_tone)")
        index = {t: i for i, t in enumerate(SKIN_TONES)}
        return np.array([index.get(t, -1) if isinstance(t, str) else -1 for t in cases["skin_tone"].astype(object)], dtype=np.int64)
    name = target.split(":", 1)[1]
    if "artifacts" not in cases.columns:
        raise ConfigError(f"adversarial target {target!r} needs an artifacts column")
    flags = artifact_flags(cases)
    return flags[f"artifact_{name}"].to_numpy(dtype=np.float32) if f"artifact_{name}" in flags else np.zeros(len(cases), np.float32)


def check_adversarial_targets(train_cases: pd.DataFrame, targets: Sequence[str]) -> None:
    """Raise :class:`DataError` for an adversarial target that takes fewer than two known values
    among the training cases: its head would learn nothing (e.g. a misspelt artifact name, or a
    skin_tone column left empty)."""
    for target in targets:
        values = attribute_targets(train_cases, target)
        if len(set(values[values >= 0].tolist())) < 2:
            raise DataError(f"adversarial target {target!r}: the training cases do not vary in it (values: "
                            f"{sorted(set(values.tolist()))}; -1 = unknown), so there is nothing to unlearn; check the name and the column")


class TrainingSamples(Dataset):
    """A :class:`CaseDataset` whose samples also carry the per-sample ``extras`` arrays as tensors."""

    def __init__(self, base: CaseDataset, extras: Mapping[str, np.ndarray]) -> None:
        self.base = base
        self.extras = {k: torch.as_tensor(v) for k, v in extras.items()}
        self.transform = base.transform  # seed_worker reseeds it per worker

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int) -> dict[str, Any]:
        sample = self.base[i]
        for key, values in self.extras.items():
            sample[key] = values[i]
        return sample


class CaseDataModule(pl.LightningDataModule):
    """Train / validation loaders over case tables, with the config's augmentation and sampler.

    ``classes`` fixes the label order; ``metadata`` (a fitted encoder) adds the ``meta`` feature
    vector; ``groups`` fixes the class x group cells of group DRO.
    """

    def __init__(self, train_cases: pd.DataFrame, val_cases: pd.DataFrame, classes: Sequence[str], config: TrainConfig, metadata: MetadataEncoder | None = None, groups: Sequence[str] | None = None) -> None:
        super().__init__()
        self.train_cases, self.val_cases = train_cases, val_cases
        self.classes, self.config, self.metadata, self.groups = list(classes), config, metadata, groups
        self.train_set: TrainingSamples | None = None
        self.val_set: TrainingSamples | None = None

    def _dataset(self, cases: pd.DataFrame, train: bool) -> TrainingSamples:
        cfg = self.config
        seed = cfg.seed if train else None
        transform = create_transform(cfg.image_size, train=train, mean=cfg.mean, std=cfg.std, seed=seed, **(cfg.augment if train else {}))
        base = CaseDataset(cases, classes=self.classes, transform=transform)
        extras = sample_extras(cases, base.targets, cfg, self.metadata, self.groups) if train else ({"meta": self.metadata.transform(cases)} if self.metadata else {})
        return TrainingSamples(base, extras)

    def setup(self, stage: str | None = None) -> None:
        """Build the datasets (once)."""
        if self.train_set is None:
            self.train_set = self._dataset(self.train_cases, train=True)
            self.val_set = self._dataset(self.val_cases, train=False)

    def _loader(self, dataset: Dataset, **kw: Any) -> DataLoader:
        workers = self.config.num_workers
        return DataLoader(
            dataset,
            batch_size=self.config.batch_size,
            num_workers=workers,
            persistent_workers=workers > 0,
            worker_init_fn=seed_worker,
            pin_memory=torch.cuda.is_available(),
            **kw,
        )

    def train_dataloader(self) -> DataLoader:
        """Shuffled (or balanced-sampled) training batches; the last incomplete batch is dropped."""
        cfg = self.config
        assert self.train_set is not None
        labels = self.train_set.base.targets
        tones = self.train_cases["skin_tone"].astype("string").fillna("<none>").to_numpy() if "skin_tone" in self.train_cases.columns else None
        sampler = create_sampler(cfg.sampler, labels, tones, seed=cfg.seed)
        drop_last = len(self.train_set) > cfg.batch_size
        return self._loader(self.train_set, sampler=sampler, shuffle=sampler is None, drop_last=drop_last, generator=torch.Generator().manual_seed(cfg.seed))

    def val_dataloader(self) -> DataLoader:
        """Validation batches in table order."""
        assert self.val_set is not None
        return self._loader(self.val_set, shuffle=False)
