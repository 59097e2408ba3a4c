"""The main job end to end on the synthetic default data: what ``make demo`` runs.

generate (``balanced`` preset: seven classes, six skin-tone groups, artifacts) → measure skin
tone → train a small classifier → predict the held-out test split → evaluate by skin tone,
Fitzpatrick type and ruler artifact, with a counterfactual skin-tone flip rate → report.html.

Each step calls the same public function a user would; re-running reuses the generated data.

Example:
    >>> report = run_demo("demo-out")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from dermkit.errors import ConfigError


@dataclass(frozen=True)
class DemoConfig:
    """Sizes of the demo: about four minutes of CPU work on two cores with the defaults."""

    n: int = 700
    image_size: int = 128
    train_size: int = 64
    model: str = "resnet18"
    epochs: int = 12
    batch_size: int = 32
    lr: float = 2e-3
    flip_images: int = 60
    seed: int = 0
    workers: int = 2

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (int, float)) and f.name != "seed" and value <= 0:
                raise ConfigError(f"demo: {f.name} must be positive, got {value}")


BY = ("skin_tone", "fitzpatrick", "artifact_ruler")
"""Columns the demo's report breaks metrics down by."""


def run_demo(out_dir: str | os.PathLike[str] = "demo-out", config: DemoConfig = DemoConfig(), progress: bool = True, log: Callable[[str], None] = print) -> Path:
    """Run the whole pipeline into ``out_dir`` and return the path of ``report.html``."""
    import pandas as pd

    from dermkit.cases import save_cases
    from dermkit.evaluate import write_report
    from dermkit.evaluate.counterfactual import skin_tone_flip_rate
    from dermkit.imaging.batch import measure_cases
    from dermkit.io import read_image, read_mask
    from dermkit.models.classifier import load_classifier
    from dermkit.predict import predict, predict_images
    from dermkit.synth import generate
    from dermkit.synth.generate import load_synth_cases
    from dermkit.train import fit

    out = Path(out_dir)
    data = out / "data"
    started = time.monotonic()

    def step(message: str) -> None:
        log(f"[{time.monotonic() - started:6.1f}s] {message}")

    wanted = {"preset": "balanced", "n": config.n, "size": config.image_size, "seed": config.seed, "overrides": {}}
    if (data / "cases.parquet").is_file() and _synth_config(data) == wanted:  # another -n or --seed reused the old set
        step(f"reusing synthetic data in {data}")
        cases = load_synth_cases(data)
    else:
        step(f"generating {config.n} synthetic cases ({config.image_size} px, preset balanced) into {data}")
        cases = generate("balanced", n=config.n, size=config.image_size, seed=config.seed, out_dir=data, workers=config.workers, progress=progress)
    step("measuring skin tone (ITA) on every image")
    cases = measure_cases(cases.rename(columns={"ita": "ita_true", "skin_tone": "skin_tone_true"}), workers=config.workers, progress=progress)
    save_cases(cases, out / "cases.parquet")
    step(f"training {config.model} for {config.epochs} epochs at {config.train_size} px")
    result = fit(
        cases,
        dict(model=config.model, epochs=config.epochs, image_size=config.train_size, batch_size=config.batch_size, lr=config.lr, seed=config.seed, progress=progress),
        out / "run",
        overwrite=True,
    )
    step(f"best validation {result.monitor}: {result.best_value:.3f} (epoch {result.best_epoch})")
    test = cases[cases["split"] == "test"]
    step(f"predicting {len(test)} held-out test cases")
    preds = predict(out / "run", test, progress=progress)
    preds.to_parquet(out / "predictions.parquet", index=False)
    sample = test.sample(n=min(config.flip_images, len(test)), random_state=config.seed)
    step(f"counterfactual skin-tone flip rate on {len(sample)} test images")
    net = load_classifier(out / "run")
    images = [read_image(p) for p in sample["image_path"]]
    masks = [read_mask(m, img.shape[:2]) if pd.notna(m) else None for m, img in zip(sample["mask_path"], images)]
    flips = skin_tone_flip_rate(lambda imgs: predict_images(net, imgs), images, masks, case_ids=list(sample["case_id"]), progress=progress)
    step(f"evaluating by {', '.join(BY)}")
    with warnings.catch_warnings(record=True) as caught:  # small-group notes go to the log, one line each
        warnings.simplefilter("always")
        paths = write_report(preds, cases, out / "report", by=BY, split="test", counterfactual=flips, title="dermkit demo: synthetic balanced data", min_group_size=10)
    for note in dict.fromkeys(str(w.message) for w in caught):
        step(f"note: {note}")
    step(f"report: {paths['html'].resolve()}")
    return paths["html"]


def _synth_config(data: Path) -> dict | None:
    """The options ``data/synth_config.json`` says the synthetic set was generated with (``None`` if unreadable)."""
    import json

    try:
        return json.loads((data / "synth_config.json").read_text())
    except (OSError, ValueError):
        return None
