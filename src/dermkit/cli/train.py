"""``dermkit train``: train a classifier on a case table (thin shell over :func:`dermkit.train.fit`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

from dermkit.train.config import PRECISIONS


def register(app: typer.Typer) -> None:
    """Add the ``train`` command to ``app``."""
    app.command("train")(train_cmd)


def train_cmd(
    cases: Path = typer.Option(..., "--cases", "-c", help="Case table (.parquet or .csv) with split train/val (else split by patient)."),
    out: Path = typer.Option(..., "-o", "--out", help="Run folder to write (model.safetensors, config.json, history.csv, loss_curve.png)."),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML file of training options (flags below override it)."),
    model: Optional[str] = typer.Option(None, "--model", help="timm model name, e.g. resnet18, efficientnet_b0, vit_small_patch16_224 (default resnet18)."),
    pretrained: Optional[Path] = typer.Option(None, "--pretrained", help="Local weights (.safetensors/.pth) or a dermkit run folder to start from."),
    epochs: Optional[int] = typer.Option(None, "--epochs", "-e", help="Training epochs (default 10)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", "-b", help="Images per optimiser step on each device (default 32)."),
    lr: Optional[float] = typer.Option(None, "--lr", help="Peak learning rate (default 0.001)."),
    image_size: Optional[int] = typer.Option(None, "--image-size", help="Images are resized (up or down) to this square size (default 224)."),
    loss: Optional[str] = typer.Option(None, "--loss", help="ce or focal (default ce)."),
    sampler: Optional[str] = typer.Option(None, "--sampler", help="none (default), class (class-balanced) or class_tone (class x skin tone balanced)."),
    debias: Optional[str] = typer.Option(None, "--debias", help="none (default), circle, adversarial, reweight or group_dro (see README: Training)."),
    devices: Optional[str] = typer.Option(None, "--devices", help="Lightning devices: a count, a list like 0,1, or auto (default)."),
    accelerator: Optional[str] = typer.Option(None, "--accelerator", help="cpu, gpu, mps or auto (default)."),
    strategy: Optional[str] = typer.Option(None, "--strategy", help="Lightning strategy, e.g. ddp (default auto)."),
    num_nodes: Optional[int] = typer.Option(None, "--num-nodes", help="Machines of a multi-node Lightning run (default 1)."),
    precision: Optional[str] = typer.Option(None, "--precision", help=f"Lightning precision: {', '.join(PRECISIONS)} (default 32-true)."),
    minutes: Optional[float] = typer.Option(None, "--minutes", help="Wall-time budget in minutes: training stops there and keeps the best model so far (default: none)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the split, augmentation and initialisation (default 0)."),
    options: Optional[list[str]] = typer.Option(None, "--set", help="Any other training option as KEY=VALUE (repeatable), e.g. --set ema=0.999 --set mixup=0.2."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out from its last checkpoint, with the options it was started with (give --epochs or --minutes for a longer budget; other changes are refused)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start again in a folder that already holds a run."),
) -> None:
    """Train a skin-lesion classifier; the best model (by validation balanced accuracy) is kept in the run folder."""
    from dermkit.cli.options import parse_devices, set_options_beside
    from dermkit.train import fit
    from dermkit.train.fit import started_config
    from dermkit.train.distributed import is_first_process

    flags: dict[str, Any] = {
        "model": model,
        "pretrained": str(pretrained) if pretrained else None,
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "image_size": image_size,
        "loss": loss,
        "sampler": sampler,
        "debias": debias,
        "devices": parse_devices(devices) if devices else None,
        "accelerator": accelerator,
        "strategy": strategy,
        "num_nodes": num_nodes,
        "precision": precision,
        "max_minutes": minutes,
        "seed": seed,
    }
    overrides = {k: v for k, v in flags.items() if v is not None}
    overrides.update(set_options_beside(overrides, options or []))  # --debias adversarial --set debias=circle trained CIRCLe
    base: Any = config
    if resume and config is None:  # --resume alone continues with the options the run started with
        base = started_config(out / "checkpoints")
    result = fit(cases, base, out, resume=resume, overwrite=overwrite, **overrides)
    if not is_first_process():  # under DDP every process runs this command; the first reports
        return
    best = "n/a" if result.best_value is None else f"{result.best_value:.4f} (epoch {result.best_epoch})"
    Console().print(f"[green]wrote[/] {result.run_dir}: best {result.monitor} {best}", soft_wrap=True)
