"""Whether the ABCD features of synthetic lesions track the generator's shape parameters.

Each parameter is swept over ``--levels`` values from 0 to 1 with the others fixed (nevus,
``--size`` px, one orientation and seed per lesion): the generator's ``asymmetry`` against the
measured asymmetry index (``dermkit.explain.abcd.asymmetry``, mean of both axes), and its
``border_irregularity`` against the measured compactness (``border_indices``). It reports the
Spearman rank correlation of each pair (issue 8 asks for at least 0.7) and writes JSON + a table.

    .venv/bin/python benchmarks/abcd_tracking.py
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def sweep(levels: int = 16, size: int = 96) -> dict[str, dict[str, list[float] | float]]:
    """For ``asymmetry`` and ``border_irregularity``: the generator levels, the measured feature
    and their Spearman correlation."""
    from scipy.stats import spearmanr

    from dermkit.explain.abcd import asymmetry, border_indices
    from dermkit.synth import CaseParams, render_case

    values = np.linspace(0.0, 1.0, levels)
    measured = {
        "asymmetry": [float(np.mean(asymmetry(render_case(CaseParams("nevus", size=size, asymmetry=float(v), border_irregularity=0.1, orientation=float(i)), seed=i).mask)))
                      for i, v in enumerate(values)],
        "border_irregularity": [border_indices(render_case(CaseParams("nevus", size=size, asymmetry=0.1, border_irregularity=float(v), orientation=float(i)), seed=i).mask)["compactness"]
                                for i, v in enumerate(values)],
    }
    return {name: {"levels": values.tolist(), "measured": feature, "spearman": float(spearmanr(values, feature)[0])} for name, feature in measured.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--levels", type=int, default=16, help="lesions per parameter, its values spread evenly over 0-1")
    ap.add_argument("--size", type=int, default=96, help="image side in pixels")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/abcd_tracking"), help="output folder: result.json and result.md")
    args = ap.parse_args()
    from dermkit.io import atomic_path, write_json

    t0 = time.time()
    result = sweep(args.levels, args.size)
    features = {"asymmetry": "asymmetry index", "border_irregularity": "compactness"}
    write_json(args.out / "result.json", {"levels": args.levels, "size": args.size, "seconds": round(time.time() - t0, 1), "sweeps": result})
    md = "| generator parameter | measured feature | Spearman |\n|---|---|---|\n" + "".join(
        f"| {name} | {features[name]} | {r['spearman']:.3f} |\n" for name, r in result.items()
    )
    with atomic_path(args.out / "result.md") as tmp:
        tmp.write_text(md)
    print(md)


if __name__ == "__main__":
    main()
