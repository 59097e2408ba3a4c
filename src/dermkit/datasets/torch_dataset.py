"""A torch ``Dataset`` over a case table: dict samples for classification and segmentation.

Each sample is a dict with ``image`` (float ``3×H×W`` tensor), ``label`` (class index, ``-1`` for
an unlabelled case), ``case_id``, the group columns present in the table (for fairness metrics
and group-aware losses) and, with ``with_mask=True``, ``mask`` (float ``1×H×W`` in {0, 1}).

Example:
    >>> from dermkit.datasets.transforms import create_transform
    >>> ds = CaseDataset("cases.parquet", transform=create_transform(224, train=True, seed=0))  # doctest: +SKIP
    >>> ds[0]["image"].shape, ds.classes  # doctest: +SKIP
    (torch.Size([3, 224, 224]), ['bcc', 'melanoma', 'nevus'])
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from dermkit.cases import load_cases
from dermkit.errors import ConfigError, DataError
from dermkit.io import read_image, read_mask

#: Diagnoses that count as "no label" (label ``-1``) rather than a class.
UNLABELLED = ("unknown",)


class CaseDataset(Dataset):
    """Samples of a case table (a DataFrame or a ``.parquet``/``.csv`` path).

    ``classes`` fixes the label order (default: the sorted labelled diagnoses of the table); a
    case whose diagnosis is empty or ``unknown`` gets label ``-1``, any other diagnosis outside
    ``classes`` is a :class:`DataError`. ``transform`` is called as ``transform(image=, mask=)``
    (see :func:`dermkit.datasets.transforms.create_transform`); without one the image is returned
    as a float tensor in [0, 1]. Missing values of group columns become ``"<none>"`` (text) or
    ``-1`` (integers, booleans) so that batches collate.

    Example:
        >>> ds = CaseDataset(cases, classes=["nevus", "melanoma"], with_mask=True)  # doctest: +SKIP
        >>> sample = ds[0]; sample["label"], sample["mask"].shape  # doctest: +SKIP
        (1, torch.Size([1, 450, 600]))
    """

    def __init__(
        self,
        cases: pd.DataFrame | str | os.PathLike[str],
        classes: Sequence[str] | None = None,
        transform: Callable[..., dict[str, Any]] | None = None,
        with_mask: bool = False,
        group_columns: Sequence[str] = ("skin_tone", "fitzpatrick", "site"),
    ) -> None:
        table = load_cases(cases)
        absent = table["case_id"][table["image_available"].eq(False).fillna(False)] if "image_available" in table.columns else []
        if len(absent):
            raise DataError(
                f"{len(absent)} case(s) have no image file (image_available=False; first: {absent.iloc[0]!r}); "
                "drop them before building a dataset"
            )
        if with_mask:
            no_mask = table["case_id"][table["mask_path"].isna()] if "mask_path" in table.columns else table["case_id"]
            if len(no_mask):
                raise DataError(f"with_mask=True but {len(no_mask)} case(s) have no mask_path (first: {no_mask.iloc[0]!r})")
        labelled = table["diagnosis"].dropna()
        labelled = labelled[~labelled.isin(UNLABELLED)]
        self.classes: list[str] = list(classes) if classes is not None else sorted(labelled.unique())
        if len(set(self.classes)) != len(self.classes):
            raise ConfigError(f"classes must be distinct, got {self.classes}")
        outside = labelled[~labelled.isin(self.classes)]
        if len(outside):
            case = table.loc[outside.index[0], "case_id"]
            raise DataError(f"diagnosis {outside.iloc[0]!r} of case {case!r} is not one of the classes {self.classes}")
        index = {c: i for i, c in enumerate(self.classes)}
        self.targets: np.ndarray = np.array([index.get(d, -1) if pd.notna(d) else -1 for d in table["diagnosis"]], dtype=np.int64)
        """Class index of every case (``-1`` unlabelled), e.g. for class weights or samplers."""
        self.cases = table
        self.transform = transform
        self.with_mask = with_mask
        self.group_columns = [c for c in group_columns if c in table.columns]
        self._groups = {c: _collatable(table[c]) for c in self.group_columns}

    def __len__(self) -> int:
        return len(self.cases)

    def __getitem__(self, i: int) -> dict[str, Any]:
        row = self.cases.iloc[i]
        image = read_image(row["image_path"])
        mask = read_mask(row["mask_path"], image.shape[:2]).astype(np.uint8) if self.with_mask else None
        if self.transform is not None:
            out = self.transform(image=image, mask=mask) if mask is not None else self.transform(image=image)
            image, mask = out["image"], out.get("mask")
        sample: dict[str, Any] = {"image": _image_tensor(image), "label": int(self.targets[i]), "case_id": str(row["case_id"])}
        if self.with_mask:
            sample["mask"] = _mask_tensor(mask)
        for col in self.group_columns:
            sample[col] = self._groups[col][i]
        return sample


def _collatable(series: pd.Series) -> list[Any]:
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_integer_dtype(series):
        return [int(v) if pd.notna(v) else -1 for v in series]
    if pd.api.types.is_float_dtype(series):
        return [float(v) if pd.notna(v) else float("nan") for v in series]
    return [str(v) if pd.notna(v) else "<none>" for v in series]


def _image_tensor(image: Any) -> torch.Tensor:
    if isinstance(image, torch.Tensor):
        return image.float()
    arr = np.asarray(image)
    scale = 255.0 if arr.dtype == np.uint8 else 1.0
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1))).float() / scale


def _mask_tensor(mask: Any) -> torch.Tensor:
    m = mask if isinstance(mask, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(mask))
    return (m > 0).float().reshape(1, *m.shape[-2:])


def seed_worker(worker_id: int) -> None:
    """``DataLoader(worker_init_fn=seed_worker)``: give each worker's transform its own seed.

    The seed derives from the DataLoader's own (seedable) ``generator``, so runs repeat exactly
    while workers do not draw the same augmentations.

    Example:
        >>> loader = DataLoader(ds, num_workers=2, worker_init_fn=seed_worker, generator=torch.Generator().manual_seed(0))  # doctest: +SKIP
    """
    info = torch.utils.data.get_worker_info()
    transform = getattr(info.dataset, "transform", None) if info is not None else None
    if transform is not None and hasattr(transform, "set_random_seed"):
        transform.set_random_seed(info.seed % 2**32)
