"""Debiasing benchmark on synthetic data whose bias is planted: plain training vs each method.

Presets of :func:`dermkit.synth.generate`:

* ``spurious-ruler``: melanoma vs nevus; in train/val 90% of melanomas and 10% of nevi carry a
  ruler, in test half of every class. The *shortcut gap* is the test accuracy on cases where the
  ruler agrees with the planted correlation (melanoma with ruler, nevus without) minus the accuracy
  where it contradicts it; a model that learned the ruler has a large gap.
* ``skin-tone-shift``: seven classes; train/val on very light and light skin only, test on all
  six ITA groups. The *tone gap* is the test accuracy on the two tones seen in training minus the
  accuracy on the four unseen ones (pooled, so each side has dozens of cases). The seven-class
  equal-opportunity difference (EOD: the largest across-tone difference of a class's recall,
  :func:`dermkit.evaluate.groups.fairness_summary`) is reported too, and the binary
  malignant-vs-benign EOD (the melanoma-fairness literature's), but with a handful of cases per
  class and tone the seven-class EOD saturates at 1.0 and cannot rank methods.

Methods (one option of :class:`dermkit.train.TrainConfig` each): plain, ``circle``,
``adversarial`` (head on ``artifact:ruler`` for the ruler preset, on ``skin_tone`` for the tone
preset), ``reweight`` and ``group_dro`` (groups: class x ruler presence / class x skin tone).
Reported per method: test accuracy, EOD across skin tones (seven-class and malignant-vs-benign),
worst-tone accuracy, the gap, and the accuracy on ruler-contradicting cases. The goal: a method halves the plain model's gap while losing at most
2 accuracy points.

    python benchmarks/debiasing.py --out benchmarks/results/debiasing --n 800 --size 64
    python benchmarks/debiasing.py --out benchmarks/results/debiasing --reuse-runs   # re-score saved runs
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _machine import machine_info
from dermkit.cases import artifact_flags
from dermkit.evaluate.groups import fairness_summary, group_metrics
from dermkit.io import atomic_path, write_json
from dermkit.labels import is_malignant
from dermkit.predict import predict
from dermkit.synth import generate
from dermkit.train import fit

METHODS = {
    "spurious-ruler": {
        "plain": {},
        "circle": {"debias": "circle", "debias_weight": 0.1},
        "adversarial": {"debias": "adversarial", "adversarial_targets": ["artifact:ruler"], "debias_weight": 0.5},
        "reweight": {"debias": "reweight", "group_column": "ruler"},
        "group_dro": {"debias": "group_dro", "group_column": "ruler", "dro_eta": 0.05},
    },
    "skin-tone-shift": {
        "plain": {},
        "circle": {"debias": "circle", "debias_weight": 0.1},
        "adversarial": {"debias": "adversarial", "adversarial_targets": ["skin_tone"], "debias_weight": 0.5},
        "reweight": {"debias": "reweight", "group_column": "skin_tone"},
        "group_dro": {"debias": "group_dro", "group_column": "skin_tone", "dro_eta": 0.05},
    },
}


TRAIN_TONES = ("very_light", "light")
"""The skin tones of the ``skin-tone-shift`` preset's training and validation splits."""


def evaluate(cases: pd.DataFrame, preds: pd.DataFrame, preset: str) -> dict:
    """Test accuracy, EOD across skin tones, and the preset's gap."""
    classes = list(preds.filter(like="prob_").columns.str.removeprefix("prob_"))
    y = cases["diagnosis"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    yp = preds["pred"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    probs = preds[[f"prob_{c}" for c in classes]].to_numpy()
    tones = cases["skin_tone"].astype(str).to_numpy()
    table = group_metrics(y, probs, tones, ["accuracy"], y_pred=yp, n_boot=0, min_group_size=1)
    fair = fairness_summary(table, y, yp, tones, len(classes))
    malignant = np.array([is_malignant(c) for c in classes])
    binary = group_metrics(malignant[y].astype(int), np.eye(2)[malignant[yp].astype(int)], tones, ["accuracy"], y_pred=malignant[yp].astype(int), n_boot=0, min_group_size=1)
    fair_binary = fairness_summary(binary, malignant[y].astype(int), malignant[yp].astype(int), tones, 2)
    correct = y == yp
    out = {
        "accuracy": float(correct.mean()),
        "eod_skin_tone": fair["eod"],
        "eod_malignant_skin_tone": fair_binary["eod"],
        "worst_tone_accuracy": fair["worst_group_accuracy"],
    }
    if preset == "spurious-ruler":
        ruler = cases["ruler"].to_numpy(dtype=bool)
        agrees = ruler == (cases["diagnosis"] == "melanoma").to_numpy()
        out["accuracy_ruler_agrees"] = float(correct[agrees].mean())
        out["accuracy_ruler_contradicts"] = float(correct[~agrees].mean())
        out["gap"] = out["accuracy_ruler_agrees"] - out["accuracy_ruler_contradicts"]
    else:
        seen = np.isin(tones, TRAIN_TONES)
        out["accuracy_seen_tones"] = float(correct[seen].mean())
        out["accuracy_unseen_tones"] = float(correct[~seen].mean())
        out["gap"] = out["accuracy_seen_tones"] - out["accuracy_unseen_tones"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/debiasing"), help="output folder: results.json, results.md and the runs")
    parser.add_argument("--n", type=int, default=800, help="cases per preset")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels, generated and trained at")
    parser.add_argument("--epochs", type=int, default=8, help="training epochs of every run")
    parser.add_argument("--model", default="resnet10t", help="timm classifier trained by every run")
    parser.add_argument("--presets", nargs="+", default=list(METHODS), choices=list(METHODS), help="synthetic presets with a planted bias to run")
    parser.add_argument("--methods", nargs="+", default=None, choices=list(METHODS["spurious-ruler"]), help="only these methods (plain is training without debiasing); without it, all of them")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated images and of training")
    parser.add_argument("--reuse-runs", action="store_true", help="score runs already in OUT/runs instead of training them again")
    args = parser.parse_args()
    load_at_start = [round(v, 2) for v in __import__("os").getloadavg()]
    base = {"model": args.model, "image_size": args.size, "batch_size": 32, "epochs": args.epochs, "lr": 2e-3, "warmup_epochs": 1, "progress": False, "seed": args.seed, "accelerator": "cpu"}
    rows = []
    for preset in args.presets:
        data = args.out / "data" / preset
        cases = generate(preset, n=args.n, size=args.size, seed=args.seed, out_dir=data, progress=False)
        cases["ruler"] = artifact_flags(cases).get("artifact_ruler", pd.Series(False, index=cases.index)).astype(bool)
        test = cases[cases["split"] == "test"].reset_index(drop=True)
        for method, options in METHODS[preset].items():
            if args.methods and method not in args.methods:
                continue
            start = time.perf_counter()
            run = args.out / "runs" / preset / method
            if not (args.reuse_runs and (run / "model.safetensors").is_file()):
                fit(cases, {**base, **options}, run, overwrite=True)
            metrics = evaluate(test, predict(run, test), preset)
            train_minutes = pd.read_csv(run / "history.csv")["train_seconds"].sum() / 60  # recorded by the run itself
            rows.append({"preset": preset, "method": method, **metrics, "train_minutes": round(train_minutes, 2), "minutes": round((time.perf_counter() - start) / 60, 2)})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    verdicts = []
    for preset, part in table.groupby("preset", sort=False):
        plain = part[part["method"] == "plain"].iloc[0]
        for _, r in part[part["method"] != "plain"].iterrows():
            ok = r["gap"] <= plain["gap"] / 2 and r["accuracy"] >= plain["accuracy"] - 0.02
            verdicts.append({"preset": preset, "method": r["method"], "gap_vs_plain": r["gap"] / plain["gap"] if plain["gap"] else float("nan"), "accuracy_change": r["accuracy"] - plain["accuracy"], "meets_goal": bool(ok)})
    results = {
        "benchmark": "debiasing",
        "n_per_preset": args.n,
        "image_size": args.size,
        "train_config": base,
        "methods": METHODS,
        "results": rows,
        "verdicts": verdicts,
        "load_at_start": load_at_start,
        "machine": machine_info(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "results.json", results)
    cols = [c for c in ("preset", "method", "accuracy", "gap", "eod_skin_tone", "eod_malignant_skin_tone", "worst_tone_accuracy", "accuracy_ruler_contradicts", "accuracy_unseen_tones", "train_minutes") if c in table.columns]
    md = ["# Debiasing on synthetic presets (test split)", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in table.iterrows():
        md.append("| " + " | ".join(f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")
    md += ["", "gap: spurious-ruler = accuracy(ruler agrees with the planted correlation) - accuracy(contradicts); skin-tone-shift = accuracy on the training tones (very light, light) - accuracy on the four unseen tones. train_minutes: the training loops' own time (from the run's history.csv).", ""]
    md += ["| preset | method | gap / plain gap | accuracy change | halves the gap within 2 points |", "|---|---|---|---|---|"]
    md += [f"| {v['preset']} | {v['method']} | {v['gap_vs_plain']:.2f} | {v['accuracy_change']:+.3f} | {'yes' if v['meets_goal'] else 'no'} |" for v in verdicts]
    md += ["", f"{args.n} cases per preset at {args.size} px, {args.model}, {args.epochs} epochs; load average at start {load_at_start}, end {results['machine']['load_average_1_5_15']}."]
    with atomic_path(args.out / "results.md") as tmp:
        tmp.write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
