"""Predict with a trained classifier: a case table in, a predictions table out.

The predictions table has ``case_id``, ``pred`` (the most probable class) and one
``prob_<class>`` column per class, optionally ``emb_<i>`` embedding columns. Only the run
folder is needed (:func:`dermkit.models.load_classifier`): no training code, no Lightning.
Test-time augmentation (``tta=True``) averages the probabilities over the eight flips and
90-degree rotations of each image (dermoscopic images have no "up").

Example:
    >>> preds = predict("runs/a", "cases.parquet", tta=True)  # doctest: +SKIP
    >>> list(preds.columns[:3])  # doctest: +SKIP
    ['case_id', 'pred', 'prob_akiec']
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from dermkit.cases import load_cases
from dermkit.checks import check_count
from dermkit.errors import ConfigError, DataError
from dermkit.io import ImagesLike, as_rgb_images
from dermkit.models.classifier import Classifier, load_classifier
from dermkit.models.tta import dihedral_views


class MissingMetadataWarning(UserWarning):
    """A metadata-fusion classifier is asked to predict a table without age, sex or site columns."""


def check_images_exist(cases: pd.DataFrame, source: str = "case table") -> None:
    """Raise :class:`DataError` naming the first missing image file (and how many are missing).

    Example:
        >>> check_images_exist(pd.DataFrame({"case_id": ["a"], "image_path": ["/nope.png"]}))
        Traceback (most recent call last):
        dermkit.errors.DataError: case table: 1 image file(s) missing, first: /nope.png (case 'a')
    """
    exists = cases["image_path"].map(lambda p: isinstance(p, str) and Path(p).is_file())
    if not exists.all():
        first = cases.loc[~exists].iloc[0]
        raise DataError(f"{source}: {int((~exists).sum())} image file(s) missing, first: {first['image_path']} (case {first['case_id']!r})")


def predict(
    model: Classifier | str | os.PathLike[str],
    cases: pd.DataFrame | str | os.PathLike[str],
    *,
    batch_size: int = 64,
    tta: bool = False,
    embeddings: bool = False,
    device: str | torch.device = "cpu",
    num_workers: int = 0,
    progress: bool = False,
) -> pd.DataFrame:
    """Class probabilities for every case of ``cases`` from a run folder (or a loaded classifier).

    ``tta`` averages over the eight dihedral views; ``embeddings`` adds the pooled image
    embedding as ``emb_0 ... emb_<d-1>`` (of the un-augmented view). Missing image files raise
    :class:`DataError` naming the first one before any work is done.

    Example:
        >>> preds = predict("runs/a", cases, embeddings=True)  # doctest: +SKIP
    """
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm

    from dermkit.datasets.torch_dataset import CaseDataset
    from dermkit.datasets.transforms import create_transform
    from dermkit.models.metadata import METADATA_COLUMNS, MetadataEncoder

    from dermkit.models.device import check_device, evaluating

    device = check_device(device)
    net = load_classifier(model, device=device) if isinstance(model, (str, os.PathLike)) else model
    config = getattr(net, "run_config", None)
    if not config:
        raise ConfigError("predict needs a classifier loaded with dermkit.models.load_classifier (its run config gives classes and input size)")
    check_count("batch_size", batch_size, 1)
    source = str(cases) if not isinstance(cases, pd.DataFrame) else "case table"
    table = load_cases(cases, source=source)
    if table.empty:
        raise DataError(f"{source}: no cases to predict")
    check_images_exist(table, source)
    classes = list(config["classes"])
    size = config["input_size"]
    unlabelled = table.assign(diagnosis=pd.Series(pd.NA, index=table.index, dtype="string"))  # labels are not needed here
    dataset = CaseDataset(unlabelled, classes=classes, transform=create_transform(size, train=False, mean=config["mean"], std=config["std"]), group_columns=())
    meta = None
    if net.metadata is not None:
        absent = [c for c in METADATA_COLUMNS if c not in table.columns]
        if absent:
            warnings.warn(f"{source}: the classifier fuses metadata but the table has no {', '.join(absent)} column(s); they are encoded as missing, which costs accuracy", MissingMetadataWarning, stacklevel=2)
        meta = torch.from_numpy(MetadataEncoder.from_dict(config.get("metadata") or {}).transform(table))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    probs, embs = [], []
    start = 0
    with evaluating(net, device), torch.inference_mode():
        for batch in tqdm(loader, desc="predict", disable=not progress):
            x = batch["image"].to(device)
            m = meta[start : start + len(x)].to(device) if meta is not None else None
            start += len(x)
            views = dihedral_views(x) if tta else iter((x,))
            total = None
            for i, view in enumerate(views):
                emb = net.embed(view)
                if i == 0 and embeddings:
                    embs.append(emb.float().cpu().numpy())
                p = net.classify(emb, m).float().softmax(dim=1)
                total = p if total is None else total + p
            probs.append((total / (8 if tta else 1)).cpu().numpy())
    prob = np.concatenate(probs) if probs else np.zeros((0, len(classes)), np.float32)
    out = pd.DataFrame({"case_id": table["case_id"].astype(str).to_numpy(), "pred": np.asarray(classes, dtype=object)[prob.argmax(axis=1)] if len(prob) else []})
    for j, c in enumerate(classes):
        out[f"prob_{c}"] = prob[:, j]
    if embeddings:
        emb = np.concatenate(embs) if embs else np.zeros((0, net.num_features), np.float32)
        out = pd.concat([out, pd.DataFrame(emb, columns=[f"emb_{i}" for i in range(emb.shape[1])])], axis=1)
    return out


def predict_images(model: Classifier | str | os.PathLike[str], images: ImagesLike, batch_size: int = 64, device: str | torch.device = "cpu") -> np.ndarray:
    """Class probabilities ``(N, C)`` for images held in memory or in files (no case table needed).

    ``images`` is a list (or any iterable) of arrays or image files, or an ``(N, H, W, C)`` array;
    arrays may be grey, RGB or RGBA, uint8, uint16 or float in [0, 1]
    (:func:`dermkit.io.as_rgb_images`). The images go through the run's own evaluation transform. Used where images are made on the
    fly, e.g. :func:`dermkit.evaluate.counterfactual.skin_tone_flip_rate`. Models that fuse
    metadata need it, so they are refused here; use :func:`predict` with a case table.

    Example:
        >>> probs = predict_images("runs/a", [image])  # doctest: +SKIP
    """
    from dermkit.datasets.transforms import create_transform

    from dermkit.models.device import check_device, evaluating

    device = check_device(device)
    net = load_classifier(model, device=device) if isinstance(model, (str, os.PathLike)) else model
    config = getattr(net, "run_config", None)
    if not config:
        raise ConfigError("predict_images needs a classifier loaded with dermkit.models.load_classifier")
    if net.metadata is not None:
        raise ConfigError("this classifier fuses metadata (age, sex, site); predict it from a case table with dermkit.predict.predict")
    check_count("batch_size", batch_size, 1)
    images = list(as_rgb_images(images))
    transform = create_transform(config["input_size"], train=False, mean=config["mean"], std=config["std"])
    out = []
    with evaluating(net, device), torch.inference_mode():
        for start in range(0, len(images), batch_size):
            x = torch.stack([transform(image=img)["image"] for img in images[start : start + batch_size]]).to(device)
            out.append(net.classify(net.embed(x)).float().softmax(dim=1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, len(config["classes"])), np.float32)
