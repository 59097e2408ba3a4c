"""Train a lesion segmenter on a case table (Lightning): the ``dermkit segment train`` stage.

Cases with ``split == "train"`` train, ``split == "val"`` validate (a table without ``split`` is
split by patient with :func:`dermkit.cases.split_cases`). ``extra_train`` adds a second table to
the training part only, whatever its ``split`` says: e.g. synthetic images of the lesion types the
real data lacks (``dermkit synth``); it is never used for validation. Images and masks are
augmented jointly by :func:`dermkit.datasets.transforms.create_transform`; pre-processing
(:mod:`.preprocess`) is applied once, before augmentation, and stored in the run's config with
the post-processing settings, so that :func:`dermkit.segment.predict_masks` repeats them.

Masks are read by :func:`dermkit.io.read_mask`: pixels above 128 are lesion (a non-binary, e.g.
smoothly resized, mask is binarised at 128, a 0/1 label map's 1s are lesion, and colour and
palette masks are read as its docstring says); an empty mask is a valid "no lesion" target, but
training refuses a table whose every mask reads as empty (their encoding is not one of those); a
mask of another size than its image stops training with a :class:`~dermkit.errors.DataError`
naming the file and both sizes.

The run folder holds ``model.safetensors`` + ``config.json`` (:mod:`dermkit.models.checkpoint`),
``history.csv`` and ``loss_curve.png`` (one row per epoch: losses, validation Dice and Jaccard,
learning rate, images/s; a resumed run keeps its earlier rows), ``lightning/last.ckpt`` for
``resume=True`` and the pre-processed images under
``preprocessed/<settings key>/<case>-<source digest>.png`` (:attr:`.Preprocessing.key`), so that
images pre-processed with other settings, or from other source files, are never reused.

Example:
    >>> run = train_segmenter("cases.parquet", "runs/seg", arch="unet", encoder="resnet18",
    ...                       image_size=128, epochs=5)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from dermkit.checks import check_count, check_number
from dermkit.errors import ConfigError, DataError
from dermkit.io import check_mask_sizes, check_some_mask_has_a_lesion
from dermkit.segment.postprocess import Postprocessing
from dermkit.segment.preprocess import Preprocessing, preprocess_cases
from dermkit.train.callbacks import History, StopOnNonFiniteLoss
from dermkit.train.config import MAX_SEED, PRECISIONS, check_ema, warn_if_bf16_is_emulated
from dermkit.train.fit import check_recipe, check_run_folder, create_trainer, fit_interruptibly, last_checkpoint, quiet_lightning, start_of_training


def train_segmenter(
    cases: pd.DataFrame | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    extra_train: pd.DataFrame | str | os.PathLike[str] | None = None,
    arch: str = "unet",
    encoder: str = "resnet18",
    pretrained: bool | str | os.PathLike[str] = False,
    image_size: int = 128,
    batch_size: int = 8,
    epochs: int = 10,
    max_steps: int = -1,
    max_minutes: float | None = None,
    lr: float = 1e-3,
    boundary_weight: float = 0.0,
    lovasz_weight: float = 0.0,
    augment: Mapping[str, Any] | None = None,
    preprocessing: Preprocessing = Preprocessing(),
    postprocessing: Postprocessing = Postprocessing(),
    accelerator: str = "auto",
    devices: int | str | list[int] = "auto",
    strategy: str = "auto",
    num_nodes: int = 1,
    precision: str = "32-true",
    channels_last: bool = False,
    ema: float = 0.0,
    num_workers: int = 0,
    resume: bool = False,
    overwrite: bool = False,
    seed: int = 0,
    progress: bool = True,
) -> Path:
    """Train a segmenter and save it to ``out_dir``; return ``out_dir``.

    Training stops at ``epochs``, ``max_steps`` or ``max_minutes`` of wall time, whichever
    comes first (the learning-rate schedule follows the binding budget). The loss is Dice + BCE,
    plus ``boundary_weight`` times the boundary loss and ``lovasz_weight`` times the per-image
    Lovász hinge (:class:`~dermkit.segment.losses.SegmentationLoss`). ``augment`` passes
    options to :func:`~dermkit.datasets.transforms.create_transform` (e.g. ``{"rotate": 0}``).
    ``precision="bf16-mixed"`` with ``channels_last=True`` trains faster on a CPU with AMX or
    AVX-512 bf16 units (``benchmarks/segmentation_train_speed.py`` measures by how much); the
    loss is computed in float32 and the saved weights are float32 in the usual layout either way.
    ``ema`` > 0 (e.g. 0.999) keeps an exponential moving average of the weights with that decay
    (warmed up over the first steps); validation and the saved model then use the averaged weights.
    ``resume=True`` continues from ``out_dir/lightning/last.ckpt`` and needs the options the run
    started with (``lightning/recipe.json``; the CLI fills them in, Python callers pass them); a
    folder that already holds a run is refused unless ``resume`` or ``overwrite``. ``image_size``
    is a multiple of 32 (the encoders downsample 32x). The same ``seed`` with a step
    or epoch budget gives the same weights on the same machine. ``devices``, ``strategy`` and
    ``num_nodes`` are Lightning's: e.g. ``devices=4, strategy="ddp"`` trains on four GPUs, each
    process on its share of every epoch with ``batch_size`` images per step, and validation scores
    are averaged over all processes; only the first process writes the run.

    Example:
        >>> train_segmenter(cases, "runs/seg", epochs=1, max_steps=20)  # doctest: +SKIP
        PosixPath('runs/seg')
    """
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader

    from dermkit.cases import train_and_val
    from dermkit.datasets.torch_dataset import CaseDataset, seed_worker
    from dermkit.datasets.transforms import IMAGENET_MEAN, IMAGENET_STD, check_augment, create_transform
    from dermkit.models.input_size import check_input_size
    from dermkit.models.segmenter import create_segmenter, save_segmenter, segmenter_config
    from dermkit.segment.losses import SegmentationLoss
    from dermkit.segment.module import SegmentationModule

    for name, value, minimum in (("image_size", image_size, 32), ("batch_size", batch_size, 1), ("epochs", epochs, 1), ("num_nodes", num_nodes, 1), ("seed", seed, 0)):
        check_count(name, value, minimum)  # from Python, "32" or 1.5 failed mid-way
    if image_size % 32:
        raise ConfigError(f"image_size must be a multiple of 32 (the encoders downsample 32x), got {image_size}")
    if seed > MAX_SEED:
        raise ConfigError(f"seed must be at most {MAX_SEED} (numpy's limit), got {seed}")
    for name, value in (("lr", lr), ("boundary_weight", boundary_weight), ("lovasz_weight", lovasz_weight), ("ema", ema)):
        check_number(name, value)  # a NaN loss weight saved a NaN model and reported success
    if not isinstance(channels_last, bool):
        raise ConfigError(f"channels_last must be true or false, got {channels_last!r}")
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    _check_budget_and_rates(max_steps, max_minutes, lr, num_workers)
    warn_if_bf16_is_emulated(precision, accelerator)
    check_ema(ema)
    augment = check_augment(augment)
    train_tf = create_transform(image_size, train=True, seed=seed, **augment)  # checks the values before anything is written
    loss = SegmentationLoss(boundary_weight=boundary_weight, lovasz_weight=lovasz_weight)  # checks the weights, likewise
    table = _cases_with_masks(cases, "case table")
    train_cases, val_cases = train_and_val(table, seed=seed, stratify=None, source=str(cases) if not isinstance(cases, pd.DataFrame) else "case table")
    if train_cases.empty:
        raise DataError("no training cases (split == 'train') with a mask")
    if extra_train is not None:
        extra = _cases_with_masks(extra_train, "extra training table")
        clash = extra["case_id"][extra["case_id"].isin(table["case_id"])]
        if len(clash):
            raise DataError(f"extra training table: case_id {clash.iloc[0]!r} is also in the case table ({len(clash)} shared)")
        train_cases = pd.concat([train_cases, extra.assign(split="train")], ignore_index=True)
    check_some_mask_has_a_lesion(train_cases["mask_path"], "training")
    check_mask_sizes([*train_cases["image_path"], *val_cases["image_path"]], [*train_cases["mask_path"], *val_cases["mask_path"]])
    pl.seed_everything(seed, workers=True, verbose=False)
    model = create_segmenter(arch, encoder, pretrained=pretrained)
    check_input_size(model, image_size)
    out = Path(out_dir)
    ckpt_dir = out / "lightning"
    last = ckpt_dir / "last.ckpt"
    check_run_folder(out, last, resume, overwrite)
    recipe = dict(arch=arch, encoder=encoder, pretrained=pretrained, image_size=image_size, batch_size=batch_size, lr=lr,
                  boundary_weight=boundary_weight, lovasz_weight=lovasz_weight, augment=augment, preprocessing=preprocessing.to_dict(),
                  precision=precision, channels_last=channels_last, ema=ema, seed=seed, extra_train=extra_train is not None,
                  extra_train_table=str(Path(extra_train).resolve()) if isinstance(extra_train, (str, os.PathLike)) else None)
    recipe = check_recipe(ckpt_dir, recipe, resume)
    with quiet_lightning():  # Lightning checks its options (accelerator, devices, strategy) here, before anything is written
        trainer = create_trainer(
            default_root_dir=str(out),
            accelerator=accelerator,
            devices=devices,
            strategy=strategy,
            num_nodes=num_nodes,
            precision=precision,
            max_epochs=epochs,
            max_steps=max_steps,
            max_time={"minutes": max_minutes} if max_minutes else None,
            callbacks=[  # History's rows travel in last.ckpt, so a resumed run keeps them
                start_of_training(out, ckpt_dir, recipe, resume, overwrite), StopOnNonFiniteLoss(), History(out), last_checkpoint(ckpt_dir),
            ],
            logger=False,
            enable_progress_bar=progress,
            enable_model_summary=False,
            deterministic=False,
            num_sanity_val_steps=0,
            log_every_n_steps=10,
        )

    cache = out / "preprocessed" / preprocessing.key
    train_cases = preprocess_cases(train_cases, preprocessing, cache, progress=progress)
    val_cases = preprocess_cases(val_cases, preprocessing, cache, progress=progress)

    val_tf = create_transform(image_size, train=False)
    train_ds = CaseDataset(train_cases, transform=train_tf, with_mask=True, group_columns=())
    loader_kw = {"batch_size": batch_size, "num_workers": num_workers, "worker_init_fn": seed_worker, "persistent_workers": num_workers > 0}
    train_dl = DataLoader(train_ds, shuffle=True, drop_last=len(train_ds) > batch_size, generator=torch.Generator().manual_seed(seed), **loader_kw)
    val_dl = DataLoader(CaseDataset(val_cases, transform=val_tf, with_mask=True, group_columns=()), **loader_kw) if len(val_cases) else None

    module = SegmentationModule(
        model, lr=lr, loss=loss, total_seconds=60.0 * max_minutes if max_minutes else 0.0, channels_last=channels_last, ema=ema,
    )
    with quiet_lightning():
        started = time.monotonic()
        fit_interruptibly(trainer, module, train_dl, val_dl, ckpt_path=str(last) if resume else None)
    config = segmenter_config(
        arch, encoder,
        input_size=image_size,
        mean=list(IMAGENET_MEAN),
        std=list(IMAGENET_STD),
        preprocessing=preprocessing.to_dict(),
        postprocessing=postprocessing.to_dict(),
        training={
            "n_train": len(train_cases), "n_extra_train": 0 if extra_train is None else len(extra), "n_val": len(val_cases), "epochs_done": trainer.current_epoch,
            "steps_done": trainer.global_step, "epochs": epochs, "max_steps": max_steps, "max_minutes": max_minutes,
            "pretrained": str(pretrained) if pretrained else False, "batch_size": batch_size, "lr": lr, "boundary_weight": boundary_weight,
            "lovasz_weight": lovasz_weight, "augment": augment, "precision": precision, "channels_last": channels_last, "ema": ema,
            "seconds": round(time.monotonic() - started, 1), "seed": seed,
            "val": {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val_")},
        },
    )
    if trainer.is_global_zero:  # one writer when several processes train (DDP)
        save_segmenter(module.eval_model, config, out)
    return out


def _cases_with_masks(cases: pd.DataFrame | str | os.PathLike[str], what: str) -> pd.DataFrame:
    """The validated rows of ``cases`` that have a mask; :class:`DataError` naming ``what`` if none do."""
    from dermkit.cases import load_cases

    table = load_cases(cases, source=what)
    if "mask_path" not in table.columns or table["mask_path"].isna().all():
        name = what if isinstance(cases, pd.DataFrame) else str(cases)
        raise DataError(f"{name}: segmentation training needs a mask_path column with lesion masks")
    return table[table["mask_path"].notna()].reset_index(drop=True)


def _check_budget_and_rates(max_steps: int, max_minutes: float | None, lr: float, num_workers: int) -> None:
    """:class:`ConfigError` for a budget that trains nothing or a rate torch would reject mid-way."""
    if check_count("max_steps", max_steps, -1) == 0:
        raise ConfigError(f"max_steps must be >= 1 (or -1: no limit), got {max_steps}")
    if max_minutes is not None and not check_number("max_minutes", max_minutes) > 0:
        raise ConfigError(f"max_minutes must be a positive number of minutes, got {max_minutes}")
    if not check_number("lr", lr) > 0:
        raise ConfigError(f"lr must be a positive number, got {lr}")
    check_count("num_workers", num_workers, 0)
