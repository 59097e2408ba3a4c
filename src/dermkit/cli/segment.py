"""``dermkit segment``: train, run and score lesion segmenters."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from dermkit.train.config import PRECISIONS


def register(app: typer.Typer) -> None:
    """Add the ``segment`` command group to ``app``."""
    group = typer.Typer(help="Lesion segmentation: train a U-Net/FPN/..., predict masks, score them.", no_args_is_help=True)
    group.command("train")(train_cmd)
    group.command("predict")(predict_cmd)
    group.command("evaluate")(evaluate_cmd)
    app.add_typer(group, name="segment")


def train_cmd(
    ctx: typer.Context,
    cases: Path = typer.Argument(..., help="Case table with image_path and mask_path (split: train/val; else split by patient)."),
    out: Path = typer.Option(..., "-o", "--out", help="Run folder to write (model.safetensors + config.json)."),
    extra_train: Optional[Path] = typer.Option(None, help="Second case table added to the training part only (e.g. `dermkit synth` images of lesion types CASES lacks); never validated on."),
    arch: str = typer.Option("unet", help="unet, unetplusplus, deeplabv3plus, fpn or manet."),
    encoder: str = typer.Option("resnet18", help="smp encoder (resnet18, mit_b0, ...) or a timm one as tu-NAME (tu-convnext_atto)."),
    pretrained: Optional[Path] = typer.Option(None, help="Local weights (file or run folder) for the model or its encoder; default: random init."),
    image_size: int = typer.Option(128, help="Training resolution (multiple of 32)."),
    batch_size: int = typer.Option(8, help="Training images per optimiser step."),
    epochs: int = typer.Option(10, help="Passes over the training images (--minutes or --max-steps may stop it sooner)."),
    max_steps: int = typer.Option(-1, help="Stop after this many optimiser steps (-1: no limit)."),
    minutes: Optional[float] = typer.Option(None, help="Wall-time budget in minutes."),
    lr: float = typer.Option(1e-3, help="Peak learning rate (AdamW, warm-up + cosine)."),
    boundary_weight: float = typer.Option(0.0, help="Weight of the boundary loss added to Dice + BCE (0: off)."),
    lovasz_weight: float = typer.Option(0.0, help="Weight of the per-image Lovász hinge (a surrogate of each image's Jaccard loss) added to Dice + BCE (0: off)."),
    augment: Optional[str] = typer.Option(
        None, help="Training augmentation as a YAML mapping of scale, hflip, vflip, rotate, color_jitter, e.g. '{scale: [0.25, 1.0]}' "
        "(random crops of 25-100% of the image: zooms up to 2x). Default: scale [0.6, 1.0], flips 0.5, rotate 180, color_jitter 0.2.",
    ),
    hair_removal: bool = typer.Option(False, "--hair-removal", help="Pre-process: remove hair (DullRazor)."),
    colour_constancy: Optional[str] = typer.Option(None, help="Pre-process: shades_of_gray, gray_world or max_rgb."),
    clahe: bool = typer.Option(False, "--clahe", help="Pre-process: CLAHE on L*."),
    threshold: float = typer.Option(0.5, help="Post-process: probability threshold."),
    largest_component: bool = typer.Option(True, help="Post-process: keep the largest connected component."),
    fill_holes: bool = typer.Option(True, help="Post-process: fill holes."),
    smooth_radius: float = typer.Option(0.0, help="Post-process: opening + closing disk radius in px at a 256-px short side, scaled with the image (0: off)."),
    accelerator: str = typer.Option("auto", help="Lightning accelerator (cpu, gpu, auto)."),
    devices: str = typer.Option("auto", help="Lightning devices: auto, a count, or a list like 0,1."),
    strategy: str = typer.Option("auto", help="Lightning strategy, e.g. ddp for several devices (one process each)."),
    num_nodes: int = typer.Option(1, help="Machines of a multi-node Lightning run."),
    precision: str = typer.Option("32-true", help=f"Lightning precision: {', '.join(PRECISIONS)}."),
    channels_last: bool = typer.Option(False, "--channels-last", help="Channels-last (NHWC) weights and batches: faster convolutions, most of all with --precision bf16-mixed."),
    ema: float = typer.Option(0.0, help="Decay of an exponential moving average of the weights, validated and saved instead of the last weights (e.g. 0.999; 0: off)."),
    workers: int = typer.Option(0, help="DataLoader worker processes."),
    resume: bool = typer.Option(
        False, "--resume", help="Continue from OUT/lightning/last.ckpt with the options the run started with (kept in OUT/lightning/recipe.json; "
        "give --epochs, --max-steps or --minutes for a longer budget; other changes are refused; post-processing options are as given)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start again in a folder that already holds a run."),
    seed: int = typer.Option(0, min=0, help="Random seed."),
) -> None:
    """Train a lesion segmenter (Dice + BCE, optional boundary and Lovász losses, joint image+mask augmentation)."""
    from dermkit.cli.options import parse_devices
    from dermkit.datasets.transforms import check_augment
    from dermkit.segment import Postprocessing, Preprocessing, train_segmenter
    from dermkit.train.distributed import is_first_process
    from dermkit.train.fit import read_recipe

    recipe = dict(
        arch=arch, encoder=encoder, pretrained=pretrained or False, image_size=image_size, batch_size=batch_size, lr=lr,
        boundary_weight=boundary_weight, lovasz_weight=lovasz_weight, augment=check_augment(augment), precision=precision,
        channels_last=channels_last, ema=ema, seed=seed,
    )
    preprocessing = dict(hair_removal=hair_removal, colour_constancy=colour_constancy, clahe=clahe)
    started = read_recipe(out / "lightning") if resume else None
    if started is not None:  # --resume: an option left at its default is the one the run started with
        def is_default(name: str) -> bool:
            return ctx.get_parameter_source(name).name == "DEFAULT"  # by name: typer vendors its own click

        recipe.update({k: started[k] for k in recipe if k in started and is_default(k)})
        preprocessing = {**started.get("preprocessing", {}), **{k: v for k, v in preprocessing.items() if not is_default(k)}}
        if extra_train is None and started.get("extra_train_table"):
            extra_train = Path(started["extra_train_table"])
    run = train_segmenter(
        cases, out, extra_train=extra_train, **recipe, epochs=epochs, max_steps=max_steps, max_minutes=minutes,
        preprocessing=Preprocessing.from_dict(preprocessing),
        postprocessing=Postprocessing(threshold=threshold, largest_component=largest_component, fill_holes=fill_holes, smooth_radius=smooth_radius),
        accelerator=accelerator, devices=parse_devices(devices), strategy=strategy, num_nodes=num_nodes,
        num_workers=workers, resume=resume, overwrite=overwrite,
    )
    if is_first_process():  # under DDP every process runs this command
        Console().print(f"[green]wrote[/] {run}")


def predict_cmd(
    run: Path = typer.Argument(..., help="Run folder written by `dermkit segment train`."),
    cases: Path = typer.Argument(..., help="Case table of the images to segment."),
    out: Path = typer.Option(..., "-o", "--out", help="Folder: masks/<case_id>.png and cases.parquet (with mask_pred_path)."),
    threshold: Optional[float] = typer.Option(None, help="Override the run's probability threshold."),
    largest_component: Optional[bool] = typer.Option(None, "--largest-component/--no-largest-component", help="Override: keep the largest component."),
    fill_holes: Optional[bool] = typer.Option(None, "--fill-holes/--no-fill-holes", help="Override: fill holes."),
    smooth_radius: Optional[float] = typer.Option(None, help="Override: smoothing disk radius (px at a 256-px short side)."),
    batch_size: int = typer.Option(8, help="Images per forward pass."),
    device: str = typer.Option("cpu", help="torch device (cpu, cuda)."),
    tta: bool = typer.Option(False, "--tta", help="Average the probability over the 8 flips/rotations of each image (8x slower)."),
    adapt_bn: bool = typer.Option(
        False, "--adapt-bn",
        help="First re-estimate the model's BatchNorm statistics on these images (AdaBN: adapts to a new camera or clinic "
        "without labels; use a table of a few dozen or more images from one source).",
    ),
    overlays: bool = typer.Option(
        False, "--overlays", help="Also write overlays/<case_id>.jpg: each image with the predicted outline (magenta) and, "
        "where the table has a mask, the true one (green)."),
) -> None:
    """Segment every image of a case table; masks are uint8 {0,255} PNGs of each image's size."""
    import dataclasses

    from dermkit.segment import Segmenter, predict_masks

    seg = Segmenter.load(run, device, tta)
    changes = {k: v for k, v in dict(threshold=threshold, largest_component=largest_component, fill_holes=fill_holes, smooth_radius=smooth_radius).items() if v is not None}
    table = predict_masks(seg, cases, out, postprocessing=dataclasses.replace(seg.postprocessing, **changes), batch_size=batch_size, adapt_bn=adapt_bn, overlays=overlays)
    Console().print(f"[green]wrote[/] {len(table)} masks to {out / 'masks'}" + (f", overlays to {out / 'overlays'}" if overlays else "") + f" and {out / 'cases.parquet'}")


def evaluate_cmd(
    cases: Path = typer.Argument(..., help="Case table with mask_path (truth) and mask_pred_path (e.g. from `segment predict`)."),
    pred_column: str = typer.Option("mask_pred_path", help="Column of predicted masks."),
    by: Optional[list[str]] = typer.Option(None, "--by", help="Group columns (repeatable); default: skin_tone where present."),
    out: Optional[Path] = typer.Option(
        None, "-o", "--out", help="Folder for segmentation_metrics.json, per_image.csv and report.html (scores, figures, and the "
        "lowest-scoring images with their true and predicted outlines)."),
    against: Optional[Path] = typer.Option(
        None, "--against", help="Another prediction table of the same cases (e.g. without --tta): also print the paired per-image "
        "difference in thresholded Jaccard from it, with its 95% interval (and write comparison.json under -o)."),
    min_group_size: int = typer.Option(30, "--min-group-size", min=1, help="Groups of fewer images are flagged as unreliable in report.html."),
) -> None:
    """Score predicted masks: Jaccard, ISIC 2018 thresholded Jaccard, Dice, HD95, overall and per group."""
    from dermkit.cases import load_cases
    from dermkit.io import atomic_path, write_json
    from dermkit.segment import check_same_truth, evaluate_masks, paired_differences
    from dermkit.segment.evaluate import labelled_rows
    from dermkit.segment.report import write_segmentation_report

    scored = load_cases(cases)
    baseline_cases = None
    if against is not None:
        baseline_cases = load_cases(against)
        check_same_truth(scored, baseline_cases, other_name=f"--against {against}")
    per_image, summary = evaluate_masks(scored, pred_column=pred_column, by=by or None, progress=True)
    comparison = None
    if baseline_cases is not None:
        baseline = evaluate_masks(baseline_cases, pred_column=pred_column, by=(), progress=True, with_hd95=False)[0]
        comparison = paired_differences(baseline, per_image, by=list(summary["by"]))
    table = Table(show_header=True, caption="tJ: thresholded Jaccard, the ISIC 2018 score (a Jaccard under 0.65 counts as 0), "
                  "with its 95% bootstrap interval over the images; HD95: median 95th-percentile Hausdorff distance (px)")
    for col in ("group", "n", "tJ", "tJ 95% CI", "Jaccard", "Dice", "HD95"):
        table.add_column(col, justify="left" if col == "group" else "right", no_wrap=True)
    for name, s in labelled_rows(summary):
        lo, hi = s["thresholded_jaccard_ci"]
        ci = "-" if math.isnan(lo) else f"{lo:.3f}-{hi:.3f}"  # nan (one image): no interval
        table.add_row(name, str(s["n"]), f"{s['thresholded_jaccard']:.3f}", ci, f"{s['jaccard']:.3f}", f"{s['dice']:.3f}", f"{s['hd95_median']:.1f}")
    Console().print(table)
    if comparison is not None:
        diff = Table(show_header=True, caption="change in thresholded Jaccard from the --against predictions, image by image, with its paired 95% bootstrap interval")
        for col in ("group", "n", "difference", "95% CI"):
            diff.add_column(col, justify="left" if col == "group" else "right", no_wrap=True)
        for name, d in labelled_rows(comparison):
            lo, hi = d["ci"]
            diff.add_row(name, str(d["n"]), f"{d['difference']:+.3f}", "-" if math.isnan(lo) else f"{lo:+.3f} to {hi:+.3f}")
        Console().print(diff)
    if out is not None:
        if comparison is not None:
            write_json(out / "comparison.json", {"against": str(against), **comparison})
        write_json(out / "segmentation_metrics.json", summary)
        with atomic_path(out / "per_image.csv") as tmp:
            per_image.to_csv(tmp, index=False)
        report = write_segmentation_report(per_image, summary, scored, out, pred_column=pred_column, comparison=comparison,
                                           min_group_size=min_group_size)
        Console().print(f"[green]wrote[/] {out / 'segmentation_metrics.json'}, {out / 'per_image.csv'} and {report}")
