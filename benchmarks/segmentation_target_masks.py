"""Segmentation with the test source's own masks: how much of the HAM10000 gap do its masks close?

The segmentation benchmark's models learn from ISIC 2018 task 1 masks and score about 0.69 on
HAM10000, far below their ISIC 2018 held-out score, with basal cell carcinomas and actinic
keratoses worst: HAM10000 draws their masks around the whole pink plaque. This benchmark tests
that explanation by giving the same recipe HAM10000's own masks.

* The HAM10000 256-px subset is split in two by lesion (no lesion in both halves), stratified by
  diagnosis: ``--ham-train`` of it to train on, the rest to test on.
* Three models with the same training budget each (``--minutes``) and the same recipe
  (``benchmarks/segmentation.py``'s training options, one ``--pre`` setting):
  ``isic2018`` (the ISIC 2018 training part, plus ``--mix-synth`` synthetic images: the
  benchmark's configuration), ``ham10000`` (the HAM10000 training half only) and
  ``isic2018+ham10000`` (both, plus the synthetic images).
* Each is scored on the HAM10000 test half (by diagnosis) and on the ISIC 2018 held-out part,
  with 95% bootstrap intervals over the images, and paired image by image against ``isic2018``.

This is a diagnostic, not a route to the issue's other-source goal: a model trained on HAM10000
masks is no longer scored on a source it has not seen. Writes ``OUT/results.json`` and
``OUT/results.md``.

Example:
    python benchmarks/segmentation_target_masks.py --out benchmarks/results/segmentation_target_masks --minutes 20
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import pandas as pd

from segmentation import (POST_VARIANTS, PRE_VARIANTS, HelpFormatter, add_training_arguments, checked_augment, command_line, difference_cell, load_sets,
                          mixed_synthetic, paired_differences, train, with_ci, write_results)

MODELS = ("isic2018", "ham10000", "isic2018+ham10000")  # the first is the one the others are compared with


def split_ham(ham: pd.DataFrame, train_share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The HAM10000 subset split by lesion, stratified by diagnosis: (training part, test part)."""
    from dermkit.cases import split_cases

    split = split_cases(ham, (train_share, 0.0, 1.0 - train_share), seed=seed)
    return (split[split["split"] == "train"].reset_index(drop=True),
            split[split["split"] == "test"].drop(columns="split").reset_index(drop=True))


def training_sets(isic_train: pd.DataFrame, ham_train: pd.DataFrame, mix: pd.DataFrame | None) -> dict[str, tuple[pd.DataFrame, pd.DataFrame | None]]:
    """Per model of :data:`MODELS`: (its training cases, the extra training table or None); both
    training parts already carry ``split == "train"`` (:func:`load_sets`, :func:`split_ham`)."""
    both = pd.concat([isic_train, ham_train], ignore_index=True)
    return {"isic2018": (isic_train, mix), "ham10000": (ham_train, None), "isic2018+ham10000": (both, mix)}


def score_model(run: Path, tests: dict[str, pd.DataFrame], out: Path, tta: bool) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Summaries by diagnosis per test set, and the per-image scores the paired comparisons need;
    ``out/<test set>/report.html`` shows each scoring with its lowest-scoring images."""
    from dermkit.segment import Postprocessing, evaluate_masks, predict_masks
    from dermkit.segment.report import write_segmentation_report

    post = Postprocessing(**POST_VARIANTS["all"])
    summaries, per_image = {}, {}
    for name, table in tests.items():
        predicted = predict_masks(run, table, out / name, postprocessing=post, tta=tta, batch_size=16, progress=False)
        scores, summaries[name] = evaluate_masks(predicted, by=("diagnosis",))
        write_segmentation_report(scores, summaries[name], predicted, out / name, title=f"model {run.name} on {name}")
        per_image[name] = scores[["case_id", "diagnosis", "thresholded_jaccard"]]
    return summaries, per_image


def markdown(results: dict) -> str:
    """The overall table and the HAM10000 test half by diagnosis, each model against ``isic2018``."""
    sets, models = list(results["test_sets"]), list(results["models"])
    lines = ["# Segmentation with the test source's own masks", "", f"Command: `{results['command']}`", "",
             f"Every model: {results['settings']['arch']} / {results['settings']['encoder']} at {results['settings']['image_size']} px, "
             f"pre-processing {results['settings']['pre']}, post-processing all, {results['settings']['minutes']:g} CPU minutes"
             + (", scored with TTA" if results["settings"]["tta"] else "") + ". HAM10000 is split by lesion into "
             f"{results['ham_split']['train']} training and {results['ham_split']['test']} test images.", "",
             "Thresholded Jaccard with its 95% bootstrap interval over the images; difference: the mean per-image change "
             f"from {MODELS[0]} on the same images, with its paired 95% interval.", "",
             "| model | training images | images seen | " + " | ".join(f"{s} (n={results['test_sets'][s]})" for s in sets) + " | " + " | ".join(f"{s} difference" for s in sets) + " |",
             "|---|---|---|" + "---|" * (2 * len(sets))]
    for name in models:
        m = results["models"][name]
        diffs = [difference_cell(m["difference"][s]["all"]) if "difference" in m else "" for s in sets]
        lines.append(f"| {name} | {m['training']['n_train']} | {m['images_seen']} | " + " | ".join(with_ci(m["scores"][s]["overall"]) for s in sets) + " | " + " | ".join(diffs) + " |")
    ham = "ham10000_test"
    diagnoses = list(results["models"][MODELS[0]]["scores"][ham]["by"]["diagnosis"])
    lines += ["", f"## {ham} by diagnosis", "", "| diagnosis | n | " + " | ".join(models) + " | " + " | ".join(f"{m} difference" for m in models[1:]) + " |",
              "|---|---|" + "---|" * (2 * len(models) - 1)]
    for d in diagnoses:
        cells = [results["models"][m]["scores"][ham]["by"]["diagnosis"][d] for m in models]
        diffs = [difference_cell(results["models"][m]["difference"][ham][d]) for m in models[1:]]
        lines.append(f"| {d} | {cells[0]['n']} | " + " | ".join(map(with_ci, cells)) + " | " + " | ".join(diffs) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=HelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/segmentation_target_masks"), help="Output folder: results.json, results.md, the three models and their predictions.")
    add_training_arguments(parser)
    parser.add_argument("--minutes", type=float, default=20.0, help="Training budget of each of the three models.")
    parser.add_argument("--pre", default="hair_removal", choices=list(PRE_VARIANTS), help="Pre-processing of every model.")
    parser.add_argument("--ham-train", type=float, default=0.5, help="Share of the HAM10000 subset to train on (split by lesion); the rest is the test part.")
    parser.add_argument("--limit", type=int, default=None, help="Cap images per set (and 4x for ISIC 2018 training): smoke tests.")
    parser.add_argument("--tta", action="store_true", help="Score with test-time augmentation (8 flips/rotations per image).")
    args = parser.parse_args(argv)
    if not 0.0 < args.ham_train < 1.0:
        parser.error(f"--ham-train must lie strictly between 0 and 1, got {args.ham_train}")
    augment = checked_augment(parser, args.augment)
    warnings.simplefilter("ignore")

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    command = command_line(argv)
    isic_train, tests = load_sets(args.data, args.seed, args.limit)
    ham_train, ham_test = split_ham(tests["ham10000"], args.ham_train, args.seed)
    tests = {"ham10000_test": ham_test, "isic2018_heldout": tests["isic2018_heldout"]}
    mix = mixed_synthetic(args, out) if args.mix_synth else None
    results: dict = {
        "command": command,
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "ham_split": {"train": len(ham_train), "test": len(ham_test), "train_lesions": int(ham_train["lesion_id"].nunique())},
        "test_sets": {k: len(v) for k, v in tests.items()},
        "models": {},
    }
    per_image = {}
    for name, (cases, extra) in training_sets(isic_train, ham_train, mix).items():
        run = train(cases, out / "runs" / name, args.minutes, args, PRE_VARIANTS[args.pre], augment=augment, extra=extra)
        info = json.loads((run / "config.json").read_text())["training"]
        scores, per_image[name] = score_model(run, tests, out / "predictions" / name, args.tta)
        entry = {"training": info, "images_seen": info["steps_done"] * args.batch_size, "scores": scores}
        if name != MODELS[0]:
            entry["difference"] = paired_differences(per_image[MODELS[0]], per_image[name])
        results["models"][name] = entry
        print(f"[{name}] trained {info['seconds']:.0f}s: " + ", ".join(f"{s} {scores[s]['overall']['thresholded_jaccard']:.3f}" for s in tests), flush=True)
    return write_results(results, out, markdown)


if __name__ == "__main__":
    main()
