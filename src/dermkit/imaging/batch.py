"""Imaging over whole case tables: parallel, with a progress bar, resumable.

:func:`measure_cases` adds the skin-tone columns (``ita``, ``skin_tone``, ``fitzpatrick_est``,
``tone_reliable``) to a case table; :func:`preprocess_cases` writes colour-corrected and/or
hair-free copies of the images and a new case table pointing at them. Both run in worker
processes (OpenCV limited to one thread each) and can be interrupted: tone results are appended
to a cache file as they come, preprocessed images are written atomically and skipped when they
already exist, so a second run only does the work that is left.

Example:
    >>> cases = load_cases("cases.parquet")  # doctest: +SKIP
    >>> toned = measure_cases(cases, workers=2, cache="tone_cache.jsonl")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from dermkit.checks import check_count
from dermkit.errors import ConfigError, DataError
from dermkit.io import file_identity, file_stems, read_image, read_mask, write_image
from dermkit.workers import init_worker

TONE_COLUMNS: tuple[str, ...] = ("ita", "skin_tone", "fitzpatrick_est", "tone_reliable")


def _parallel(fn: Callable[[Any], Any], jobs: list[Any], workers: int, label: str, progress: bool) -> Iterator[Any]:
    """Yield ``fn(job)`` in order, in ``workers`` processes, with a rich progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    if not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be a positive integer, got {workers!r}")
    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), disable=not progress)
    with bar:
        task = bar.add_task(label, total=len(jobs))
        if workers == 1 or len(jobs) <= 1:
            results: Iterable[Any] = map(fn, jobs)
            for r in results:
                bar.advance(task)
                yield r
            return
        # spawn, not fork: a forked child deadlocks on OpenCV/torch thread pools started by the parent.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context, initializer=init_worker) as pool:
            try:
                for r in pool.map(fn, jobs, chunksize=max(1, min(32, len(jobs) // (workers * 8)))):
                    bar.advance(task)
                    yield r
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise


def _path(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value) else str(value)


def _tone_job(job: tuple[str, str, str | None, str]) -> dict[str, Any]:
    from dermkit.imaging.skin_tone import measure_ita

    case_id, image_path, mask_path, method = job
    image = read_image(image_path)
    mask = read_mask(mask_path, image.shape[:2]) if mask_path else None
    est = measure_ita(image, mask, method=method)
    return {
        "case_id": case_id,
        "image_path": image_path,
        "mask_path": mask_path,
        "method": method,
        "ita": None if math.isnan(est.ita) else est.ita,
        "skin_tone": est.category,
        "fitzpatrick_est": est.fitzpatrick,
        "tone_reliable": est.reliable,
    }




def measure_cases(
    cases: pd.DataFrame,
    workers: int = 2,
    method: str = "median",
    use_masks: bool = True,
    cache: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Measure every case's skin tone; returns a copy of ``cases`` with :data:`TONE_COLUMNS` set.

    ``ita`` and ``skin_tone`` (the ITA category) replace any values already there;
    ``fitzpatrick_est`` is the Kinyanjui mapping (the table's own ``fitzpatrick`` is left alone).
    The lesion mask (``mask_path``) is used when present and ``use_masks``. Rows whose image is
    marked unavailable get missing values. With ``cache`` (a JSON-lines file) finished results
    are appended as they come and reused on the next run for rows whose paths, method and files
    (size and modification time) are unchanged.

    Example:
        >>> out = measure_cases(cases, workers=2)  # doctest: +SKIP
        >>> out[["ita", "skin_tone", "fitzpatrick_est", "tone_reliable"]].head()  # doctest: +SKIP
    """
    from dermkit.imaging.skin_tone import AGGREGATIONS

    if method not in AGGREGATIONS:
        raise ConfigError(f"unknown ITA aggregation {method!r}; known: {', '.join(AGGREGATIONS)}")
    cache_path = Path(cache) if cache is not None else None
    done = {row["case_id"]: row for row in _read_json_lines(cache_path)}
    available = cases["image_available"].fillna(True) if "image_available" in cases.columns else pd.Series(True, index=cases.index)
    jobs, results, identities = [], {}, {}
    for (_, row), ok in zip(cases.iterrows(), available):
        if not ok:
            continue
        job = (str(row["case_id"]), str(row["image_path"]), _path(row.get("mask_path")) if use_masks else None, method)
        hit = done.get(job[0])
        files = [file_identity(job[1]), file_identity(job[2])]
        if hit is not None and (hit["image_path"], hit["mask_path"], hit["method"]) == job[1:] and hit.get("files") == files:
            results[job[0]] = hit  # measured on these very files (images rewritten at the same paths were reused before)
        else:
            jobs.append(job)
            identities[job[0]] = files
    handle = cache_path.open("a") if cache_path is not None else None
    try:
        for row in _parallel(_tone_job, jobs, workers, "tone", progress):
            row["files"] = identities[row["case_id"]]
            results[row["case_id"]] = row
            if handle is not None:
                handle.write(json.dumps(row) + "\n")
                handle.flush()
    finally:
        if handle is not None:
            handle.close()
    out = cases.copy()
    ids = out["case_id"].astype(str)
    out["ita"] = pd.array([results[c]["ita"] if c in results else None for c in ids], dtype="Float64").astype("float64")
    out["skin_tone"] = pd.array([results[c]["skin_tone"] if c in results else None for c in ids], dtype="string")
    out["fitzpatrick_est"] = pd.array([results[c]["fitzpatrick_est"] if c in results else None for c in ids], dtype="Int64")
    out["tone_reliable"] = pd.array([results[c]["tone_reliable"] if c in results else None for c in ids], dtype="boolean")
    return out


DONE_LIST = ".preprocessed.jsonl"
"""In a pre-processing folder: one JSON line per image written (its name and the source file's
path and :func:`file_identity`), so that a resumed run reuses only images made from the same files."""


def _claim_folder(out: Path, settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Record ``settings`` in ``out/preprocessing.json`` and return the images an earlier run with
    the same settings finished (by file name, from :data:`DONE_LIST`); :class:`DataError` if an
    earlier run there used other settings."""
    from dermkit.io import write_json

    marker = out / "preprocessing.json"
    if marker.is_file():
        earlier = json.loads(marker.read_text())
        if earlier != settings:
            raise DataError(f"{out} holds images pre-processed with {earlier}, not {settings}; write to another folder (or delete it)")
    else:
        write_json(marker, settings)
    return {row["name"]: row for row in _read_json_lines(out / DONE_LIST)}


def _read_json_lines(path: Path | None) -> list[dict[str, Any]]:
    """The rows of a JSON-lines file written as results came (none if it is absent); a line cut
    short by an interruption is skipped."""
    if path is None or not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def _refuse_writing_over_the_input(cases: pd.DataFrame, out: Path) -> None:
    """:class:`ConfigError` if an input image lies in the folders pre-processing writes into (the
    originals would be overwritten, or counted as done and left unprocessed)."""
    targets = [(out / sub).resolve() for sub in ("images", "hair_masks")]
    for path in cases["image_path"].astype(str):
        source = Path(path).resolve()
        if any(source.is_relative_to(t) for t in targets):
            raise ConfigError(f"{out}: the input images are there ({path}); write the pre-processed copies to another folder")


def _preprocess_job(job: tuple[str, str, str, str | None, bool, str, bool]) -> dict[str, Any]:
    from dermkit.imaging.colour import colour_constancy
    from dermkit.imaging.hair import remove_hair

    case_id, image_path, out_dir, method, hair, name, finished = job
    image_out = Path(out_dir) / "images" / f"{name}.png"
    mask_out = Path(out_dir) / "hair_masks" / f"{name}.png"
    row: dict[str, Any] = {"case_id": case_id, "image_path": f"images/{name}.png", "name": name, "made": False}
    if finished and image_out.is_file() and (not hair or mask_out.is_file()):  # done by an earlier run, from this very file
        if hair:
            row["hair_fraction"] = float(read_mask(mask_out).mean())
        return row
    row["made"] = True
    image = read_image(image_path)
    if hair:
        image, mask = remove_hair(image)
        write_image(mask_out, mask)
        row["hair_fraction"] = float(mask.mean())
    if method is not None:
        image = colour_constancy(image, method)
    write_image(image_out, image)
    return row


def preprocess_cases(
    cases: pd.DataFrame,
    out_dir: str | os.PathLike[str],
    colour_constancy: str | None = "shades_of_gray",
    remove_hair: bool = False,
    workers: int = 2,
    progress: bool = True,
) -> pd.DataFrame:
    """Write processed copies of the images to ``out_dir/images`` and return the new case table.

    Hair removal (when asked) runs first, then colour constancy (a :data:`dermkit.imaging.colour.
    METHODS` name; on by default, unlike ``dermkit preprocess``; ``None`` turns it off). Hair masks go to ``out_dir/hair_masks`` and the share of hair
    pixels to a ``hair_fraction`` column. ``image_path`` values are relative to ``out_dir`` (save the
    table there); other paths are kept. Images an earlier run wrote from the same source files
    (path, size and modification time, listed in ``out_dir/.preprocessed.jsonl``) are skipped, so
    an interrupted run resumes; others are made again. ``out_dir/preprocessing.json`` records the
    settings, and a folder pre-processed with other settings is refused rather than mixed, as is a
    folder whose ``images/`` holds the input images themselves.

    Example:
        >>> new = preprocess_cases(cases, "clean", remove_hair=True)  # doctest: +SKIP
        >>> save_cases(new, "clean/cases.parquet")  # doctest: +SKIP
    """
    from dermkit.imaging.colour import METHODS

    if colour_constancy is not None and colour_constancy not in METHODS:
        raise ConfigError(f"unknown colour-constancy method {colour_constancy!r}; known: {', '.join(METHODS)}")
    if colour_constancy is None and not remove_hair:
        raise ConfigError("nothing to do: choose a colour-constancy method and/or hair removal")
    if "image_available" in cases.columns and not cases["image_available"].fillna(True).all():
        missing = cases.loc[~cases["image_available"].fillna(True).astype(bool), "case_id"].iloc[0]
        raise DataError(f"case {missing!r} has no image (image_available is False); drop such rows first")
    check_count("workers", workers, 1)  # before the folder is claimed
    out = Path(out_dir)
    _refuse_writing_over_the_input(cases, out)
    names = file_stems(cases["case_id"].astype(str), out)  # IDs that would collide as file names stop the run here
    finished = _claim_folder(out, {"colour_constancy": colour_constancy, "remove_hair": remove_hair})
    jobs, sources = [], {}
    for c, p, n in zip(cases["case_id"], cases["image_path"], names):
        sources[n] = {"name": n, "source": str(Path(p).resolve()), "file": file_identity(p)}
        earlier = finished.get(n)
        jobs.append((str(c), str(p), str(out), colour_constancy, remove_hair, n, earlier is not None and earlier == sources[n]))
    rows = {}
    with (out / DONE_LIST).open("a") as done:
        # An image about to be remade from another source no longer matches its earlier record:
        # void that record first, so a run stopped after overwriting the image cannot reuse it.
        for job in jobs:
            if not job[-1] and job[5] in finished:
                done.write(json.dumps({"name": job[5], "source": None}) + "\n")
        done.flush()
        for r in _parallel(_preprocess_job, jobs, workers, "preprocess", progress):
            rows[r["case_id"]] = r
            if r.pop("made"):
                done.write(json.dumps(sources[r["name"]]) + "\n")
                done.flush()
    new = cases.copy()
    ids = new["case_id"].astype(str)
    new["image_path"] = pd.array([rows[c]["image_path"] for c in ids], dtype="string")
    if remove_hair:
        new["hair_fraction"] = np.array([rows[c]["hair_fraction"] for c in ids], dtype=np.float64)
    new["preprocessing"] = "+".join(([] if not remove_hair else ["remove_hair"]) + ([] if colour_constancy is None else [colour_constancy]))
    return new
