"""``dermkit preprocess``: colour constancy and hair removal over a case table."""

from __future__ import annotations

from pathlib import Path
import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    """Add the ``preprocess`` command to ``app``."""
    app.command("preprocess")(preprocess_cmd)


def preprocess_cmd(
    ctx: typer.Context,
    cases_path: Path = typer.Argument(..., metavar="CASES", help="Case table (.parquet or .csv)."),
    out_dir: Path = typer.Option(..., "-o", "--out", help="Folder for images/, hair_masks/ and cases.parquet."),
    colour_constancy: bool = typer.Option(False, "--colour-constancy", help="Apply colour constancy (see --cc-method)."),
    cc_method: str = typer.Option("shades_of_gray", "--cc-method", help="shades_of_gray (p=6), gray_world or max_rgb; giving it turns colour constancy on."),
    remove_hair: bool = typer.Option(False, "--remove-hair", help="DullRazor hair removal (hair masks are written too)."),
    workers: int = typer.Option(2, "--workers", "-j", help="Worker processes."),
) -> None:
    """Write processed images and a new case table (resumable: finished images are skipped)."""
    from dermkit.cases import load_cases, save_cases
    from dermkit.errors import ConfigError
    from dermkit.imaging.batch import preprocess_cases

    table_out = out_dir / "cases.parquet"
    if table_out.resolve() == cases_path.resolve():
        raise ConfigError(f"{cases_path} would be replaced by the pre-processed table; write to another folder")
    cases = load_cases(cases_path)
    colour_constancy = colour_constancy or ctx.get_parameter_source("cc_method").name != "DEFAULT"  # --cc-method alone was ignored
    new = preprocess_cases(cases, out_dir, colour_constancy=cc_method if colour_constancy else None, remove_hair=remove_hair, workers=workers)
    table = save_cases(new, table_out)
    Console().print(f"[green]wrote[/] {table} ({len(new)} cases, {new['preprocessing'].iloc[0] if len(new) else 'nothing'})")
