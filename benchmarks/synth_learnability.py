"""Learnability of the synthetic data, and a planted shortcut a plain model picks up.

1. ``balanced``: a tiny CNN trained on the train split classifies the seven diagnoses of the
   held-out (patient-grouped) test split far above chance (1/7).
2. ``spurious-ruler``: rulers are on 90% of training melanomas and 10% of training nevi. The same
   CNN is tested on the test split twice: as generated (rulers on half of every class), and as a
   counterfactual in which only the rulers change, re-rendered from the same seeds: every nevus
   gets a ruler and no melanoma has one. The accuracy drop is the model's reliance on rulers.

    nice -n 10 .venv/bin/python benchmarks/synth_learnability.py
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np


def render_split(plan, change=None) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 3, H, W) uint8 and integer labels of a planned table, optionally with params changed per row."""
    from dermkit.synth import CaseParams, render_case

    classes = sorted(plan["diagnosis"].unique())
    images, labels = [], []
    for _, row in plan.iterrows():
        p = CaseParams.from_json(row["synth_params"])
        if change is not None:
            p = dataclasses.replace(p, **change(p))
        images.append(render_case(p, int(row["render_seed"])).image.transpose(2, 0, 1))
        labels.append(classes.index(row["diagnosis"]))
    return np.stack(images), np.array(labels)


def tiny_cnn(num_classes: int):
    """Three conv blocks and a linear head: a plain model, no pretraining."""
    from torch import nn

    def block(i, o):
        return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2))

    return nn.Sequential(block(3, 16), block(16, 32), block(32, 64), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))


def train(x: np.ndarray, y: np.ndarray, num_classes: int, epochs: int, seed: int):
    import torch

    torch.manual_seed(seed)
    model = tiny_cnn(num_classes)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(xt), generator=gen).split(64):
            xb = xt[idx].float() / 255.0 - 0.5
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb[flip] = xb[flip].flip(-1)
            loss = torch.nn.functional.cross_entropy(model(xb), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    import torch

    with torch.no_grad():
        pred = model(torch.from_numpy(x).float() / 255.0 - 0.5).argmax(1).numpy()
    return float((pred == y).mean())


def balanced_task(n: int, size: int, epochs: int, seed: int) -> dict:
    """Train on ``balanced`` train split, test on its test split; accuracy against chance."""
    from dermkit.synth import plan_cases

    plan = plan_cases("balanced", n=n, size=size, seed=seed)
    xtr, ytr = render_split(plan[plan["split"] == "train"])
    xte, yte = render_split(plan[plan["split"] == "test"])
    k = plan["diagnosis"].nunique()
    model = train(xtr, ytr, k, epochs, seed)
    return {"n_train": len(ytr), "n_test": len(yte), "classes": k, "chance": 1.0 / k, "test_accuracy": accuracy(model, xte, yte)}


def spurious_task(n: int, size: int, epochs: int, seed: int) -> dict:
    """Train on ``spurious-ruler``; test as generated and with rulers flipped against the label."""
    from dermkit.synth import plan_cases

    plan = plan_cases("spurious-ruler", n=n, size=size, seed=seed)
    train_plan, test_plan = plan[plan["split"] == "train"], plan[plan["split"] == "test"]
    xtr, ytr = render_split(train_plan)
    model = train(xtr, ytr, 2, epochs, seed)

    def against(p):  # rulers on every nevus, on no melanoma; nothing else changes
        arts = tuple(a for a in p.artifacts if a != "ruler")
        return {"artifacts": arts + ("ruler",) if p.diagnosis == "nevus" else arts}

    def aligned(p):  # rulers on every melanoma, on no nevus
        arts = tuple(a for a in p.artifacts if a != "ruler")
        return {"artifacts": arts + ("ruler",) if p.diagnosis == "melanoma" else arts}

    xte, yte = render_split(test_plan)
    xal, yal = render_split(test_plan, aligned)
    xag, yag = render_split(test_plan, against)
    has_ruler = train_plan["artifacts"].str.contains("ruler")
    return {
        "n_train": len(ytr),
        "n_test": len(yte),
        "train_ruler_rate": {d: float(has_ruler[train_plan["diagnosis"] == d].mean()) for d in ("melanoma", "nevus")},
        "accuracy_test_as_generated": accuracy(model, xte, yte),
        "accuracy_rulers_aligned_with_melanoma": accuracy(model, xal, yal),
        "accuracy_rulers_against_label": accuracy(model, xag, yag),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--n-balanced", type=int, default=1400, help="images of the balanced seven-class task")
    ap.add_argument("--n-spurious", type=int, default=1000, help="images of the spurious-ruler task")
    ap.add_argument("--size", type=int, default=64, help="image side in pixels")
    ap.add_argument("--epochs", type=int, default=8, help="training epochs of each task's CNN")
    ap.add_argument("--seed", type=int, default=0, help="seed of the generator and of training")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/synth_learnability"), help="output folder: results.json and results.md")
    args = ap.parse_args()
    import torch

    from dermkit.io import atomic_path, write_json

    torch.set_num_threads(2)
    t0 = time.time()
    bal = balanced_task(args.n_balanced, args.size, args.epochs, args.seed)
    spur = spurious_task(args.n_spurious, args.size, args.epochs, args.seed)
    result = {"size": args.size, "epochs": args.epochs, "seed": args.seed, "balanced": bal, "spurious_ruler": spur, "seconds": round(time.time() - t0, 1)}
    write_json(args.out / "result.json", result)
    md = [
        "| task | measure | value |",
        "|---|---|---|",
        f"| balanced (7 classes) | test accuracy (chance {bal['chance']:.3f}) | {bal['test_accuracy']:.3f} |",
        f"| spurious-ruler | test accuracy, as generated (rulers on half of each class) | {spur['accuracy_test_as_generated']:.3f} |",
        f"| spurious-ruler | same test cases, rulers on melanomas only | {spur['accuracy_rulers_aligned_with_melanoma']:.3f} |",
        f"| spurious-ruler | same test cases, rulers on nevi only | {spur['accuracy_rulers_against_label']:.3f} |",
    ]
    with atomic_path(args.out / "result.md") as tmp:
        tmp.write_text("\n".join(md) + "\n")
    print("\n".join(md))
    print(f"({result['seconds']} s; train sizes {bal['n_train']} / {spur['n_train']})")


if __name__ == "__main__":
    main()
