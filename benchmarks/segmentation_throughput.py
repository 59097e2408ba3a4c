"""Inference throughput of ``dermkit.segment.predict_masks`` against a minimal hand-written smp loop.

Both run the same model (a U-Net over resnet18, random weights, or ``--run``) on the same ISIC
2018 images at the same input size and batch size, and do the same work per image: read the
JPEG, resize to the input size, normalise, forward, sigmoid, resize the probability back to the
image's size, threshold, write a {0,255} PNG. dermkit's post-processing is set to "threshold
only" for the ratio (the hand loop does no more); its default post-processing (largest
component + hole filling) is timed too. Repeats are interleaved, alternating which pipeline goes
first; on a shared machine the best (minimum) time of each pipeline is the least disturbed
estimate of its own cost (as ``timeit`` reports), so ratios use it; medians are reported too.

Example:
    python benchmarks/segmentation_throughput.py --out benchmarks/results/segmentation_throughput
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _data import SHARED_DATA

DEFAULT_DATA = SHARED_DATA / "isic2018_task12_256"


def hand_loop(model, paths: list[str], out: Path, size: int, batch_size: int) -> None:
    """The reference: what one writes by hand around an smp model."""
    import cv2
    import torch

    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1) * 255
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1) * 255
    with torch.inference_mode():
        for start in range(0, len(paths), batch_size):
            chunk = paths[start : start + batch_size]
            images = [cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB) for p in chunk]
            x = torch.from_numpy(np.stack([cv2.resize(im, (size, size)) for im in images])).permute(0, 3, 1, 2).float()
            probs = torch.sigmoid(model((x - mean) / std))[:, 0].numpy()
            for p, im, path in zip(probs, images, chunk):
                mask = cv2.resize(p, (im.shape[1], im.shape[0])) > 0.5
                cv2.imwrite(str(out / (Path(path).stem + ".png")), mask.astype(np.uint8) * 255)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/segmentation_throughput"), help="Output folder: results.json and results.md.")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Folder of the ISIC 2018 task 1 images that are segmented.")
    parser.add_argument("--run", type=Path, default=None, help="A trained run folder; without one, a random-weight U-Net/resnet18.")
    parser.add_argument("--n", type=int, default=128, help="Images per repeat.")
    parser.add_argument("--repeats", type=int, default=5, help="Interleaved timed repeats of each loop; the ratio uses each loop's fastest, and medians are reported too.")
    parser.add_argument("--image-size", type=int, default=128, help="Model input side in pixels.")
    parser.add_argument("--batch-size", type=int, default=8, help="Images per forward pass, in both loops.")
    parser.add_argument("--threads", type=int, default=None, help="torch threads; without it, torch's choice. 1 is steadier on a busy machine.")
    args = parser.parse_args(argv)
    import cv2
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    from dermkit.datasets import import_dataset
    from dermkit.io import write_json
    from dermkit.models.segmenter import create_segmenter, segmenter_config
    from dermkit.segment import Postprocessing, Segmenter, predict_masks

    torch.manual_seed(0)
    if args.run:
        seg = Segmenter.load(args.run)
    else:
        model = create_segmenter("unet", "resnet18")
        seg = Segmenter(model, segmenter_config("unet", "resnet18", input_size=args.image_size, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]))
    cases = import_dataset("isic", args.data).iloc[: args.n].reset_index(drop=True)
    paths = list(cases["image_path"])
    bare = Postprocessing(largest_component=False, fill_holes=False)
    times: dict[str, list[float]] = {"hand_loop": [], "dermkit_threshold_only": [], "dermkit_default_postprocessing": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "hand").mkdir()
        hand_loop(seg.model, paths[:8], root / "hand", seg.input_size, args.batch_size)  # warm-up
        jobs = {
            "hand_loop": lambda: hand_loop(seg.model, paths, root / "hand", seg.input_size, args.batch_size),
            "dermkit_threshold_only": lambda: predict_masks(seg, cases, root / "dk", postprocessing=bare, batch_size=args.batch_size, progress=False),
            "dermkit_default_postprocessing": lambda: predict_masks(seg, cases, root / "dk2", postprocessing=Postprocessing(), batch_size=args.batch_size, progress=False),
        }
        for r in range(args.repeats):
            for name in list(jobs) if r % 2 == 0 else list(jobs)[::-1]:
                t = time.perf_counter()
                jobs[name]()
                times[name].append(time.perf_counter() - t)
        same = np.mean([
            np.array_equal(cv2.imread(str(root / "hand" / f"{c}.png"), 0), cv2.imread(str(root / "dk" / "masks" / f"{c}.png"), 0))
            for c in cases["case_id"]
        ])
    ips = {k: args.n / min(v) for k, v in times.items()}
    ips_median = {k: args.n / statistics.median(v) for k, v in times.items()}
    result = {
        "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:])),
        "machine": {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(), "load_average_1_5_15": [round(v, 2) for v in os.getloadavg()]},
        "n_images": args.n, "repeats": args.repeats, "input_size": seg.input_size, "batch_size": args.batch_size,
        "seconds": times, "images_per_second": ips, "images_per_second_median": ips_median,
        "ratio_threshold_only_median": ips_median["dermkit_threshold_only"] / ips_median["hand_loop"],
        "ratio_threshold_only": ips["dermkit_threshold_only"] / ips["hand_loop"],
        "ratio_default_postprocessing": ips["dermkit_default_postprocessing"] / ips["hand_loop"],
        "identical_masks_fraction": float(same),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "results.json", result)
    md = ["# Segmentation inference throughput", "", f"Command: `{result['command']}`", "",
          f"{args.n} ISIC 2018 images (256 px wide), U-Net/resnet18 at {seg.input_size} px, batch {args.batch_size}, best of {args.repeats} interleaved repeats (median in brackets); "
          f"load average at the end {result['machine']['load_average_1_5_15']}.", "",
          "| pipeline | images/s | ratio to hand loop |", "|---|---|---|"]
    for k, v in ips.items():
        md.append(f"| {k} | {v:.1f} ({ips_median[k]:.1f}) | {v / ips['hand_loop']:.3f} ({ips_median[k] / ips_median['hand_loop']:.3f}) |")
    md += ["", f"Masks identical to the hand loop's (threshold only): {same:.1%}."]
    (args.out / "results.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return result


if __name__ == "__main__":
    main()
