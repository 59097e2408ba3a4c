"""Segmentation benchmark: pre/post-processing ablation on real ISIC 2018 task 1, other-source
tests, and the synthetic-to-real test.

* Training data: the ISIC 2018 task 1 training set (2,594 pairs at 256 px) in ``--data``. No
  patient ids are published for it, so the held-out part (15%) is split by image
  (:func:`dermkit.cases.split_cases`, which groups by patient when it can).
* Other-source tests: the ISIC 2017 validation/test pairs that are **not** in the 2018 set
  (the overlapping ones are dropped), and the HAM10000 256-px subset with masks.
* One training run per pre-processing setting (none, hair removal, shades-of-grey colour
  constancy, CLAHE), each with the same wall-time budget; every run is scored under each
  post-processing variant (threshold only, + each step, all). The run and post-processing with
  the best thresholded Jaccard on the ISIC 2018 held-out part (never on the other-source tests)
  is saved to ``OUT/run`` and scored per skin-tone group (ITA measured by dermkit.imaging),
  per diagnosis where the set has them, and per lesion size (the true mask's share of the image:
  HAM10000's lesions fill more of the frame than ISIC 2018's).
* Synthetic-to-real: a segmenter trained on ``dermkit.synth.generate`` images only, scored on
  its own held-out synthetic images and on the real ISIC 2018 images.
* ``--mix-synth N`` adds N synthetic images, all diagnoses equally often, to the real training
  set: the 1,904 ISIC 2018 task 1 images with published labels (ISIC 2017 part 3, ISIC 2019) are
  all nevi, melanomas or seborrheic keratoses, while HAM10000 also has basal cell carcinomas,
  actinic keratoses, vascular lesions and dermatofibromas. The best run
  is also scored per diagnosis, and its HAM10000 score is reweighted to HAM10000's own class mix.

``--minutes`` is the total training budget, split equally over the runs. Writes
``OUT/results.json`` and ``OUT/results.md``.

Example:
    python benchmarks/segmentation.py --out benchmarks/results/segmentation --minutes 60
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from _data import SHARED_DATA

PRE_VARIANTS = {
    "none": {},
    "hair_removal": {"hair_removal": True},
    "colour_constancy": {"colour_constancy": "shades_of_gray"},
    "clahe": {"clahe": True},
}
SMOOTH = 3.0  # disk radius in px at a 256-px short side
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6)  # probability thresholds of --threshold-sweep
SIZE_GROUPS = ((0.1, "under 10%"), (0.3, "10-30%"), (0.6, "30-60%"), (float("inf"), "60% or more"))  # the true lesion's share of the image
POST_VARIANTS = {
    "threshold only": dict(largest_component=False, fill_holes=False, smooth_radius=0.0),
    "+ largest component": dict(largest_component=True, fill_holes=False, smooth_radius=0.0),
    "+ hole filling": dict(largest_component=False, fill_holes=True, smooth_radius=0.0),
    "+ smoothing": dict(largest_component=False, fill_holes=False, smooth_radius=SMOOTH),
    "all": dict(largest_component=True, fill_holes=True, smooth_radius=SMOOTH),
}
BASELINE_POST = "threshold only"  # the post-processing variant the others are compared with, image by image


def load_sets(data: Path, seed: int, limit: int | None, eval_limit: int | None = None) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """ISIC 2018 train part, and the test sets: ISIC 2018 held-out, ISIC 2017 unseen, HAM10000.

    ``limit`` caps every set (training at 4x) for smoke runs; ``eval_limit`` caps only the test
    sets (a seeded random sample), to bound scoring time.
    """
    from dermkit.cases import split_cases
    from dermkit.datasets import import_dataset

    isic18 = split_cases(import_dataset("isic", data / "isic2018_task12_256"), (0.85, 0.15, 0.0), seed=seed, stratify=None)
    train = isic18[isic18["split"] == "train"].reset_index(drop=True)
    held = isic18[isic18["split"] == "val"].reset_index(drop=True)
    isic17 = pd.concat([import_dataset("isic", data / d) for d in ("isic2017_val_pairs", "isic2017_test_pairs_fullres")], ignore_index=True)
    isic17 = isic17[~isic17["case_id"].isin(isic18["case_id"])].drop_duplicates("case_id").reset_index(drop=True)
    ham = import_dataset("ham10000", data / "ham10000_256_subset")
    tests = {"isic2018_heldout": held, "isic2017_unseen": isic17, "ham10000": ham}
    if limit:
        train = train.sample(min(len(train), 4 * limit), random_state=seed).reset_index(drop=True)
    cap = min(x for x in (limit, eval_limit) if x) if (limit or eval_limit) else None
    if cap:
        tests = {k: v.sample(min(len(v), cap), random_state=seed).reset_index(drop=True) for k, v in tests.items()}
    return train.assign(split="train"), tests


def score(seg, cases: pd.DataFrame, variants: dict[str, dict], baseline: str | None = None) -> dict[str, dict]:
    """Mean Jaccard / thresholded Jaccard / Dice of every post-processing variant (one forward pass per image).

    With a ``baseline`` variant, every other variant also gets ``difference``: its mean per-image
    change in thresholded Jaccard from the baseline, with the paired 95% bootstrap interval.
    """
    from dermkit.evaluate.segmentation import ISIC2018_JACCARD_THRESHOLD, dice, jaccard
    from dermkit.io import read_image, read_mask
    from dermkit.segment import paired_differences, postprocess

    settings = {k: dataclasses.replace(seg.postprocessing, **v) for k, v in variants.items()}
    rows = {k: [] for k in variants}
    paths = list(zip(cases["image_path"], cases["mask_path"]))
    for start in range(0, len(paths), 16):
        chunk = paths[start : start + 16]
        images = [read_image(p) for p, _ in chunk]
        for prob, image, (_, mpath) in zip(seg.predict_proba(images), images, chunk):
            truth = read_mask(mpath, image.shape[:2])
            for k, s in settings.items():
                pred = postprocess(prob, s)
                rows[k].append((jaccard(pred, truth), dice(pred, truth)))
    arrays = {k: np.array(vals) for k, vals in rows.items()}  # per image: Jaccard, Dice
    thresholded = {k: pd.DataFrame({"case_id": range(len(arr)), "thresholded_jaccard": np.where(arr[:, 0] < ISIC2018_JACCARD_THRESHOLD, 0.0, arr[:, 0])})
                   for k, arr in arrays.items()}
    out = {}
    for k, arr in arrays.items():
        out[k] = {
            "n": len(arr),
            "thresholded_jaccard": float(thresholded[k]["thresholded_jaccard"].mean()),
            "jaccard": float(arr[:, 0].mean()),
            "dice": float(arr[:, 1].mean()),
        }
        if baseline is not None and k != baseline:
            out[k]["difference"] = paired_differences(thresholded[baseline], thresholded[k])["overall"]
    return out


def train(cases, out: Path, minutes: float, args, preprocessing=None, augment=None, extra=None) -> Path:
    from dermkit.segment import Preprocessing, train_segmenter

    return train_segmenter(
        cases, out, extra_train=extra, arch=args.arch, encoder=args.encoder, image_size=args.image_size, batch_size=args.batch_size,
        epochs=1000, max_minutes=minutes, max_steps=args.max_steps, lr=args.lr, lovasz_weight=args.lovasz_weight, boundary_weight=args.boundary_weight, augment=augment,
        precision=args.precision, channels_last=args.channels_last, ema=args.ema,
        preprocessing=Preprocessing(**(preprocessing or {})), num_workers=args.workers, seed=args.seed, overwrite=True, progress=False,
    )


def per_skin_tone(run: Path, toned: pd.DataFrame, out: Path, tta: bool = False, adapt_bn: bool = False) -> tuple[dict, pd.DataFrame]:
    """Predict and score ``toned`` (cases with measured skin tone) with the saved run, overall and by skin tone.

    Returns the summary and the per-image scores (``case_id``, ``diagnosis``, ``thresholded_jaccard``),
    which paired comparisons between two scorings of the same images need; ``out/report.html`` shows
    the scores and the lowest-scoring images with their outlines.
    """
    from dermkit.segment import evaluate_masks, predict_masks
    from dermkit.segment.report import write_segmentation_report

    table = predict_masks(run, toned, out, tta=tta, adapt_bn=adapt_bn, batch_size=16, progress=False)
    # an ITA flagged unreliable (too little skin, or a blue/grey cast) gets a group of its own
    table["tone_group"] = table["skin_tone"].astype(object).where(table["tone_reliable"].fillna(False).astype(bool), "unreliable")
    table["lesion_size"] = [lesion_size_group(p) for p in table["mask_path"]]
    per_image, summary = evaluate_masks(table, by=("tone_group", "diagnosis", "lesion_size"))
    write_segmentation_report(per_image, summary, table, out, title=f"{run.name}: {out.name}" + (" with TTA" if tta else "") + (" and AdaBN" if adapt_bn else ""))
    return summary, per_image[["case_id", "diagnosis", "thresholded_jaccard"]]


def lesion_size_group(mask_path: str) -> str:
    """The :data:`SIZE_GROUPS` name of the true lesion's share of the image (framing differs between sources)."""
    from dermkit.io import read_mask

    share = float(read_mask(mask_path).mean())
    return next(name for bound, name in SIZE_GROUPS if share < bound)


def mixed_synthetic(args, out: Path) -> pd.DataFrame:
    """``--mix-synth`` synthetic training images of ``--synth-preset`` with every diagnosis equally
    often: the labelled part of ISIC 2018 task 1 holds only nevi, melanomas and seborrheic
    keratoses, so the synthetic part fills in the lesion types it lacks (bcc, akiec, vasc, df)."""
    from dermkit.synth import generate
    from dermkit.synth.lesion import DIAGNOSIS_PATTERNS

    return generate(args.synth_preset, n=args.mix_synth, size=256, seed=args.seed + 1, out_dir=out / "mix_data", workers=1,
                    progress=False, class_weights={d: 1.0 for d in DIAGNOSIS_PATTERNS})


def score_best_run(out: Path, toned: dict[str, pd.DataFrame], tta: bool = False, adapt_bn: bool = False) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The saved ``OUT/run`` per test set by skin tone and diagnosis, and HAM10000 at its own class mix;
    with the per-image scores of each test set (see :func:`per_skin_tone`).

    The HAM10000 subset holds up to 150 images per class, so its mean over-weights the rare
    classes; reweighting to HAM10000's published counts gives the score at its own mix.
    ``tta`` predicts with test-time augmentation (the eight flips / rotations of each image);
    ``adapt_bn`` re-estimates the BatchNorm statistics on each test set's own images first (AdaBN).
    """
    from dermkit.datasets.ham10000 import CLASS_COUNTS

    folder = out / ("best_predictions" + ("_adapt_bn" if adapt_bn else "") + ("_tta" if tta else ""))
    scored = {name: per_skin_tone(out / "run", table, folder / name, tta, adapt_bn) for name, table in toned.items()}
    by_set = {name: summary for name, (summary, _) in scored.items()}
    result = {"by_skin_tone": by_set, "ham10000_at_ham_class_mix": prevalence_weighted(by_set["ham10000"], CLASS_COUNTS)}
    return result, {name: per_image for name, (_, per_image) in scored.items()}


def paired_differences(base: dict[str, pd.DataFrame], other: dict[str, pd.DataFrame]) -> dict:
    """Per test set, :func:`dermkit.segment.paired_differences` of the thresholded Jaccard from ``base``
    to ``other``, flattened to ``{"all": ..., <diagnosis>: ...}`` (each ``{"n", "difference", "ci"}``)."""
    from dermkit.segment import paired_differences as paired

    out = {}
    for name, b in base.items():
        diff = paired(b, other[name], by=("diagnosis",))
        out[name] = {"all": diff["overall"], **{g: d for g, d in diff["by"]["diagnosis"].items() if g != "<none>"}}
    return out


def rescore_best_run(results: dict, out: Path, tests: dict[str, pd.DataFrame], tta: bool, adapt_bn: bool, command: str) -> None:
    """Score the saved ``OUT/run`` into ``results["best"]`` (skin tones measured once), with TTA as well if
    ``tta``, and with the BatchNorm statistics adapted to each test set (and TTA) if ``adapt_bn``; each
    of those scorings also gets its paired difference from the scoring :data:`COMPARISONS` names."""
    from dermkit.imaging.batch import measure_cases

    toned = {name: measure_cases(table, workers=1, progress=False) for name, table in tests.items()}
    plain, per_image = score_best_run(out, toned)
    results["best"].update(plain)
    per_image_of = {None: per_image}
    for key, on in (("tta", tta), ("adapt_bn", adapt_bn), ("adapt_bn_tta", adapt_bn and tta)):
        if on:
            scored, per_image_of[key] = score_best_run(out, toned, tta=key.endswith("tta"), adapt_bn=key.startswith("adapt_bn"))
            difference = paired_differences(per_image_of[COMPARISONS[key][0]], per_image_of[key])
            results["best"][key] = {**scored, "difference": difference, "command": command}


def prevalence_weighted(summary: dict, counts: dict[str, int]) -> float:
    """Thresholded Jaccard of a per-diagnosis ``summary`` reweighted to the class ``counts``."""
    by = summary["by"]["diagnosis"]
    total = sum(counts[d] for d in by)
    return sum(by[d]["thresholded_jaccard"] * counts[d] for d in by) / total


def threshold_sweep(out: Path, tests: dict[str, pd.DataFrame], command: str) -> dict:
    """Thresholded Jaccard of the saved ``OUT/run`` at each of :data:`THRESHOLDS`, per test set.

    The run's other post-processing steps are kept. Which threshold is best on the ISIC 2018
    held-out part is the only choice the training data can make; the other sets show what that
    choice costs there.
    """
    from dermkit.segment import Segmenter

    seg = Segmenter.load(out / "run")
    variants = {f"{t:.1f}": {"threshold": t} for t in THRESHOLDS}
    by_set = {name: {k: v["thresholded_jaccard"] for k, v in score(seg, table, variants).items()} for name, table in tests.items()}
    return {"thresholded_jaccard": by_set, "command": command}


def threshold_lines(sweep: dict) -> list[str]:
    """Markdown table of a :func:`threshold_sweep`."""
    table = sweep["thresholded_jaccard"]
    thresholds = list(next(iter(table.values())))
    lines = ["", "## Best run by probability threshold (thresholded Jaccard; other post-processing as saved)", "",
             f"Command: `{sweep['command']}`", "",
             "| test set | " + " | ".join(thresholds) + " |", "|---|" + "---|" * len(thresholds)]
    lines += [f"| {name} | " + " | ".join(f"{by_t[t]:.3f}" for t in thresholds) + " |" for name, by_t in table.items()]
    return lines


def synth_to_real(args, out: Path, minutes: float, real: dict[str, pd.DataFrame], augment: dict) -> dict:
    """Train on synthetic images only (``augment``: the checked ``--synth-augment`` options) and score on synthetic and real sets."""
    from dermkit.segment import Segmenter
    from dermkit.synth import generate

    t0 = time.monotonic()
    cases = generate(args.synth_preset, n=args.synth_n, size=256, seed=args.seed, out_dir=out / "synth_data", workers=1, progress=False)
    gen_s = time.monotonic() - t0
    train_part = cases[cases["split"] != "test"].assign(split="train")
    run = train(train_part, out / "synth_run", minutes, args, augment=augment)
    seg = Segmenter.load(run)
    default = {"default": {}}
    result = {"generated": len(cases), "generation_seconds": round(gen_s, 1), "train_images": len(train_part), "preset": args.synth_preset, "minutes": minutes, "augment": augment or "default"}
    result["synthetic_heldout"] = score(seg, cases[cases["split"] == "test"], default)["default"]
    for name, table in real.items():
        result[f"real_{name}"] = score(seg, table, default)["default"]
    result["training"] = json.loads((run / "config.json").read_text())["training"]
    return result


def real_sets(train_cases: pd.DataFrame, tests: dict[str, pd.DataFrame], args) -> dict[str, pd.DataFrame]:
    """The real test sets of the synthetic-to-real run: all of ISIC 2018 (a sample under --limit/--eval-limit) and HAM10000."""
    real = pd.concat([train_cases, tests["isic2018_heldout"]], ignore_index=True)
    cap = args.eval_limit or args.limit
    real = real.sample(min(len(real), cap), random_state=args.seed) if cap else real
    return {"isic2018_all" if not cap else "isic2018_sample": real, "ham10000": tests["ham10000"]}


def markdown(results: dict) -> str:
    sets = list(results["test_sets"])
    lines = ["# Segmentation benchmark", "", f"Command: `{results['command']}`", "",
             f"Training: {results['settings']['arch']} / {results['settings']['encoder']} at {results['settings']['image_size']} px, batch {results['settings']['batch_size']}, "
             f"{results['settings'].get('precision', '32-true')} precision{', channels-last' if results['settings'].get('channels_last') else ''}"
             f"{', EMA of the weights (decay %g)' % results['settings']['ema'] if results['settings'].get('ema') else ''}, "
             f"augmentation `{results['settings'].get('augment') or 'default'}`, "
             f"loss Dice + BCE{' + %g x Lovász hinge' % results['settings']['lovasz_weight'] if results['settings'].get('lovasz_weight') else ''}"
             f"{' + %g x boundary loss' % results['settings']['boundary_weight'] if results['settings'].get('boundary_weight') else ''}, "
             f"{results['settings']['minutes_per_run']:.1f} CPU minutes per run on {results['settings']['n_train']} ISIC 2018 images"
             + (f" and {results['settings']['n_train_synthetic']} synthetic ones of all diagnoses" if results['settings'].get('n_train_synthetic') else "") + " "
             f"(training images seen per run: {', '.join(f'{k}: {v}' for k, v in results['images_seen'].items())}).", "",
             "## Thresholded Jaccard (ISIC 2018 score) by pre-processing run × post-processing", "",
             "| pre-processing | post-processing | " + " | ".join(f"{s} (n={results['test_sets'][s]})" for s in sets) + " |",
             "|---|---|" + "---|" * len(sets)]
    for pre, posts in results["ablation"].items():
        for post, by_set in posts.items():
            lines.append(f"| {pre} | {post} | " + " | ".join(f"{by_set[s]['thresholded_jaccard']:.3f}" for s in sets) + " |")
    differences = [(pre, post, by_set) for pre, posts in results["ablation"].items() for post, by_set in posts.items()
                   if all("difference" in m for m in by_set.values())]  # results before paired differences have none
    if differences:
        lines += ["", f"Each post-processing step against {BASELINE_POST} on the same images: mean per-image change in "
                  "thresholded Jaccard with its paired 95% bootstrap interval.", "",
                  "| pre-processing | post-processing | " + " | ".join(sets) + " |", "|---|---|" + "---|" * len(sets)]
        for pre, post, by_set in differences:
            cells = [by_set[s]["difference"] for s in sets]
            lines.append(f"| {pre} | {post} | " + " | ".join(map(difference_cell, cells)) + " |")
    best = results["best"]
    lines += ["", f"Best on the ISIC 2018 held-out part: pre-processing **{best['preprocessing']}**, post-processing **{best['postprocessing']}** (saved in `run/`).", ""]
    if "by_skin_tone" in best:
        lines += ["## Best run by measured skin tone (ITA category; `unreliable`: too little skin or a blue/grey cast, b* < 3)", "",
                  *(["In brackets: the 95% bootstrap interval over the test set's images (it leaves out the spread between training runs).", ""]
                    if "thresholded_jaccard_ci" in next(iter(best["by_skin_tone"].values()))["overall"] else []),
                  "| test set | group | n | thresholded Jaccard | Jaccard | Dice | HD95 median |", "|---|---|---|---|---|---|---|"]
        for s, summ in best["by_skin_tone"].items():
            for g, m in [("all", summ["overall"])] + list(summ["by"].get("tone_group", {}).items()):
                lines.append(f"| {s} | {g} | {m['n']} | {with_ci(m)} | {m['jaccard']:.3f} | {m['dice']:.3f} | {m['hd95_median']:.1f} |")
        by_diagnosis = [f"| {s} | {g} | {m['n']} | {m['thresholded_jaccard']:.3f} | {m['jaccard']:.3f} | {m['dice']:.3f} |"
                        for s, summ in best["by_skin_tone"].items() for g, m in summ["by"].get("diagnosis", {}).items()
                        if g != "<none>"]  # ISIC 2018 task 1 publishes no diagnoses
        if by_diagnosis:  # results of runs before the per-diagnosis scoring have none
            lines += ["", "## Best run by diagnosis", "", "| test set | diagnosis | n | thresholded Jaccard | Jaccard | Dice |", "|---|---|---|---|---|---|", *by_diagnosis]
        if any("lesion_size" in summ["by"] for summ in best["by_skin_tone"].values()):
            lines += ["", "## Best run by lesion size (the true mask's share of the image)", "", "| test set | lesion size | n | thresholded Jaccard | Jaccard | Dice |", "|---|---|---|---|---|---|"]
            for s, summ in best["by_skin_tone"].items():
                by_size = summ["by"].get("lesion_size", {})
                for _, g in SIZE_GROUPS:
                    if g in by_size:
                        m = by_size[g]
                        lines.append(f"| {s} | {g} | {m['n']} | {m['thresholded_jaccard']:.3f} | {m['jaccard']:.3f} | {m['dice']:.3f} |")
        if "ham10000_at_ham_class_mix" in best:
            lines += ["", f"The HAM10000 subset holds up to 150 images per class; reweighted to HAM10000's own class mix "
                      f"(two thirds nevi) its thresholded Jaccard is {best['ham10000_at_ham_class_mix']:.3f}."]
    for key in COMPARISONS:
        if key in best:
            lines += comparison_lines(best, key)
    if "threshold_sweep" in best:
        lines += threshold_lines(best["threshold_sweep"])
    if "synth_to_real" in results:
        sr = results["synth_to_real"]
        lines += ["", "## Synthetic-to-real", "", f"Trained on {sr['train_images']} synthetic `{sr.get('preset', results['settings']['synth_preset'])}` images only "
                  f"({sr.get('minutes', results['settings']['minutes_per_run']):.1f} min, augmentation: `{json.dumps(sr.get('augment', 'default'))}`).", "",
                  "| test set | n | thresholded Jaccard | Jaccard | Dice |", "|---|---|---|---|---|"]
        for k, m in sr.items():
            if isinstance(m, dict) and "thresholded_jaccard" in m:
                lines.append(f"| {k} | {m['n']} | {m['thresholded_jaccard']:.3f} | {m['jaccard']:.3f} | {m['dice']:.3f} |")
        if "command" in sr:
            lines += ["", f"Command: `{sr['command']}`"]
    return "\n".join(lines) + "\n"


COMPARISONS = {  # key in results["best"]: (what it is compared with, the title of its table, its column label)
    "tta": (None, "test-time augmentation (mean of the 8 flips / rotations of each image)", "TTA"),
    "adapt_bn": (None, "BatchNorm statistics adapted to each test set's images (AdaBN, no labels)", "AdaBN"),
    "adapt_bn_tta": ("tta", "BatchNorm statistics adapted and test-time augmentation, against TTA alone", "AdaBN + TTA"),
}


def bracketed(ci: tuple[float, float] | list[float], spec: str) -> str:
    """`` [lo, hi]`` in the format ``spec``, or nothing where there is no interval (nan: a single image)."""
    lo, hi = ci
    return f" [{lo:{spec}}, {hi:{spec}}]" if lo == lo else ""


def with_ci(summary: dict) -> str:
    """A summary's thresholded Jaccard, followed by its 95% interval in brackets where it has one."""
    return f"{summary['thresholded_jaccard']:.3f}" + bracketed(summary.get("thresholded_jaccard_ci", (float("nan"),) * 2), ".2f")


def difference_cell(difference: dict) -> str:
    """A paired difference ``{"difference": d, "ci": [lo, hi]}`` as ``+d [+lo, +hi]`` (``+d`` alone for a single image)."""
    return f"{difference['difference']:+.3f}" + bracketed(difference["ci"], "+.3f")


def comparison_lines(best: dict, key: str) -> list[str]:
    """Markdown comparing the best run's scores with those of its ``key`` scoring (see :data:`COMPARISONS`),
    with the paired difference and its 95% interval where the scoring recorded them."""
    base_key, title, label = COMPARISONS[key]
    base = best[base_key] if base_key else best
    plain, other = base["by_skin_tone"], best[key]["by_skin_tone"]
    difference = best[key].get("difference")  # absent from results scored before paired differences
    lines = ["", f"## Best run with {title}", "", f"Command: `{best[key]['command']}`", "",
             f"| test set | group | n | thresholded Jaccard | with {label} |" + (" difference [95% CI] |" if difference else "") + f" Dice | with {label} |",
             "|---|---|---|---|---|" + ("---|" if difference else "") + "---|---|"]
    for s, summ in other.items():
        groups = [("all", summ["overall"], plain[s]["overall"])]
        groups += [(g, m, plain[s]["by"]["diagnosis"][g]) for g, m in summ["by"].get("diagnosis", {}).items() if g != "<none>"]
        for g, m, p in groups:
            cell = f" {difference_cell(difference[s][g])} |" if difference else ""
            lines.append(f"| {s} | {g} | {m['n']} | {p['thresholded_jaccard']:.3f} | {m['thresholded_jaccard']:.3f} |{cell} {p['dice']:.3f} | {m['dice']:.3f} |")
    lines += ["", f"HAM10000 at its own class mix: {base['ham10000_at_ham_class_mix']:.3f} without, {best[key]['ham10000_at_ham_class_mix']:.3f} with {label}."]
    if difference:
        lines += ["", "Difference: the mean per-image change in thresholded Jaccard, with its paired 95% bootstrap interval over the images."]
    return lines


def write_results(results: dict, out: Path, render: Callable[[dict], str] = markdown) -> dict:
    """Write ``OUT/results.json`` and ``OUT/results.md`` (the table ``render`` makes), print the table, return ``results``."""
    from dermkit.io import atomic_path, write_json

    write_json(out / "results.json", results)
    with atomic_path(out / "results.md") as tmp:
        tmp.write_text(render(results))
    print((out / "results.md").read_text())
    return results


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """``--help`` keeps the description's line breaks and shows each option's default."""


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of how each model is trained and on what data (shared with segmentation_target_masks.py)."""
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="Folder holding the shared data sets (isic2018_task12_256, ham10000, isic2017_*).")
    parser.add_argument("--arch", default="unet", help="Segmentation architecture (create_segmenter: unet, unetplusplus, deeplabv3plus, fpn, manet).")
    parser.add_argument("--encoder", default="resnet18", help="Encoder: an smp name (resnet18, efficientnet-b0) or a timm one with the tu- prefix (tu-mobilenetv3_large_100).")
    parser.add_argument("--image-size", type=int, default=128, help="Side in pixels the images are resized to for training and prediction (masks are written at each image's own size).")
    parser.add_argument("--batch-size", type=int, default=8, help="Training images per optimiser step.")
    parser.add_argument("--lr", type=float, default=1e-3, help="Peak AdamW learning rate of every run (5%% warm-up, then cosine decay over its time budget).")
    parser.add_argument("--lovasz-weight", type=float, default=0.0, help="Weight of the per-image Lovász hinge added to Dice + BCE in every run (0: off).")
    parser.add_argument("--boundary-weight", type=float, default=0.0, help="Weight of the boundary loss (Kervadec et al.) added to Dice + BCE in every run (0: off).")
    parser.add_argument("--precision", default="32-true", help="Lightning precision of every run: bf16-mixed trains faster on CPUs with bf16 units (benchmarks/segmentation_train_speed.py).")
    parser.add_argument("--channels-last", action="store_true", help="Channels-last weights and batches (faster convolutions).")
    parser.add_argument("--ema", type=float, default=0.0, help="EMA decay of the weights in every run (e.g. 0.999; 0: off): the saved model is the average.")
    parser.add_argument("--max-steps", type=int, default=-1, help="Cap on optimiser steps per run (smoke tests).")
    parser.add_argument("--workers", type=int, default=0, help="Data-loader worker processes (0: load in the training process).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the splits, the synthetic images and training.")
    parser.add_argument("--synth-preset", default="isic-like", help="Generator preset of the synthetic images (dermkit synth --help lists them).")
    parser.add_argument("--mix-synth", type=int, default=0, help="Add this many synthetic images (--synth-preset, all diagnoses equally often) to the real ISIC 2018 training set of every run.")
    parser.add_argument("--augment", default=None, help="Augmentation options (YAML mapping for create_transform) of the runs on real images, e.g. '{scale: [0.25, 1.0]}' for zooms up to 2x.")


def checked_augment(parser: argparse.ArgumentParser, text: str | None) -> dict:
    """Augmentation options given as YAML, checked as training would check them; a bad one stops the
    benchmark with a usage error before anything is written."""
    from dermkit.datasets.transforms import check_augment
    from dermkit.errors import ConfigError

    try:
        return check_augment(text)
    except ConfigError as exc:
        parser.error(str(exc))


def command_line(argv: list[str] | None) -> str:
    """The command as given: the script's file name and its arguments (``argv``, else the process's)."""
    return " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:]))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=HelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/segmentation"), help="Output folder: results.json, results.md, the runs, and the best run in OUT/run.")
    add_training_arguments(parser)
    parser.add_argument("--minutes", type=float, default=60.0, help="Total training budget, split equally over the runs.")
    parser.add_argument("--pre", nargs="*", default=list(PRE_VARIANTS), choices=list(PRE_VARIANTS), help="Pre-processing runs to train.")
    parser.add_argument("--no-synth", action="store_true", help="Skip the synthetic-to-real run.")
    parser.add_argument("--synth-n", type=int, default=600, help="Synthetic images generated for the synthetic-to-real run (its test split is held out).")
    parser.add_argument("--limit", type=int, default=None, help="Cap images per test set (and 4x for training): smoke tests.")
    parser.add_argument("--eval-limit", type=int, default=None, help="Cap images per test set (seeded sample), to bound scoring time.")
    parser.add_argument("--synth-augment", default=None, help="Augmentation options (YAML mapping for create_transform) of the synthetic-to-real run, e.g. '{color_jitter: [0.4, 0.4, 0.4, 0.1]}'.")
    only = parser.add_mutually_exclusive_group()  # modes that redo one part of a saved benchmark
    only.add_argument("--synth-only", action="store_true", help="Only redo the synthetic-to-real run, with all of --minutes (OUT/results.json must exist).")
    only.add_argument("--rescore-only", "--skin-tone-only", action="store_true", help="Only redo the scoring of the saved OUT/run by skin tone and diagnosis, and at HAM10000's class mix (OUT/results.json must exist); with --tta and --adapt-bn, also those scorings. --skin-tone-only is its older name.")
    only.add_argument("--threshold-sweep", action="store_true", help=f"Only score the saved OUT/run at the probability thresholds {', '.join(map(str, THRESHOLDS))} on every test set (OUT/results.json must exist).")
    parser.add_argument("--tta", action="store_true", help="Also score the best run with test-time augmentation (8 flips/rotations per image; 8x the inference time).")
    parser.add_argument("--adapt-bn", action="store_true", help="Also score the best run with its BatchNorm statistics re-estimated on each test set's images (AdaBN; no labels), and with TTA too under --tta.")
    args = parser.parse_args(argv)
    saved: dict = {}  # OUT/results.json of an earlier full run, which the rescoring modes extend
    if args.rescore_only or args.synth_only or args.threshold_sweep:
        if not (args.out / "results.json").is_file():
            parser.error(f"{args.out / 'results.json'} not found: run the full benchmark into --out first")
        saved = json.loads((args.out / "results.json").read_text())
        if (args.rescore_only or args.threshold_sweep) and ("best" not in saved or not (args.out / "run").is_dir()):
            parser.error(f"{args.out} holds no best run yet (the benchmark into it stopped before scoring): run it again to the end")
    augment, synth_augment = checked_augment(parser, args.augment), checked_augment(parser, args.synth_augment)
    warnings.simplefilter("ignore")
    import torch

    from dermkit.io import write_json
    from dermkit.models.segmenter import load_segmenter, save_segmenter
    from dermkit.segment import Postprocessing, Segmenter

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    command = command_line(argv)
    train_cases, tests = load_sets(args.data, args.seed, args.limit, args.eval_limit)
    if args.rescore_only:
        rescore_best_run(saved, out, tests, args.tta, args.adapt_bn, command)
        return write_results(saved, out)
    if args.threshold_sweep:
        saved["best"]["threshold_sweep"] = threshold_sweep(out, tests, command)
        return write_results(saved, out)
    if args.synth_only:
        saved["synth_to_real"] = synth_to_real(args, out, args.minutes, real_sets(train_cases, tests, args), synth_augment)
        saved["synth_to_real"]["command"] = command
        return write_results(saved, out)
    mix = mixed_synthetic(args, out) if args.mix_synth else None
    n_runs = len(args.pre) + (0 if args.no_synth else 1)
    minutes = args.minutes / n_runs
    results: dict = {
        "command": command,
        "settings": {**{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}, "minutes_per_run": minutes, "n_train": len(train_cases), "n_train_synthetic": 0 if mix is None else len(mix), "torch_threads": torch.get_num_threads()},
        "test_sets": {k: len(v) for k, v in tests.items()},
        "ablation": {}, "images_seen": {}, "training": {},
    }
    best = ((-1.0, -1.0), None, None)  # (thresholded Jaccard, Jaccard) on the ISIC 2018 held-out part
    for pre in args.pre:
        t0 = time.monotonic()
        run = train(train_cases, out / "runs" / pre, minutes, args, PRE_VARIANTS[pre], augment=augment, extra=mix)
        info = json.loads((run / "config.json").read_text())["training"]
        results["training"][pre] = info
        results["images_seen"][pre] = info["steps_done"] * args.batch_size
        seg = Segmenter.load(run)
        results["ablation"][pre] = {}
        per_set = {name: score(seg, table, POST_VARIANTS, baseline=BASELINE_POST) for name, table in tests.items()}
        for post in POST_VARIANTS:
            results["ablation"][pre][post] = {name: per_set[name][post] for name in tests}
            held = per_set["isic2018_heldout"][post]
            if (held["thresholded_jaccard"], held["jaccard"]) > best[0]:
                best = ((held["thresholded_jaccard"], held["jaccard"]), pre, post)
        results["training"][pre]["wall_seconds_incl_scoring"] = round(time.monotonic() - t0, 1)
        write_json(out / "results.json", results)
        print(f"[{pre}] trained {info['seconds']:.0f}s, isic2018_heldout tJ: " + ", ".join(f"{p}={per_set['isic2018_heldout'][p]['thresholded_jaccard']:.3f}" for p in POST_VARIANTS), flush=True)

    _, pre, post = best
    model, config = load_segmenter(out / "runs" / pre)
    config["postprocessing"] = dataclasses.replace(Postprocessing.from_dict(config["postprocessing"]), **POST_VARIANTS[post]).to_dict()
    if (out / "run").exists():
        shutil.rmtree(out / "run")
    save_segmenter(model, config, out / "run")
    results["best"] = {"preprocessing": pre, "postprocessing": post, "isic2018_heldout_thresholded_jaccard": best[0][0]}
    rescore_best_run(results, out, tests, args.tta, args.adapt_bn, command)
    write_json(out / "results.json", results)
    if not args.no_synth:
        results["synth_to_real"] = synth_to_real(args, out, minutes, real_sets(train_cases, tests, args), synth_augment)
    return write_results(results, out)


if __name__ == "__main__":
    main()
