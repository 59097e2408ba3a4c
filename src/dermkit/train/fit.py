"""``fit``: train a classifier on a case table and leave a self-contained run folder.

The run folder holds ``model.safetensors`` + ``config.json`` (the best model so far, by
``config.monitor``; loadable by :func:`dermkit.models.load_classifier` and
:func:`dermkit.predict.predict` without training code), ``history.csv``, ``loss_curve.png``
and ``checkpoints/last.ckpt`` (full training state, for ``resume=True``).

Example:
    >>> result = fit("cases.parquet", {"model": "resnet18", "epochs": 5, "image_size": 128}, "runs/a")  # doctest: +SKIP
    >>> result.best_value, result.run_dir  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

import pandas as pd

from dermkit.cases import SKIN_TONES, load_cases
from dermkit.errors import ConfigError, DataError, DermkitError
from dermkit.train.config import TrainConfig, warn_if_bf16_is_emulated

if TYPE_CHECKING:
    import lightning.pytorch as pl


@dataclass(frozen=True)
class FitResult:
    """Outcome of :func:`fit`: the run folder, the best monitored value and its epoch, the history."""

    run_dir: Path
    monitor: str
    best_value: float | None
    best_epoch: int | None
    history: pd.DataFrame


@contextlib.contextmanager
def quiet_lightning() -> Iterator[None]:
    """Silence Lightning's warnings that say nothing to a dermkit user while training.

    They are: few DataLoader workers (``workers`` is the user's choice), a logging interval longer
    than an epoch on small data, the EMA copy being in eval mode (on purpose), and a deprecation
    inside Lightning itself; and its informational lines (hardware banners, an advertising tip, a
    note on every checkpoint saved), so the trainer is best built inside this context too. Warnings
    and errors still show.
    """
    loggers = [logging.getLogger(f"lightning.pytorch.{name}") for name in ("utilities.rank_zero", "trainer.connectors.checkpoint_connector")]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not have many workers.*")
            warnings.filterwarnings("ignore", message=".*is smaller than the logging interval.*")
            warnings.filterwarnings("ignore", message=".*module\\(s\\) in eval mode.*")
            warnings.filterwarnings("ignore", message=".*treespec.*")
            yield
    finally:
        for log, level in zip(loggers, levels):
            log.setLevel(level)


def resolve_config(config: TrainConfig | Mapping[str, Any] | str | os.PathLike[str] | None, **overrides: Any) -> TrainConfig:
    """A :class:`TrainConfig` from an object, a mapping or a YAML path, with ``overrides`` applied.

    Example:
        >>> resolve_config({"epochs": 2}, lr=0.01).lr
        0.01
    """
    if config is None:
        return TrainConfig.from_dict(overrides)
    if isinstance(config, TrainConfig):
        return config.replace(**overrides) if overrides else config
    if isinstance(config, Mapping):
        return TrainConfig.from_dict({**config, **overrides})
    return TrainConfig.from_yaml(config, **overrides)


def create_trainer(**options: Any) -> "pl.Trainer":
    """A Lightning Trainer with ``options``; options Lightning rejects (an unknown accelerator or
    strategy, devices it cannot use) raise :class:`ConfigError` with Lightning's reason.

    Example:
        >>> create_trainer(accelerator="abacus")
        Traceback (most recent call last):
        ...
        dermkit.errors.ConfigError: trainer options: You selected an invalid accelerator name: `accelerator='abacus'`. ...
    """
    import lightning.pytorch as pl
    from lightning.fabric.utilities.exceptions import MisconfigurationException

    try:
        return pl.Trainer(**options)
    except (MisconfigurationException, ValueError, TypeError, ImportError) as exc:  # ImportError: e.g. TPUs without torch_xla
        raise ConfigError(f"trainer options: {exc}") from exc


def check_run_folder(run: Path, last: Path, resume: bool, overwrite: bool) -> None:
    """Check a run folder before training into it; :class:`ConfigError` unless the request fits it.

    ``resume`` needs the checkpoint ``last``. A folder that already holds a run (its
    ``config.json`` or ``last``) is refused unless ``resume`` or ``overwrite``. Nothing is deleted
    here: an overwriting run removes the old files when its training starts
    (:func:`start_of_training`), so one that fails on its inputs leaves the old run whole.
    """
    if run.exists() and not run.is_dir():
        raise ConfigError(f"{run} is a file; a run needs a folder")
    if resume and overwrite:
        raise ConfigError("resume (--resume) continues a run and overwrite (--overwrite) starts it again: choose one")
    if resume and not last.is_file():
        raise ConfigError(f"nothing to resume in {run}: no {last.relative_to(run)}")
    if not resume and not overwrite and ((run / "config.json").exists() or last.exists()):
        raise ConfigError(f"{run} already holds a run; pass resume=True (--resume) to continue it or overwrite=True (--overwrite) to start again")


def last_checkpoint(folder: Path) -> "pl.callbacks.ModelCheckpoint":
    """The callback that keeps ``folder/last.ckpt``, the full training state ``resume`` continues from.

    It writes ``last.ckpt`` at the end of every epoch and when training ends (Lightning 2.6 writes
    "last" only beside a top-k checkpoint, so with none it wrote it at the very end: a run stopped
    by Ctrl-C or a crash left nothing to resume). It overwrites ``last.ckpt`` each time; Lightning's
    default would write ``last-v1.ckpt``, ... beside an existing one, so a second resume went back
    to the first checkpoint and trained its epochs again.
    """
    import lightning.pytorch as pl

    class EveryEpochLast(pl.callbacks.ModelCheckpoint):
        def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
            super().on_train_epoch_end(trainer, pl_module)
            if not trainer.sanity_checking:
                trainer.save_checkpoint(str(Path(self.dirpath) / f"{self.CHECKPOINT_NAME_LAST}{self.FILE_EXTENSION}"))

    return EveryEpochLast(dirpath=str(folder), save_last=True, save_top_k=0, enable_version_counter=False)


RESUMABLE_OPTIONS = frozenset({
    "epochs", "max_steps", "max_minutes", "early_stopping", "progress", "num_workers", "accelerator", "devices", "strategy", "num_nodes", "compile",
    "extra_train_table",
})
"""Options a resumed run may change: its budget, where it runs and how it reports, and where its
tables lie (a segmenter's extra training table is recorded so that ``--resume`` alone finds it)."""


def read_recipe(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The options kept in ``folder/recipe.json`` by :func:`check_recipe`, or ``None`` if there is
    no such file; :class:`DataError` naming the file if it is not a JSON object."""
    path = Path(folder) / "recipe.json"
    if not path.is_file():
        return None
    try:
        recipe = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(f"{path}: damaged, not JSON ({err}); start again with --overwrite") from None
    if not isinstance(recipe, dict):
        raise DataError(f"{path}: damaged, not a JSON object of options; start again with --overwrite")
    return recipe


def started_config(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The :class:`TrainConfig` options a classifier run was started with (``folder/recipe.json``
    less what else it keeps, such as the class list), or ``None`` without a recipe: what
    ``dermkit train --resume`` continues with."""
    import dataclasses

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    return {k: v for k, v in (read_recipe(folder) or {}).items() if k in fields} or None


def check_recipe(folder: Path, recipe: Mapping[str, Any], resume: bool, used: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``recipe`` as ``folder/recipe.json`` keeps it; a resumed run's must match the kept one except
    in :data:`RESUMABLE_OPTIONS`, else :class:`ConfigError` naming the first differences. (A resumed
    run used to keep the checkpoint's optimiser and settings while ``config.json`` recorded the new
    ones; a new model or debiasing method failed with a bare state-dict error.) An option the kept
    recipe lacks (recorded only by later dermkit versions) is compared with ``used[option]``, what
    the run is known to have used (its default, or e.g. the class list of its ``config.json``), and
    not at all when that is unknown. A new run's recipe is written once its training starts
    (:func:`start_of_training`).
    """
    recipe = json.loads(json.dumps(dict(recipe), default=str))  # tuples as lists, paths as text: as read back
    before = read_recipe(folder) if resume else None
    if before is not None:
        known = json.loads(json.dumps(dict(used or {}), default=str))
        kept = {**{k: v for k, v in known.items() if k in recipe and v is not None}, **before}
        changed = [k for k in sorted(kept) if k not in RESUMABLE_OPTIONS and kept[k] != recipe.get(k)]
        if changed:
            shown = "; ".join(f"{k}: {kept[k]!r} -> {recipe.get(k)!r}" for k in changed[:3])
            raise ConfigError(f"--resume continues the run in {folder.parent} with the options it was started with, but {len(changed)} "
                              f"differ ({shown}); resume with those, or start again with --overwrite")
    return recipe


EARLIER_RUN_FILES = ("model.safetensors", "config.json", "history.csv", "loss_curve.png")
"""The files of a run folder (besides ``last.ckpt`` and ``recipe.json``) an overwriting run replaces."""


def start_of_training(run: Path, folder: Path, recipe: Mapping[str, Any], resume: bool, overwrite: bool) -> "pl.Callback":
    """The callback that, when training starts - every input checked, the data loaders made -
    removes an overwritten run's files (:data:`EARLIER_RUN_FILES` and ``folder/last.ckpt``) and
    writes a new run's ``folder/recipe.json``. A run that fails before that point leaves the
    folder as it was (an overwrite that failed on its options used to leave the old checkpoint
    under the new recipe, which could then be neither resumed nor used); one that fails later
    leaves no model of the old run beside its own history.
    """
    import lightning.pytorch as pl

    from dermkit.io import write_json

    class StartOfTraining(pl.Callback):
        def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
            if resume or not trainer.is_global_zero:
                return
            if overwrite:
                for name in EARLIER_RUN_FILES:
                    (run / name).unlink(missing_ok=True)
                (folder / "last.ckpt").unlink(missing_ok=True)
            write_json(folder / "recipe.json", recipe)

    return StartOfTraining()


def fit_interruptibly(trainer: "pl.Trainer", *args: Any, ckpt_path: str | None = None, **kwargs: Any) -> None:
    """``trainer.fit(*args, ckpt_path=ckpt_path, **kwargs)``, raising :class:`KeyboardInterrupt` after
    Ctrl-C: Lightning handles it by exiting the process (``SystemExit``), once the files written so
    far are whole. Resuming from ``ckpt_path`` must train something: a budget (epochs, steps or
    minutes) the run has already used up is a :class:`ConfigError` (it used to end silently, or
    with Lightning's traceback for fewer epochs than done).
    """
    from lightning.fabric.utilities.exceptions import MisconfigurationException
    from lightning.pytorch.callbacks import Timer

    steps_before = _steps_done(ckpt_path) if ckpt_path else None
    try:
        trainer.fit(*args, ckpt_path=ckpt_path, **kwargs)
    except MisconfigurationException as exc:
        if ckpt_path and "max_epochs" in str(exc):
            raise ConfigError(f"nothing left to train: the run has done more epochs than asked ({exc}); give a larger --epochs") from None
        raise
    except SystemExit:
        if trainer.interrupted:
            raise KeyboardInterrupt from None
        raise
    if trainer.interrupted:
        raise KeyboardInterrupt
    if steps_before is not None and trainer.global_step == steps_before:
        timer = next((c for c in trainer.callbacks if isinstance(c, Timer)), None)
        remaining = timer.time_remaining("train") if timer is not None else None
        if remaining is not None and remaining <= 0.0:
            spent, option = f"its time budget ({timer.time_elapsed('train') / 60:.2f} minutes trained)", "--minutes"
        elif trainer.max_steps is not None and 0 < trainer.max_steps <= trainer.global_step:
            spent, option = f"its {trainer.max_steps} steps", "--max-steps"
        else:
            spent, option = f"its {trainer.max_epochs} epochs", "--epochs"
        raise ConfigError(f"nothing left to train: the run has used {spent}; give a larger {option}")


def _exported_classes(run: Path) -> list[str] | None:
    """The class list of the model a run folder exported (``config.json``), if it has one."""
    try:
        return list(json.loads((run / "config.json").read_text())["classes"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _steps_done(ckpt_path: str) -> int:
    """The optimiser steps a Lightning checkpoint has done (its ``global_step``); :class:`DataError`
    naming the file when it cannot be read (a damaged ``last.ckpt`` was a torch traceback)."""
    import pickle
    import zipfile

    import torch

    try:
        return int(torch.load(ckpt_path, map_location="cpu", weights_only=False, mmap=True).get("global_step", 0))
    except (OSError, RuntimeError, EOFError, ValueError, AttributeError, pickle.UnpicklingError, zipfile.BadZipFile):
        raise DataError(f"{ckpt_path}: cannot read this checkpoint (damaged, or not a Lightning checkpoint); start again with --overwrite") from None


def fit(
    cases: pd.DataFrame | str | os.PathLike[str],
    config: TrainConfig | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    run_dir: str | os.PathLike[str] = "runs/classifier",
    *,
    resume: bool = False,
    overwrite: bool = False,
    **overrides: Any,
) -> FitResult:
    """Train a classifier on ``cases`` (split ``train``/``val``; see :func:`dermkit.train.data.training_splits`).

    ``config`` is a :class:`TrainConfig`, a mapping of its fields or a YAML file; keyword
    ``overrides`` win. ``resume=True`` continues from ``run_dir/checkpoints/last.ckpt`` and needs the
    options the run started with (``checkpoints/recipe.json``, :func:`read_recipe`; only
    :data:`RESUMABLE_OPTIONS` may differ; the CLI fills them in, Python callers pass them); a folder
    that already holds a run is refused unless ``resume`` or ``overwrite``. On Ctrl-C the best model
    exported so far stays intact and :class:`KeyboardInterrupt` is raised again.

    Example:
        >>> fit(cases, TrainConfig(model="resnet18", epochs=2, image_size=64), "runs/quick")  # doctest: +SKIP
    """
    import lightning.pytorch as pl
    import torch

    from dermkit.models.classifier import create_classifier
    from dermkit.models.input_size import check_input_size
    from dermkit.models.metadata import METADATA_COLUMNS, MetadataEncoder
    from dermkit.train.callbacks import ExportBest, History, StopOnNonFiniteLoss
    from dermkit.train.data import CaseDataModule, check_adversarial_targets, group_cells, training_splits
    from dermkit.train.losses import balanced_class_weights
    from dermkit.train.module import ClassifierModule

    cfg = resolve_config(config, **overrides)
    warn_if_bf16_is_emulated(cfg.precision, cfg.accelerator)
    source = str(cases) if not isinstance(cases, pd.DataFrame) else "case table"
    table = load_cases(cases)
    run = Path(run_dir)
    last = run / "checkpoints" / "last.ckpt"
    check_run_folder(run, last, resume, overwrite)

    train_cases, val_cases = training_splits(table, seed=cfg.seed, source=source)
    classes = sorted(train_cases["diagnosis"].unique())
    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    if cfg.metadata and not any(c in train_cases.columns and train_cases[c].notna().any() for c in METADATA_COLUMNS):
        raise DataError(f"{source}: metadata=True fuses {', '.join(METADATA_COLUMNS)}, but the training cases have none of them")
    metadata = MetadataEncoder.fit(train_cases) if cfg.metadata else None
    model = create_classifier(
        cfg.model,
        len(classes),
        pretrained=cfg.pretrained,
        small_input_stem=cfg.small_input_stem,
        metadata_dim=metadata.dim if metadata else 0,
        drop_rate=cfg.drop_rate,
        **cfg.timm_kwargs,
    )
    check_input_size(model.backbone, cfg.image_size, f"model {cfg.model!r}",
                     "give another image_size, or the size to timm, e.g. --set 'timm_kwargs={img_size: %d}'" % cfg.image_size)
    labels = train_cases["diagnosis"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    groups = sorted(set(group_cells(train_cases, labels, cfg.group_column))) if cfg.debias == "group_dro" else None
    adversarial = {t: (len(SKIN_TONES) if t == "skin_tone" else 1) for t in cfg.adversarial_targets} if cfg.debias == "adversarial" else None
    if adversarial:
        check_adversarial_targets(train_cases, cfg.adversarial_targets)
    module = ClassifierModule(
        model,
        cfg,
        class_weights=balanced_class_weights(labels, len(classes)) if cfg.class_weights else None,
        adversarial_targets=adversarial,
        num_groups=len(groups) if groups else 0,
    )
    datamodule = CaseDataModule(train_cases, val_cases, classes, cfg, metadata, groups)

    def run_config() -> dict[str, Any]:
        return {
            "task": "classification",
            "classes": classes,
            "architecture": model.architecture,
            "input_size": cfg.image_size,
            "mean": list(cfg.mean),
            "std": list(cfg.std),
            "preprocessing": {"resize": [cfg.image_size, cfg.image_size], "interpolation": "bilinear", "scale": 1 / 255, "normalize": "mean/std"},
            "metadata": metadata.to_dict() if metadata else None,
            "class_counts": {c: int((train_cases["diagnosis"] == c).sum()) for c in classes},
            "train_config": cfg.to_dict(),
        }

    used = {**TrainConfig().to_dict(), "classes": _exported_classes(run)} if resume else None  # for recipes kept by earlier versions
    recipe = check_recipe(last.parent, {**cfg.to_dict(), "classes": classes}, resume, used)  # another class list: a head of another size
    export = ExportBest(run, cfg.monitor, cfg.monitor_mode, run_config)
    history = History(run)
    callbacks: list[pl.Callback] = [
        start_of_training(run, last.parent, recipe, resume, overwrite), StopOnNonFiniteLoss(), export, history, last_checkpoint(last.parent),
    ]
    if cfg.early_stopping:
        callbacks.append(pl.callbacks.EarlyStopping(monitor=cfg.monitor, mode=cfg.monitor_mode, patience=int(cfg.early_stopping)))
    with quiet_lightning():
        trainer = create_trainer(
            max_epochs=cfg.epochs,
            max_time={"minutes": cfg.max_minutes} if cfg.max_minutes else None,
            accelerator=cfg.accelerator,
            devices=cfg.devices,
            strategy=cfg.strategy,
            num_nodes=cfg.num_nodes,
            precision=cfg.precision,
            callbacks=callbacks,
            logger=False,
            default_root_dir=run,
            enable_progress_bar=cfg.progress,
            enable_model_summary=False,
            num_sanity_val_steps=0,
            log_every_n_steps=10,
        )
        fit_interruptibly(trainer, module, datamodule=datamodule, ckpt_path=str(last) if resume else None)
    if export.best is None:  # stopped (e.g. by max_minutes) before any validation: validate once so the run has a model
        trainer.validate(module, datamodule=datamodule, verbose=False)
    if export.best is None:
        raise DermkitError(f"{run}: no validation gave a finite {cfg.monitor}, so no model was exported; check the validation cases, "
                           "or monitor another metric (--set monitor=...)")
    return FitResult(run, cfg.monitor, export.best, export.best_epoch, pd.DataFrame(history.rows))
