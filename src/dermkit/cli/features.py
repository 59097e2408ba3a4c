"""``dermkit features``: clinical ABCD features from lesion masks, added as case-table columns."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    """Add the ``features`` command to ``app``."""
    app.command("features")(features_cmd)


def features_cmd(
    cases: Path = typer.Argument(..., help="Case table with image_path and a mask column."),
    out: Path = typer.Option(..., "-o", "--out", help="Case table to write with the ABCD feature columns."),
    mask_column: str = typer.Option("mask_path", help="Mask column to describe (e.g. mask_pred_path)."),
    mm_per_px: Optional[float] = typer.Option(None, help="Pixel size in mm, for diameter_mm (a mm_per_px column takes precedence; its blank cells use this)."),
) -> None:
    """Add asymmetry, border, colour, diameter and TDS-style columns (see dermkit.explain.abcd)."""
    import warnings

    from dermkit.cases import load_cases, save_cases
    from dermkit.explain.abcd import add_abcd_features

    console = Console()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = add_abcd_features(load_cases(cases), mask_column=mask_column, mm_per_px=mm_per_px)
    for w in caught:
        console.print(f"[yellow]warning:[/] {w.message}")
    save_cases(table, out)
    console.print(f"[green]wrote[/] {out} ({len(table)} cases)")
