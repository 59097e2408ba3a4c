"""Segmenter training speed by numeric precision, memory layout and data-loader workers, as ratios to float32.

Every setting trains the same U-Net/resnet18 through :func:`dermkit.segment.train_segmenter` on
the same ISIC 2018 task 1 images (128 px, no validation part, no pre-processing). Each
measurement is the difference of two runs, ``--steps`` and ``--warmup`` optimiser steps long,
so Lightning's set-up and the first (slow, oneDNN-priming) steps cancel out. Repeats are
interleaved, alternating the order of the settings, and the ratio uses each setting's median.
``bf16-mixed`` pays off on CPUs with bf16 units (AVX-512 bf16 / AMX): the CPU's flags are
recorded. The last setting moves image decoding and augmentation into one DataLoader worker
process (``--workers 1``), which overlaps them with the network's step.

Example:
    python benchmarks/segmentation_train_speed.py --out benchmarks/results/segmentation_train_speed
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import warnings
from pathlib import Path

from _data import SHARED_DATA
from _machine import bf16_flags, machine_info

DEFAULT_DATA = SHARED_DATA / "isic2018_task12_256"
SETTINGS = {  # name: (precision, channels_last, batch size, DataLoader workers)
    "float32": ("32-true", False, 8, 0),
    "float32 + channels-last": ("32-true", True, 8, 0),
    "bf16-mixed": ("bf16-mixed", False, 8, 0),
    "bf16-mixed + channels-last": ("bf16-mixed", True, 8, 0),
    "bf16-mixed + channels-last, batch 16": ("bf16-mixed", True, 16, 0),
    "bf16-mixed + channels-last, batch 16, 1 loader worker": ("bf16-mixed", True, 16, 1),
}


def seconds(cases, root: Path, steps: int, precision: str, channels_last: bool, batch_size: int, workers: int = 0) -> float:
    """Training seconds of one run of ``steps`` optimiser steps, as the run's config records them."""
    from dermkit.segment import train_segmenter

    run = train_segmenter(cases, root / f"{precision}-{channels_last}-{batch_size}-{workers}-{steps}", image_size=128, batch_size=batch_size,
                          epochs=100, max_steps=steps, precision=precision, channels_last=channels_last, num_workers=workers,
                          overwrite=True, progress=False, seed=0)
    return json.loads((run / "config.json").read_text())["training"]["seconds"]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/segmentation_train_speed"), help="Output folder: results.json and results.md.")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Folder of the ISIC 2018 task 1 images trained on.")
    parser.add_argument("--steps", type=int, default=35, help="Steps of the long run of each pair.")
    parser.add_argument("--warmup", type=int, default=5, help="Steps of the short run of each pair.")
    parser.add_argument("--repeats", type=int, default=2, help="Interleaved timed pairs of runs per setting; the ratio uses each setting's median.")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    from dermkit.datasets import import_dataset
    from dermkit.io import atomic_path, write_json

    cases = import_dataset("isic", args.data).head(640).assign(split="train")
    rates: dict[str, list[float]] = {k: [] for k in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            for name in list(SETTINGS) if r % 2 == 0 else list(SETTINGS)[::-1]:
                precision, channels_last, bs, workers = SETTINGS[name]
                root = Path(tmp) / str(r)
                long = seconds(cases, root, args.steps, precision, channels_last, bs, workers)
                short = seconds(cases, root, args.warmup, precision, channels_last, bs, workers)
                rates[name].append((args.steps - args.warmup) * bs / (long - short))
                print(f"{name}: {rates[name][-1]:.1f} images/s", flush=True)
    median = {k: statistics.median(v) for k, v in rates.items()}
    result = {
        "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:])),
        "machine": {**machine_info(), "cpu_flags": bf16_flags()},
        "images_per_second": rates, "median_images_per_second": median,
        "ratio_to_float32": {k: v / median["float32"] for k, v in median.items()},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "results.json", result)
    md = ["# Segmenter training speed by precision, memory layout and loader workers", "", f"Command: `{result['command']}`", "",
          f"U-Net/resnet18 at 128 px through `train_segmenter`, {args.steps - args.warmup} timed steps per measurement "
          f"(a {args.steps}-step run minus a {args.warmup}-step one), median of {args.repeats} interleaved repeats. "
          f"CPU: {result['machine']['cpu']}, {result['machine']['torch_threads']} torch threads, flags {', '.join(result['machine']['cpu_flags']) or 'none'}; "
          f"load average at the end {result['machine']['load_average_1_5_15']}.", "",
          "| setting | images/s | ratio to float32 |", "|---|---|---|"]
    md += [f"| {k} | {median[k]:.1f} | {result['ratio_to_float32'][k]:.2f} |" for k in SETTINGS]
    with atomic_path(args.out / "results.md") as path:
        path.write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return result


if __name__ == "__main__":
    main()
