"""``dermkit evaluate``: ISIC metrics, fairness by group, calibration, and an HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    """Add the ``evaluate`` command to ``app``."""
    app.command("evaluate")(evaluate_cmd)


def evaluate_cmd(
    preds: Path = typer.Argument(..., help="Predictions table (.parquet/.csv): case_id, pred, prob_<class> per class."),
    cases: Path = typer.Argument(..., help="Case table with the ground truth (.parquet/.csv)."),
    out: Path = typer.Option(..., "-o", "--out", help="Folder for metrics.json and report.html."),
    by: Optional[list[str]] = typer.Option(None, "--by", help="Group column (repeatable): skin_tone, fitzpatrick, site, sex, age_bin, artifact, artifact_<name> or any case column."),
    split: Optional[str] = typer.Option(None, "--split", help="Only evaluate cases of this split (e.g. test)."),
    n_boot: int = typer.Option(200, "--n-boot", min=0, help="Bootstrap resamples for the group confidence intervals (0: none)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Bootstrap seed: the same seed gives the same intervals."),
    min_group_size: int = typer.Option(30, "--min-group-size", min=1, help="Groups smaller than this are flagged as unreliable."),
    worst: int = typer.Option(12, "--worst", min=0, help="How many confident errors the report's gallery shows."),
) -> None:
    """Score predictions as the ISIC challenges do, by group, and write metrics.json + report.html."""
    import warnings

    from dermkit.evaluate import evaluate, write_report
    from dermkit.evaluate.groups import SmallGroupWarning
    from dermkit.evaluate.predictions import read_tables

    preds_table, case_table, source, cases_source = read_tables(preds, cases)  # once: the reader's warnings printed once
    names = {"source": source, "cases_source": cases_source}  # errors name the files
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)  # listed in the result and printed below
        metrics = evaluate(preds_table, case_table, by=by or [], split=split, n_boot=n_boot, seed=seed, min_group_size=min_group_size, **names)
    paths = write_report(preds_table, case_table, out, metrics=metrics, split=split, n_worst=worst, **names)
    console = Console()
    _print_summary(console, metrics)
    for message in metrics["notes"]:
        console.print(f"[dim]note:[/] {message}", soft_wrap=True)
    for message in metrics["warnings"]:
        console.print(f"[yellow]warning:[/] {message}", soft_wrap=True)
    console.print(f"[green]wrote[/] {paths['json']}", soft_wrap=True, highlight=False)
    console.print(f"[green]report:[/] {paths['html'].resolve()}", soft_wrap=True, highlight=False)


def _print_summary(console: Console, m: dict) -> None:
    from dermkit.evaluate.report import SUMMARY_KEYS, format_value

    table = Table(title=f"{m['n_cases']} cases, {len(m['classes'])} classes", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, label in SUMMARY_KEYS:
        table.add_row(label, format_value(m["overall"].get(key)))
    console.print(table)
    if m["fairness"]:
        fair = Table(title="fairness by group", show_header=True)
        for col in ("column", "groups", "worst group", "worst accuracy", "NAR", "EOD"):
            fair.add_column(col, justify="left" if col in ("column", "worst group") else "right")
        for col, f in m["fairness"].items():
            fair.add_row(col, str(f["n_groups"]), str(f.get("worst_group")), format_value(f.get("worst_group_accuracy")), format_value(f.get("nar")), format_value(f.get("eod")))
        console.print(fair)
