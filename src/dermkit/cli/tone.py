"""``dermkit tone``: measure each case's skin tone (ITA, category, Fitzpatrick estimate)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    """Add the ``tone`` command to ``app``."""
    app.command("tone")(tone_cmd)


def tone_cmd(
    cases_path: Path = typer.Argument(..., metavar="CASES", help="Case table (.parquet or .csv)."),
    out: Path = typer.Option(..., "-o", "--out", help="Case table to write, with ita, skin_tone, fitzpatrick_est, tone_reliable."),
    method: str = typer.Option("median", "--method", help="ITA aggregation: median, trimmed_mean, mode or lab_median."),
    workers: int = typer.Option(2, "--workers", "-j", min=1, help="Worker processes."),
    no_masks: bool = typer.Option(False, "--no-masks", help="Ignore mask_path and estimate the lesion automatically."),
) -> None:
    """Measure the healthy-skin ITA of every image (resumable: rerun after an interruption)."""
    from dermkit.cases import check_table_path, load_cases, save_cases, summarize
    from dermkit.imaging.batch import measure_cases

    check_table_path(out)  # before the images are measured, not after
    out.parent.mkdir(parents=True, exist_ok=True)  # the resume cache is written beside it from the start
    cases = load_cases(cases_path)
    cache = out.parent / f".{out.name}.tone-cache.jsonl"
    try:
        toned = measure_cases(cases, workers=workers, method=method, use_masks=not no_masks, cache=cache)
    finally:
        if cache.is_file() and cache.stat().st_size == 0:  # nothing measured: no resume file to keep
            cache.unlink()
    save_cases(toned, out)
    cache.unlink(missing_ok=True)
    console = Console()
    n_unreliable = int((~toned["tone_reliable"].fillna(False)).sum())
    console.print(f"[green]wrote[/] {out} ({len(toned)} cases; {n_unreliable} without a reliable tone)")
    for col, counts in summarize(toned, by=("skin_tone",)).items():
        console.print(f"{col}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
