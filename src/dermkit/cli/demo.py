"""``dermkit demo``: the main job end to end on synthetic data (what ``make demo`` runs)."""

from __future__ import annotations

from pathlib import Path

import typer

from dermkit.demo import DemoConfig


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""
    app.command("demo")(demo_cmd)


def demo_cmd(
    out: Path = typer.Option(Path("demo-out"), "--out", "-o", help="Folder for data, model, predictions and report."),
    n: int = typer.Option(DemoConfig.n, "-n", help="Number of synthetic cases to generate."),
    epochs: int = typer.Option(DemoConfig.epochs, help="Training epochs."),
    model: str = typer.Option(DemoConfig.model, help="timm model name."),
    seed: int = typer.Option(DemoConfig.seed, min=0, help="Seed of every random step."),
) -> None:
    """Generate synthetic data, measure skin tone, train, predict, evaluate by skin tone; write report.html."""
    from rich.console import Console

    from dermkit.demo import run_demo

    console = Console()
    report = run_demo(out, DemoConfig(n=n, epochs=epochs, model=model, seed=seed), log=console.print)
    console.print(f"[bold green]done[/]: open {report.resolve()}")
