"""``dermkit cases``: inspect and split case tables."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    """Add the ``cases`` command group to ``app``."""
    group = typer.Typer(help="Inspect, validate and split case tables.", no_args_is_help=True)
    group.command("summary")(summary_cmd)
    group.command("split")(split_cmd)
    app.add_typer(group, name="cases")


def summary_cmd(
    table: Path = typer.Argument(..., help="Case table (.parquet or .csv)."),
    by: Optional[list[str]] = typer.Option(None, "--by", help="Columns to count by (repeatable); default: diagnosis, split, site, skin_tone where present."),
) -> None:
    """Validate a case table and print counts by diagnosis, split, site and skin tone."""
    from dermkit.cases import load_cases, summarize
    from dermkit.cli.datasets import _print_counts
    from dermkit.errors import ConfigError

    cases = load_cases(table)
    by = by or [c for c in ("diagnosis", "split", "site", "skin_tone") if c in cases.columns]
    missing = [c for c in by if c not in cases.columns]
    if missing:
        raise ConfigError(f"{table}: no column(s) {', '.join(missing)} to count by")
    console = Console()
    console.print(f"{table}: {len(cases)} cases, {cases['diagnosis'].nunique()} diagnoses", soft_wrap=True)  # a long path never splits the count
    _print_counts(console, summarize(cases, by=by))


def split_cmd(
    table: Path = typer.Argument(..., help="Case table (.parquet or .csv)."),
    out: Path = typer.Option(..., "-o", "--out", help="Case table to write with the split column."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed: the same seed gives the same split."),
    train: float = typer.Option(0.7, help="Train fraction."),
    val: float = typer.Option(0.15, help="Validation fraction."),
    test: float = typer.Option(0.15, help="Test fraction."),
    stratify: str = typer.Option("diagnosis", help="Column to stratify by."),
) -> None:
    """Split cases into train/val/test, grouped by patient (else lesion), stratified by label."""
    from dermkit.cases import load_cases, save_cases, split_cases, summarize
    from dermkit.cli.datasets import _print_counts

    cases = split_cases(load_cases(table), (train, val, test), seed=seed, stratify=stratify)
    save_cases(cases, out)
    console = Console()
    console.print(f"[green]wrote[/] {out}")
    _print_counts(console, summarize(cases, by=("split",)))
