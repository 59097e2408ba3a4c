"""Training throughput: dermkit's Lightning training vs a minimal hand-written PyTorch loop.

Both train the same timm model (``--model``, default ResNet-18) on the same case table (generated
PNGs, read through the same :class:`dermkit.datasets.torch_dataset.CaseDataset` and transform),
with the same batch size, optimiser (AdamW) and threads, in the same process, interleaved
(hand, dermkit, hand, dermkit, ...) so that the machine's load drifts equally over both. dermkit's
images/s is the training part of each epoch as its ``history.csv`` records it (validation
excluded); the hand loop's is its epoch time. The first epoch of each is warm-up and dropped.
The goal is a ratio dermkit / hand of at least 0.9.

    python benchmarks/train_throughput.py --out benchmarks/results/train_throughput
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from _machine import machine_info
from dermkit.datasets.torch_dataset import CaseDataset
from dermkit.datasets.transforms import create_transform
from dermkit.io import atomic_path, write_image, write_json
from dermkit.models import create_classifier
from dermkit.train import fit


def make_cases(root: Path, n_train: int, n_val: int, size: int, seed: int = 0) -> pd.DataFrame:
    """Random-texture PNGs of two classes (content is irrelevant to speed)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_train + n_val):
        path = root / f"{i}.png"
        write_image(path, rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
        rows.append({"case_id": f"c{i}", "image_path": str(path), "diagnosis": ("nevus", "melanoma")[i % 2], "split": "train" if i < n_train else "val"})
    return pd.DataFrame(rows)


def hand_loop_epochs(cases: pd.DataFrame, args: argparse.Namespace, epochs: int) -> list[float]:
    """Images/s of each epoch of a plain loop: DataLoader, forward, cross-entropy, backward, AdamW step."""
    torch.manual_seed(0)
    train = cases[cases["split"] == "train"].reset_index(drop=True)
    dataset = CaseDataset(train, transform=create_transform(args.size, train=True, seed=0))
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True, drop_last=True)
    model = create_classifier(args.model, 2)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    rates = []
    for _ in range(epochs):
        start, seen = time.perf_counter(), 0
        for batch in loader:
            loss = torch.nn.functional.cross_entropy(model(batch["image"]), batch["label"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            seen += len(batch["label"])
        rates.append(seen / (time.perf_counter() - start))
    return rates


def dermkit_epochs(cases: pd.DataFrame, args: argparse.Namespace, epochs: int, run_dir: Path) -> list[float]:
    """Images/s of each epoch of ``dermkit.train.fit`` with the same model, data, batch size and optimiser."""
    config = {
        "model": args.model,
        "image_size": args.size,
        "batch_size": args.batch_size,
        "epochs": epochs,
        "lr": 1e-3,
        "weight_decay": 0.05,
        "progress": False,
        "accelerator": "cpu",
    }
    result = fit(cases, config, run_dir, overwrite=True)
    return result.history["train_images_per_s"].tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/train_throughput"), help="output folder: results.json and results.md")
    parser.add_argument("--model", default="resnet18", help="timm classifier trained by both loops")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels")
    parser.add_argument("--batch-size", type=int, default=64, help="images per optimiser step, in both loops")
    parser.add_argument("--n-train", type=int, default=512, help="training images generated")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per round (the first is warm-up)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds of hand loop then dermkit")
    args = parser.parse_args()
    load_at_start = [round(v, 2) for v in __import__("os").getloadavg()]
    hand, ours, paired = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        cases = make_cases(Path(tmp) / "images", args.n_train, args.batch_size, args.size)
        for r in range(args.rounds):
            hand += hand_loop_epochs(cases, args, args.epochs)[1:]
            ours += dermkit_epochs(cases, args, args.epochs, Path(tmp) / f"run{r}")[1:]
            paired.append(statistics.median(ours[-(args.epochs - 1):]) / statistics.median(hand[-(args.epochs - 1):]))
            print(f"round {r}: hand {hand[-1]:.1f} img/s, dermkit {ours[-1]:.1f} img/s", flush=True)
    # each round's ratio compares two loops run back to back; their median resists the load drifting
    ratio = statistics.median(paired)
    results = {
        "benchmark": "train_throughput",
        "model": args.model,
        "image_size": args.size,
        "batch_size": args.batch_size,
        "n_train": args.n_train,
        "hand_loop_images_per_s": hand,
        "dermkit_images_per_s": ours,
        "hand_median": statistics.median(hand),
        "dermkit_median": statistics.median(ours),
        "ratio_per_round": paired,
        "ratio": ratio,
        "ratio_of_medians": statistics.median(ours) / statistics.median(hand),
        "goal_ratio": 0.9,
        "load_at_start": load_at_start,
        "machine": machine_info(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "results.json", results)
    md = (
        "# Training throughput (images/s, training part of each epoch, warm-up epoch dropped)\n\n"
        "| loop | median images/s | epochs measured |\n|---|---|---|\n"
        f"| minimal hand-written PyTorch loop | {results['hand_median']:.1f} | {len(hand)} |\n"
        f"| dermkit.train.fit (Lightning) | {results['dermkit_median']:.1f} | {len(ours)} |\n\n"
        f"Ratio dermkit / hand (median of the {args.rounds} back-to-back rounds' ratios {[round(p, 3) for p in paired]}): **{ratio:.3f}** (goal >= 0.9). {args.model} at {args.size} px, batch {args.batch_size}, "
        f"{args.n_train} training images, AdamW. Machine: {results['machine']['cpu']}, {results['machine']['logical_cores']} cores, "
        f"load average at start {load_at_start}, at end {results['machine']['load_average_1_5_15']}.\n"
    )
    with atomic_path(args.out / "results.md") as tmp_md:
        tmp_md.write_text(md)
    print(md)


if __name__ == "__main__":
    main()
