"""Calibration of the synthetic generator against real ISIC 2018 dermoscopy, side by side.

For real ISIC 2018 Task 1 images with their expert masks (../shared/data/isic2018_task12_256)
and for images of a synthetic preset (default ``isic-like``) it measures, with the same code:
lesion area fraction; shape (asymmetry index, compactness, solidity from
``dermkit.explain.abcd``); colour (ABCD colour count, lesion L*/a*/b*, lesion-skin ΔE); and
the skin ITA (``dermkit.imaging.skin_tone.measure_ita`` outside the lesion) and the skin's
L*/a*/b*; and the edge profile: lightness against signed distance to the mask outline, as the
width of the 20-80% lesion-to-skin transition and the position of its 50% point (negative: inside
the mask). It prints the 10th/50th/90th percentiles of each, synthetic against real, and writes
JSON + a markdown table.

    nice -n 10 .venv/bin/python benchmarks/synth_calibration.py --n-real 500 --n-synth 500
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _data import SHARED_DATA

REAL = SHARED_DATA / "isic2018_task12_256"


def lesion_stats(image: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Area, shape, colour and skin-ITA statistics of one image and its lesion mask."""
    from skimage.color import rgb2lab

    from dermkit.explain.abcd import asymmetry, border_indices, colour_fractions
    from dermkit.imaging.skin_tone import measure_ita

    a_major, a_minor = asymmetry(mask)
    lab = rgb2lab(image)
    lesion = np.median(lab[mask], 0)
    ring = _ring(mask)
    skin = np.median(lab[ring], 0) if ring.any() else np.full(3, np.nan)
    colours = colour_fractions(image, mask)
    return {
        **edge_profile(lab[..., 0], mask),
        "skin_L": float(skin[0]),
        "skin_a": float(skin[1]),
        "skin_b": float(skin[2]),
        "area_fraction": float(mask.mean()),
        "asymmetry_index": (a_major + a_minor) / 2,
        **border_indices(mask),
        "n_colours": float(sum(v >= 0.05 for v in colours.values()) or 1),
        "lesion_L": float(lesion[0]),
        "lesion_a": float(lesion[1]),
        "lesion_b": float(lesion[2]),
        "lesion_L_std": float(lab[mask][:, 0].std()),
        "contrast_dE": float(np.linalg.norm(lesion - skin)),
        "skin_ita": float(measure_ita(image, mask).ita),
    }


EDGE_REACH = 16
"""Pixels either side of the outline over which the edge profile is taken (at 256 px)."""


def edge_profile(lightness: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Width (px) of the 20-80% lightness transition across the outline and the signed distance of its 50% point.

    The profile is the median L* in one-pixel bands of signed distance from the outline (negative
    inside), normalised from the lesion (innermost 4 bands) to the skin (outermost 4); crossings
    are interpolated. NaN when the lesion is too small or too faint (< 3 L*) for a profile.

    Example:
        >>> m = np.zeros((64, 64), bool); m[16:48, 16:48] = True
        >>> {k: round(v, 2) for k, v in edge_profile(np.where(m, 30.0, 70.0), m).items()}
        {'edge_width_px': 0.6, 'edge_half_px': 0.0}
    """
    import cv2

    m = mask.astype(np.uint8)
    signed = np.where(mask, 0.5 - cv2.distanceTransform(m, cv2.DIST_L2, 5), cv2.distanceTransform(1 - m, cv2.DIST_L2, 5) - 0.5)
    band = np.floor(signed).astype(int)
    bands = np.arange(-EDGE_REACH, EDGE_REACH)
    level = np.array([np.median(lightness[band == k]) if (band == k).sum() >= 10 else np.nan for k in bands])
    nan = {"edge_width_px": float("nan"), "edge_half_px": float("nan")}
    if np.isnan(level[:4]).all() or np.isnan(level[-4:]).all():
        return nan
    inner, outer = np.nanmean(level[:4]), np.nanmean(level[-4:])
    if outer - inner < 3:
        return nan
    p = (level - inner) / (outer - inner)
    centres = bands + 0.5

    def crossing(v: float) -> float:
        hit = np.flatnonzero(p >= v)
        if not len(hit) or hit[0] == 0 or np.isnan(p[hit[0] - 1]):
            return float("nan")
        i = hit[0]
        return float(centres[i - 1] + (v - p[i - 1]) / (p[i] - p[i - 1]))

    return {"edge_width_px": crossing(0.8) - crossing(0.2), "edge_half_px": crossing(0.5)}


def _ring(mask: np.ndarray) -> np.ndarray:
    import cv2

    k = np.ones((9, 9), np.uint8)
    outer = cv2.dilate(mask.astype(np.uint8), k, iterations=2).astype(bool)
    inner = cv2.dilate(mask.astype(np.uint8), k, iterations=1).astype(bool)
    return outer & ~inner


def _largest(mask: np.ndarray) -> np.ndarray:
    from skimage.measure import label

    lab = label(mask)
    if lab.max() <= 1:
        return mask
    return lab == (np.bincount(lab.ravel())[1:].argmax() + 1)


def real_stats(n: int, seed: int) -> pd.DataFrame:
    from dermkit.io import read_image, read_mask

    images = sorted((REAL / "images").glob("ISIC_*.jpg"))
    if not images:
        sys.exit(f"real data not found in {REAL}")
    pick = np.random.default_rng(seed).choice(len(images), size=min(n, len(images)), replace=False)
    rows = []
    for i in sorted(pick):
        img = read_image(images[i])
        mask = _largest(read_mask(REAL / "masks" / f"{images[i].stem}_segmentation.png", img.shape))
        if mask.sum() > 20 and not mask.all():
            rows.append(lesion_stats(img, mask))
    return pd.DataFrame(rows)


def synth_stats(preset: str, n: int, seed: int) -> pd.DataFrame:
    from dermkit.io import read_image, read_mask
    from dermkit.synth import generate

    with tempfile.TemporaryDirectory() as tmp:
        cases = generate(preset, n=n, size=256, seed=seed, out_dir=tmp, workers=2, progress=False)
        rows = []
        for _, row in cases.iterrows():
            img = read_image(row["image_path"])
            rows.append({**lesion_stats(img, _largest(read_mask(row["mask_path"], img.shape))), "true_ita": row["ita"]})
    return pd.DataFrame(rows)


def compare(real: pd.DataFrame, synth: pd.DataFrame) -> pd.DataFrame:
    """Percentiles (10/50/90) of each statistic, real against synthetic."""
    out = []
    for col in real.columns:
        r, s = real[col].dropna(), synth[col].dropna()
        out.append({"statistic": col, **{f"real_p{q}": float(np.percentile(r, q)) for q in (10, 50, 90)}, **{f"synth_p{q}": float(np.percentile(s, q)) for q in (10, 50, 90)}})
    return pd.DataFrame(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--preset", default="isic-like", help="generator preset compared with the real images")
    ap.add_argument("--n-real", type=int, default=500, help="real ISIC 2018 image/mask pairs measured (a seeded sample)")
    ap.add_argument("--n-synth", type=int, default=500, help="synthetic images generated and measured")
    ap.add_argument("--seed", type=int, default=0, help="seed of the real sample and of the generator")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/synth_calibration"), help="output folder: results.json and results.md")
    args = ap.parse_args()
    t0 = time.time()
    real = real_stats(args.n_real, args.seed)
    synth = synth_stats(args.preset, args.n_synth, args.seed)
    table = compare(real, synth)
    pd.set_option("display.width", 200)
    print(table.round(2).to_string(index=False))
    from dermkit.io import atomic_path, write_json

    result = {"preset": args.preset, "n_real": len(real), "n_synth": len(synth), "seconds": round(time.time() - t0, 1), "table": table.to_dict("records")}
    write_json(args.out / "result.json", result)
    md = ["| statistic | real p10 | real p50 | real p90 | synth p10 | synth p50 | synth p90 |", "|---|---|---|---|---|---|---|"]
    for r in table.itertuples(index=False):
        md.append(f"| {r.statistic} | {r.real_p10:.2f} | {r.real_p50:.2f} | {r.real_p90:.2f} | {r.synth_p10:.2f} | {r.synth_p50:.2f} | {r.synth_p90:.2f} |")
    with atomic_path(args.out / "result.md") as tmp:
        tmp.write_text(f"Synthetic `{args.preset}` (n={len(synth)}) against real ISIC 2018 (n={len(real)})\n\n" + "\n".join(md) + "\n")
    print(f"wrote {args.out}/result.json and result.md ({result['seconds']} s)")


if __name__ == "__main__":
    main()
