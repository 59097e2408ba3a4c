"""The true ITA recorded by the generator against the ITA measured on each image's skin pixels.

Skin pixels are those outside the lesion mask and every artifact mask; the measured ITA is the
median of ``dermkit.imaging.ita.ita_from_lab`` over their CIELAB values (``skimage.color.rgb2lab``).
Reports the mean absolute difference overall, by skin-tone group and by artifact (colour cast, a
global white-balance error without a mask, is the one expected to move it).

    nice -n 10 .venv/bin/python benchmarks/synth_ita.py --n 300
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd


def measured_ita(image: np.ndarray, excluded: np.ndarray) -> float:
    """Median per-pixel ITA of the pixels not in ``excluded``."""
    from skimage.color import rgb2lab

    from dermkit.imaging.ita import ita_from_lab

    lab = rgb2lab(image[~excluded])
    return float(np.median(ita_from_lab(lab[:, 0], lab[:, 2])))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--preset", default="balanced", help="generator preset")
    ap.add_argument("--n", type=int, default=300, help="synthetic images generated and measured")
    ap.add_argument("--size", type=int, default=256, help="image side in pixels")
    ap.add_argument("--seed", type=int, default=0, help="seed of the generator")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/synth_ita"), help="output folder: results.json and results.md")
    args = ap.parse_args()
    from dermkit.io import atomic_path, write_json
    from dermkit.synth import CaseParams, plan_cases, render_case

    t0 = time.time()
    plan = plan_cases(args.preset, n=args.n, size=args.size, seed=args.seed)
    errors = []
    for p, s in zip(plan["synth_params"], plan["render_seed"]):
        out = render_case(CaseParams.from_json(p), int(s))
        excluded = out.mask.copy()
        for m in out.artifact_masks.values():
            excluded |= m
        errors.append(measured_ita(out.image, excluded))
    plan["measured_ita"] = errors
    plan["abs_error"] = (plan["measured_ita"] - plan["ita"]).abs()
    rows = [("all", len(plan), plan["abs_error"].mean(), (plan["measured_ita"] - plan["ita"]).mean())]
    for tone, g in plan.groupby("skin_tone"):
        rows.append((f"tone={tone}", len(g), g["abs_error"].mean(), (g["measured_ita"] - g["ita"]).mean()))
    for art in ("colour_cast", "dark_corner", "blur", "hair"):
        has = plan["artifacts"].str.contains(art)
        rows.append((f"with {art}", int(has.sum()), plan.loc[has, "abs_error"].mean(), (plan.loc[has, "measured_ita"] - plan.loc[has, "ita"]).mean()))
    no_cast = ~plan["artifacts"].str.contains("colour_cast")
    rows.append(("without colour_cast", int(no_cast.sum()), plan.loc[no_cast, "abs_error"].mean(), (plan.loc[no_cast, "measured_ita"] - plan.loc[no_cast, "ita"]).mean()))
    table = pd.DataFrame(rows, columns=["group", "n", "mean_abs_error_deg", "mean_error_deg"])
    result = {"preset": args.preset, "n": args.n, "size": args.size, "seconds": round(time.time() - t0, 1), "table": table.to_dict("records")}
    write_json(args.out / "result.json", result)
    md = "| group | n | mean abs error (deg) | mean error (deg) |\n|---|---|---|---|\n" + "\n".join(
        f"| {r.group} | {r.n} | {r.mean_abs_error_deg:.2f} | {r.mean_error_deg:+.2f} |" for r in table.itertuples()
    ) + "\n"
    with atomic_path(args.out / "result.md") as tmp:
        tmp.write_text(md)
    print(md)


if __name__ == "__main__":
    main()
