"""Speed of the synthetic generator: images per second at 256x256, 2 workers against 1.

Measures, in the same run: ``generate()`` end to end (plan, render, PNG writes of image and
masks, case table) with ``--workers`` processes and with one, and rendering alone in this
process. The machine may be shared, so the 1-minute load average is recorded before and after,
and the CPU seconds spent per image (all processes) give the rate 2 idle cores would sustain.

    nice -n 10 .venv/bin/python benchmarks/synth_speed.py --n 300
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def _cpu_seconds() -> float:
    t = os.times()  # this process and its reaped children (the worker pool)
    return t.user + t.system + t.children_user + t.children_system


def _generate_rate(preset: str, n: int, size: int, workers: int, seed: int) -> tuple[float, float]:
    """Images per wall-clock second, and CPU seconds spent per image (all processes)."""
    from dermkit.synth import generate

    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), _cpu_seconds()
        generate(preset, n=n, size=size, seed=seed, out_dir=tmp, workers=workers, progress=False)
        return n / (time.perf_counter() - t0), (_cpu_seconds() - c0) / n


def _render_rate(preset: str, n: int, size: int, seed: int) -> float:
    from dermkit.synth import CaseParams, plan_cases, render_case

    plan = plan_cases(preset, n=n, size=size, seed=seed)
    params = [CaseParams.from_json(p) for p in plan["synth_params"]]
    t0 = time.perf_counter()
    for p, s in zip(params, plan["render_seed"]):
        render_case(p, int(s))
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="balanced")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/synth_speed"))
    args = ap.parse_args()
    from dermkit.io import atomic_path, write_json

    load_before = os.getloadavg()[0]
    _render_rate(args.preset, 10, args.size, args.seed + 1)  # warm caches (ITA curves, imports)
    parallel, cpu_parallel = _generate_rate(args.preset, args.n, args.size, args.workers, args.seed)
    single, cpu_single = _generate_rate(args.preset, args.n, args.size, 1, args.seed)
    render = _render_rate(args.preset, args.n, args.size, args.seed)
    load_after = os.getloadavg()[0]
    result = {
        "preset": args.preset,
        "n": args.n,
        "size": args.size,
        "workers": args.workers,
        "cpu_count": os.cpu_count(),
        "images_per_s_parallel": round(parallel, 1),
        "images_per_s_single_process": round(single, 1),
        "speedup_vs_single": round(parallel / single, 2),
        "render_only_images_per_s_single": round(render, 1),
        "cpu_ms_per_image_parallel": round(1000 * cpu_parallel, 1),
        "cpu_ms_per_image_single": round(1000 * cpu_single, 1),
        # What 2 otherwise idle cores would sustain: CPU work per image is what contention cannot change.
        "estimated_images_per_s_on_2_idle_cores": round(2 / cpu_parallel, 1),
        "load_avg_1min_before": round(load_before, 2),
        "load_avg_1min_after": round(load_after, 2),
    }
    write_json(args.out / "result.json", result)
    md = "| measure | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in result.items()) + "\n"
    with atomic_path(args.out / "result.md") as tmp:
        tmp.write_text(md)
    print(md)


if __name__ == "__main__":
    main()
