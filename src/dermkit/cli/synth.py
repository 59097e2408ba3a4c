"""``dermkit synth``: generate a synthetic dermoscopy data set with exact ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    """Add the ``synth`` command to ``app``."""
    app.command("synth")(synth_cmd)


def synth_cmd(
    preset: str = typer.Option("balanced", "--preset", "-p", help="balanced, isic-like, spurious-ruler or skin-tone-shift."),
    n: int = typer.Option(100, "-n", help="Number of images."),
    size: int = typer.Option(256, "--size", help="Image side in pixels (32 to 4096)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed: the same seed gives the same bytes."),
    out: Path = typer.Option(..., "-o", "--out", help="Output folder (images/, masks/, cases.parquet)."),
    preview: Optional[Path] = typer.Option(None, "--preview", help="Also write a labelled contact sheet PNG."),
    workers: int = typer.Option(2, "--workers", help="Worker processes."),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="Override a preset field, e.g. --set hair_rate=0.8 or --set 'spurious={ruler: {melanoma: 1.0}}' (repeatable)."),
) -> None:
    """Render synthetic dermoscopic images, lesion and artifact masks, and their case table."""
    from rich.console import Console

    from dermkit.cases import summarize
    from dermkit.cli.datasets import _print_counts
    from dermkit.cli.options import set_options_beside
    from dermkit.io import check_image_path
    from dermkit.synth import contact_sheet, generate

    if preview is not None:
        check_image_path(preview)  # before rendering: it failed with a traceback once every image was written
    flags = dict(n=n, size=size, seed=seed, out_dir=out, workers=workers)
    cases = generate(preset, **flags, **set_options_beside(flags, set_ or []))  # --set n=3 was a "multiple values" traceback
    console = Console()
    console.print(f"[green]wrote[/] {out / 'cases.parquet'} ({len(cases)} cases, {cases['patient_id'].nunique()} patients)")
    _print_counts(console, summarize(cases, by=("diagnosis", "split", "skin_tone")))
    if preview is not None:
        contact_sheet(cases, preview, seed=seed)
        console.print(f"[green]wrote[/] {preview}")

