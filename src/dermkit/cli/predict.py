"""``dermkit predict``: class probabilities for a case table from a trained run."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    """Add the ``predict`` command to ``app``."""
    app.command("predict")(predict_cmd)


def predict_cmd(
    run: Path = typer.Argument(..., help="Run folder written by `dermkit train`."),
    cases: Path = typer.Argument(..., help="Case table (.parquet or .csv) to predict."),
    out: Path = typer.Option(..., "-o", "--out", help="Predictions table to write (.parquet or .csv)."),
    tta: bool = typer.Option(False, "--tta", help="Average over the 8 flips/rotations of each image."),
    embeddings: bool = typer.Option(False, "--embeddings", help="Add the image embedding as emb_* columns."),
    batch_size: int = typer.Option(64, "--batch-size", "-b", help="Images per forward pass."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:1, mps..."),
) -> None:
    """Write case_id, pred and one prob_<class> column per class for every case."""
    from dermkit.errors import ConfigError
    from dermkit.io import atomic_path
    from dermkit.predict import predict

    if out.suffix.lower() not in {".parquet", ".csv"}:
        raise ConfigError(f"{out}: predictions are written as .parquet or .csv")
    if out.resolve() == cases.resolve():  # the case table was replaced by the predictions
        raise ConfigError(f"{out} is the case table being predicted; write the predictions to another file")
    preds = predict(run, cases, batch_size=batch_size, tta=tta, embeddings=embeddings, device=device, progress=True)
    with atomic_path(out) as tmp:
        preds.to_parquet(tmp, index=False) if out.suffix.lower() == ".parquet" else preds.to_csv(tmp, index=False)
    Console().print(f"[green]wrote[/] {out} ({len(preds)} cases)", soft_wrap=True)
