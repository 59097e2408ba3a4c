"""generate(): files on disk, a valid case table with relative paths, same seed same bytes, the CLI."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dermkit.cases import load_cases
from dermkit.io import read_image, read_mask
from dermkit.synth import MASK_COLUMNS, generate, load_synth_cases, render_row

CONTRACT_COLUMNS = [
    "case_id", "image_path", "mask_path", "diagnosis", "ita", "skin_tone", "fitzpatrick", "artifacts",
    "patient_id", "split", "hair_mask_path", "asymmetry", "border_irregularity", "ugly_duckling",
]


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    cases = generate("balanced", n=21, size=64, seed=4, out_dir=out, workers=2, progress=False, hair_rate=0.5)
    return out, cases


def test_outputs_and_case_table(small_set):
    out, cases = small_set
    raw = pd.read_parquet(out / "cases.parquet")
    assert all(c in raw.columns for c in CONTRACT_COLUMNS + list(MASK_COLUMNS))
    assert not raw["image_path"].str.startswith("/").any()  # stored relative to the folder
    assert (load_cases(out / "cases.parquet")["image_path"] == cases["image_path"]).all()
    assert len(list((out / "images").glob("*.png"))) == 21
    assert not list(out.rglob("*.tmp*"))
    for _, row in cases.iterrows():
        img = read_image(row["image_path"])
        mask = read_mask(row["mask_path"], img.shape)
        assert img.shape == (64, 64, 3) and abs(mask.mean() - row["lesion_area_fraction"]) < 1e-9
        arts = set(str(row["artifacts"]).split(";")) if pd.notna(row["artifacts"]) else set()
        assert pd.notna(row["hair_mask_path"]) == ("hair" in arts)
    assert cases.groupby("patient_id")["split"].nunique().max() == 1


def test_same_seed_same_bytes_in_parallel_and_serial(small_set, tmp_path):
    out, _ = small_set
    again = generate("balanced", n=21, size=64, seed=4, out_dir=tmp_path / "b", workers=1, progress=False, hair_rate=0.5)
    for p in sorted((out / "images").glob("*.png")) + sorted((out / "masks").glob("*.png")):
        assert p.read_bytes() == (tmp_path / "b" / p.parent.name / p.name).read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(out / "cases.parquet"), pd.read_parquet(tmp_path / "b" / "cases.parquet"))
    other = generate("balanced", n=21, size=64, seed=5, out_dir=tmp_path / "c", workers=1, progress=False)
    assert (out / "images" / "SYN_000000.png").read_bytes() != (tmp_path / "c" / "images" / "SYN_000000.png").read_bytes()
    assert not other["ita"].equals(again["ita"])


def test_render_row_reproduces_a_stored_image_and_removes_artifacts(small_set):
    out, _ = small_set
    cases = load_synth_cases(out)
    row = cases[cases["artifacts"].fillna("").str.contains("hair")].iloc[0]
    again = render_row(row)
    assert (again.image == read_image(row["image_path"])).all()
    assert (read_mask(row["hair_mask_path"]) == again.artifact_masks["hair"]).all()
    clean = render_row(row, artifacts=())
    assert not clean.artifact_masks and (clean.mask == again.mask).all()


def test_cli_writes_data_preview_and_reports_errors_on_one_line(tmp_path):
    cmd = [sys.executable, "-m", "dermkit.cli", "synth", "--preset", "isic-like", "-n", "6", "--size", "48", "--seed", "2", "-o", str(tmp_path / "s"), "--preview", str(tmp_path / "sheet.png"), "--workers", "1", "--set", "ruler_rate=1.0"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    cases = pd.read_parquet(tmp_path / "s" / "cases.parquet")
    assert len(cases) == 6 and cases["artifacts"].str.contains("ruler").all()
    assert read_image(tmp_path / "sheet.png").shape[1] == 6 * 192
    # every bad parameter is a ConfigError (tests/synth/test_synth_presets.py); the CLI prints one line
    res = subprocess.run([sys.executable, "-m", "dermkit.cli", "synth", "-o", str(tmp_path / "bad"), "--set", "hair_rate=2"], capture_output=True, text=True)
    assert res.returncode == 1 and res.stderr.strip().count("\n") == 0 and "hair_rate" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "bad").exists()
    res = subprocess.run([*cmd[:3], "synth", "-n", "2", "-o", str(tmp_path / "bad"), "--set", "n=3"], capture_output=True, text=True)
    assert res.returncode == 1 and "n given both as a flag and with --set" in res.stderr and "Traceback" not in res.stderr  # "multiple values" TypeError
    for preview, message in ((tmp_path / "sheet.txt", "sheet.txt: images are written as .png"), (tmp_path, "is a folder; give an image file name")):
        res = subprocess.run([*cmd[:3], "synth", "-n", "2", "--size", "48", "-o", str(tmp_path / "p"), "--preview", str(preview)], capture_output=True, text=True)
        assert res.returncode == 1 and message in res.stderr and "Traceback" not in res.stderr, res.stderr  # a traceback once every image was rendered
        assert not (tmp_path / "p").exists()


def test_generating_again_into_a_folder_replaces_the_earlier_set_whole(tmp_path):
    from dermkit.errors import DataError

    generate("balanced", n=4, size=64, seed=0, out_dir=tmp_path / "s", workers=1, progress=False)
    cases = generate("balanced", n=2, size=64, seed=5, out_dir=tmp_path / "s", workers=1, progress=False)
    assert sorted(p.name for p in (tmp_path / "s" / "images").iterdir()) == sorted(f"{c}.png" for c in cases["case_id"])  # no image of the 4-case set left
    assert len(load_cases(tmp_path / "s" / "cases.parquet")) == 2
    (tmp_path / "mine" / "images").mkdir(parents=True)
    (tmp_path / "mine" / "images" / "holiday.jpg").write_bytes(b"a user's photo")
    with pytest.raises(DataError, match="already holds images that dermkit synth did not write"):
        generate("balanced", n=2, size=64, out_dir=tmp_path / "mine", workers=1, progress=False)
    assert (tmp_path / "mine" / "images" / "holiday.jpg").read_bytes() == b"a user's photo"


def test_a_run_stopped_while_swapping_in_its_folders_leaves_no_table_naming_the_wrong_images(tmp_path, monkeypatch):
    import os

    import dermkit.io

    generate("balanced", n=4, size=64, seed=0, out_dir=tmp_path / "s", workers=1, progress=False)
    old_images = {p.name: p.read_bytes() for p in (tmp_path / "s" / "images").iterdir()}
    real_replace = os.replace

    def fail_on_images(src, dst):
        if os.path.basename(dst) == "images" and src.name.endswith(".tmp"):  # the staged images/, swapped in after masks/
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(dermkit.io.os, "replace", fail_on_images)
    with pytest.raises(KeyboardInterrupt):
        generate("balanced", n=2, size=64, seed=5, out_dir=tmp_path / "s", workers=1, progress=False)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in (tmp_path / "s" / "images").iterdir()} == old_images  # put back, not left missing
    assert not (tmp_path / "s" / "cases.parquet").exists()  # the old table would name masks replaced by the new set's
    assert not list((tmp_path / "s").glob(".*.tmp*"))  # no staging folder left
    cases = generate("balanced", n=2, size=64, seed=5, out_dir=tmp_path / "s", workers=1, progress=False)  # a rerun mends it
    assert len(load_cases(tmp_path / "s" / "cases.parquet")) == len(cases) == 2


def test_forked_workers_start_after_opencv_has_started_its_threads(tmp_path):
    """generate's workers are forked: a worker start-up that touched OpenCV deadlocked once the
    parent had used OpenCV's thread pool (as a test process or a notebook has)."""
    script = (
        "import cv2, numpy as np, sys\n"
        "cv2.GaussianBlur(np.random.rand(1500, 1500).astype(np.float32), (31, 31), 5)\n"
        "from dermkit.synth import generate\n"
        "print(len(generate('balanced', n=8, size=48, seed=0, out_dir=sys.argv[1], workers=2, progress=False)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "s")], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0 and done.stdout.strip() == "8", done.stderr
