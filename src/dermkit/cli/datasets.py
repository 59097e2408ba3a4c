"""``dermkit datasets``: import public data sets into case tables."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    """Add the ``datasets`` command group to ``app``."""
    group = typer.Typer(help="Import public data sets (ISIC, HAM10000, ...) into case tables.", no_args_is_help=True)
    group.command("import")(import_cmd)
    group.command("list")(list_cmd)
    app.add_typer(group, name="datasets")


def import_cmd(
    fmt: str = typer.Argument(..., metavar="FORMAT", help="Data set format; `dermkit datasets list` shows them."),
    root: Path = typer.Argument(..., help="Folder (or file) of the data set as published."),
    out: Path = typer.Option(..., "-o", "--out", help="Case table to write (.parquet or .csv)."),
    allow_missing_images: bool = typer.Option(False, "--allow-missing-images", help="Keep metadata-only rows whose image is absent (flagged image_available=False)."),
    flag: Optional[str] = typer.Option(None, "--flag", help="MedMNIST: which data set the .npz holds (e.g. dermamnist)."),
    images_out: Optional[Path] = typer.Option(None, "--images-out", help="Where adapters that unpack images (MedMNIST) write them; default beside --out."),
    column: Optional[list[str]] = typer.Option(None, "--column", help="Generic CSV: map a canonical column to yours, e.g. --column diagnosis=dx (repeatable)."),
    label_source: Optional[str] = typer.Option(None, "--label-source", help="Generic CSV/folder: whose label map to use (e.g. ham10000); default: labels are canonical names."),
) -> None:
    """Import a data set in its published layout and write a validated case table."""
    from dermkit.cases import save_cases, summarize
    from dermkit.datasets import import_dataset

    options = {
        "allow_missing_images": allow_missing_images or None,
        "flag": flag,
        "images_out": images_out if images_out is not None else (out.parent / f"{out.stem}_images" if flag is not None else None),
        "columns": _parse_columns(column) if column else None,
        "label_source": label_source,
    }
    cases = import_dataset(fmt, root, **options)
    save_cases(cases, out)
    console = Console()
    console.print(f"[green]wrote[/] {out} ({len(cases)} cases)")
    _print_counts(console, summarize(cases, by=("diagnosis", "split")))


def _parse_columns(items: list[str]) -> dict[str, str]:
    from dermkit.errors import ConfigError

    pairs = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--column expects CANONICAL=YOURS, got {item!r}")
        k, v = item.split("=", 1)
        pairs[k.strip()] = v.strip()
    return pairs


def _print_counts(console: Console, counts: dict[str, dict[str, int]]) -> None:
    for col, values in counts.items():
        table = Table(title=f"cases by {col}", show_header=True)
        table.add_column(col)
        table.add_column("n", justify="right")
        for k, v in values.items():
            table.add_row(k, str(v))
        console.print(table)


def list_cmd() -> None:
    """List the data set formats dermkit imports."""
    from dermkit.datasets import describe_format, list_formats

    table = Table(show_header=True)
    table.add_column("format")
    table.add_column("what")
    for name in list_formats():
        table.add_row(name, describe_format(name))
    Console().print(table)
