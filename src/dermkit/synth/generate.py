"""Write a synthetic data set: images, lesion and artifact masks, and its case table.

``generate`` plans the cases (:func:`dermkit.synth.plan.plan_cases`), renders them in parallel
worker processes with a progress bar, and writes ``out_dir/images/<case_id>.png``,
``out_dir/masks/<case_id>.png`` (lesion), ``out_dir/masks/<case_id>_<artifact>.png`` and
``out_dir/cases.parquet`` (paths relative to ``out_dir``). Every file is written atomically, and
``images/`` and ``masks/`` are staged and swapped in whole (:func:`dermkit.io.atomic_folder`):
generating again into a folder replaces an earlier set's images and masks entirely (files the
new table does not name are gone too), and a run interrupted while rendering leaves the earlier
set as it was. The earlier case table is removed just before the swap and the new one written
after it, so a run stopped in between leaves no table rather than one naming the wrong images. A folder holding images, masks or a case table that ``generate`` did not write
(no ``synth_config.json``) is refused.

Example:
    >>> cases = generate("balanced", n=8, size=64, seed=0, out_dir=tmp_path, workers=1)  # doctest: +SKIP
    >>> cases[["diagnosis", "ita", "skin_tone", "split"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from dermkit.cases import load_cases, save_cases
from dermkit.errors import ConfigError, DataError
from dermkit.io import atomic_folder, write_image, write_json
from dermkit.synth.artifacts import MASKED_ARTIFACTS
from dermkit.synth.plan import plan_cases
from dermkit.synth.presets import Preset
from dermkit.synth.render import CaseParams, render_case
from dermkit.workers import ignore_interrupts

MASK_COLUMNS: tuple[str, ...] = tuple(f"{a}_mask_path" for a in MASKED_ARTIFACTS)
"""Case-table columns holding artifact masks (empty where the artifact is absent)."""


def _render_one(job: tuple[str, str, int, str, str]) -> dict[str, Any]:
    case_id, params_json, seed, image_dir, mask_dir = job
    rendered = render_case(CaseParams.from_json(params_json), seed)
    write_image(Path(image_dir) / f"{case_id}.png", rendered.image)
    write_image(Path(mask_dir) / f"{case_id}.png", rendered.mask)
    row: dict[str, Any] = {
        "lesion_area_fraction": float(rendered.mask.mean()),
        "colours": ";".join(rendered.colours),
        "structures": ";".join(rendered.structures),
    }
    for name in MASKED_ARTIFACTS:
        if name in rendered.artifact_masks:
            write_image(Path(mask_dir) / f"{case_id}_{name}.png", rendered.artifact_masks[name])
            row[f"{name}_mask_path"] = f"masks/{case_id}_{name}.png"
        else:
            row[f"{name}_mask_path"] = None
    return row


def _run(jobs: list[tuple[str, str, int, str, str]], workers: int, progress: bool) -> list[dict[str, Any]]:
    """Render every job (in ``workers`` processes when > 1) with a progress bar; rows in job order."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("synth"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), disable=not progress)
    results: list[dict[str, Any]] = []
    pool = ProcessPoolExecutor(max_workers=workers, initializer=ignore_interrupts) if workers > 1 else None
    with bar, (pool or contextlib.nullcontext()):
        task = bar.add_task("render", total=len(jobs))
        rows = pool.map(_render_one, jobs, chunksize=max(1, min(16, len(jobs) // (workers * 4)))) if pool else map(_render_one, jobs)
        try:
            for row in rows:
                results.append(row)
                bar.advance(task)
        except BaseException:  # Ctrl-C or a failing case: stop the workers; written files stay complete
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            raise
    return results


def generate(
    preset: str | Preset = "balanced",
    n: int = 100,
    size: int = 256,
    seed: int = 0,
    out_dir: str | os.PathLike[str] = "synth",
    workers: int = 2,
    progress: bool = True,
    **overrides: Any,
) -> pd.DataFrame:
    """Generate ``n`` synthetic cases into ``out_dir`` and return the case table (absolute paths).

    ``overrides`` change any preset field (see :func:`dermkit.synth.presets.get_preset`), e.g.
    ``hair_rate=0.0`` or ``class_weights={"melanoma": 1, "nevus": 1}``. The same arguments
    always give the same bytes.

    Example:
        >>> cases = generate("isic-like", n=20, size=128, seed=1, out_dir="synth_demo")  # doctest: +SKIP
    """
    if not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be a positive integer, got {workers!r}")
    plan = plan_cases(preset, n=n, size=size, seed=seed, **overrides)
    out = Path(out_dir)
    _check_output_folder(out)
    with atomic_folder(out / "images") as image_dir, atomic_folder(out / "masks") as mask_dir:  # an earlier set's files are replaced whole
        jobs = [(c, p, int(s), str(image_dir), str(mask_dir)) for c, p, s in zip(plan["case_id"], plan["synth_params"], plan["render_seed"])]
        rendered = pd.DataFrame(_run(jobs, min(workers, len(jobs)), progress), index=plan.index)
        (out / "cases.parquet").unlink(missing_ok=True)  # from here to the new table's writing, no table: never the old one over new images
    table = plan.assign(
        image_path=[f"images/{c}.png" for c in plan["case_id"]],
        mask_path=[f"masks/{c}.png" for c in plan["case_id"]],
        source_label=plan["diagnosis"],
        lesion_id=plan["case_id"],
        site="synthetic",
        modality="dermoscopic",
        image_available=True,
    )
    table = pd.concat([table, rendered], axis=1)
    for col in MASK_COLUMNS:
        table[col] = table[col].astype("string")
    front = ["case_id", "image_path", "mask_path", "diagnosis", "source_label", "patient_id", "lesion_id", "split", "ita", "skin_tone", "fitzpatrick", "artifacts"]
    table = table[front + [c for c in table.columns if c not in front]]
    preset_name = preset if isinstance(preset, str) else preset.name
    write_json(out / "synth_config.json", {"preset": preset_name, "n": n, "size": size, "seed": seed, "overrides": overrides})
    save_cases(table, out / "cases.parquet")
    return _absolute(load_cases(out / "cases.parquet"), out)


def _check_output_folder(out: Path) -> None:
    """:class:`DataError` when ``out`` holds images, masks or a case table that no earlier ``generate`` wrote
    (no ``synth_config.json``): they would be replaced. An earlier generated set is replaced whole."""
    if (out / "synth_config.json").is_file():
        return
    foreign = [name for name in ("images", "masks", "cases.parquet") if (out / name).exists()]
    if foreign:
        raise DataError(f"{out} already holds {foreign[0]} that dermkit synth did not write; choose a new or empty folder")


def _absolute(cases: pd.DataFrame, out: Path) -> pd.DataFrame:
    root = out.resolve()
    for col in MASK_COLUMNS:
        cases[col] = cases[col].map(lambda v: v if pd.isna(v) else str(root / v)).astype("string")
    return cases


def load_synth_cases(out_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Load a generated data set's case table with every path (images, lesion and artifact masks) absolute.

    Example:
        >>> cases = load_synth_cases("synth_demo")  # doctest: +SKIP
    """
    out = Path(out_dir)
    return _absolute(load_cases(out / "cases.parquet"), out)


def render_row(row: pd.Series | dict[str, Any], **changes: Any) -> Any:
    """Re-render a case from its case-table row, optionally with parameters changed.

    Example:
        >>> clean = render_row(cases.iloc[0], artifacts=())  # the same case without any artifact  # doctest: +SKIP
    """
    import dataclasses

    params = CaseParams.from_json(row["synth_params"])
    if changes:
        params = dataclasses.replace(params, **changes)
    return render_case(params, int(row["render_seed"]))


__all__ = ["generate", "load_synth_cases", "render_row", "MASK_COLUMNS"]
