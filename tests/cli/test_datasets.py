"""``dermkit datasets import`` as a user runs it: bad input is one line, exit 1, and no output file."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dermkit.io import write_image


def run(*args):
    return subprocess.run([sys.executable, "-m", "dermkit.cli", *map(str, args)], capture_output=True, text=True)


def _fails_cleanly(res, out, *words):
    assert res.returncode == 1, res.stdout + res.stderr
    err = res.stderr.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    for w in words:
        assert w in err, err
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}")]  # no temp leftovers


def test_bad_inputs(tmp_path):
    out = tmp_path / "out" / "c.parquet"
    out.parent.mkdir()
    src = tmp_path / "src"
    src.mkdir()
    csv = src / "cases.csv"
    csv.write_text("image_path,diagnosis\nmissing.jpg,nevus\n")
    _fails_cleanly(run("datasets", "import", "csv", csv, "-o", out), out, "1 of 1 image file(s) missing", "missing.jpg")
    csv.write_text("image_path,dx\na.jpg,nevus\n")
    _fails_cleanly(run("datasets", "import", "csv", csv, "-o", out), out, "cases.csv", "missing required column(s) diagnosis")
    csv.write_text("image_path,diagnosis\na.jpg,wart\n")
    _fails_cleanly(run("datasets", "import", "csv", csv, "--allow-missing-images", "-o", out), out, "unknown label", "'wart'")
    csv.write_text("case_id,image_path,diagnosis\nx,a.jpg,nevus\nx,b.jpg,nevus\n")
    _fails_cleanly(run("datasets", "import", "csv", csv, "--allow-missing-images", "-o", out), out, "duplicated case_id 'x'")
    folder = src / "imgs"
    write_image(folder / "nevus" / "ok.png", np.zeros((4, 4, 3), np.uint8))
    (folder / "nevus" / "bad.png").write_bytes(b"\x89PNG truncated")
    _fails_cleanly(run("datasets", "import", "folder", folder, "-o", out), out, "cannot decode image", "bad.png")
    empty = src / "empty"
    empty.mkdir()
    _fails_cleanly(run("datasets", "import", "folder", empty, "-o", out), out, "no images", "empty")


def test_generic_csv_with_column_mapping(tmp_path):
    write_image(tmp_path / "a.png", np.zeros((4, 4, 3), np.uint8))
    (tmp_path / "mine.csv").write_text("file,dx\na.png,mel\n")
    out = tmp_path / "c.csv"
    res = run("datasets", "import", "csv", tmp_path / "mine.csv", "--column", "image_path=file", "--column", "diagnosis=dx", "--label-source", "ham10000", "-o", out)
    assert res.returncode == 0, res.stderr
    assert pd.read_csv(out)["diagnosis"].tolist() == ["melanoma"]


def test_medmnist_small_npz(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", **{f"{s}_images": rng.integers(0, 255, (2, 28, 28, 3), dtype=np.uint8) for s in ("train", "val", "test")},
             **{f"{s}_labels": np.array([[4], [5]]) for s in ("train", "val", "test")})
    res = run("datasets", "import", "medmnist", tmp_path / "d.npz", "--flag", "dermamnist", "-o", tmp_path / "c.parquet")
    assert res.returncode == 0, res.stderr
    cases = pd.read_parquet(tmp_path / "c.parquet")
    assert cases["source_label"].tolist() == ["melanoma", "melanocytic nevi"] * 3
    assert len(list((tmp_path / "c_images").rglob("*.png"))) == 6  # default images folder beside --out


@pytest.mark.slow
def test_must_show_dermamnist_like_npz(shared_data, tmp_path):
    res = run("datasets", "import", "medmnist", shared_data / "ham10000_28" / "ham10000_28.npz", "--flag", "dermamnist", "-o", tmp_path / "c.parquet")
    assert res.returncode == 0, res.stderr
    cases = pd.read_parquet(tmp_path / "c.parquet")
    assert cases["split"].value_counts().to_dict() == {"train": 7007, "test": 2005, "val": 1003}
    assert cases["source_label"].value_counts().to_dict() == {
        "melanocytic nevi": 6705, "melanoma": 1113, "benign keratosis-like lesions": 1099, "basal cell carcinoma": 514,
        "actinic keratoses and intraepithelial carcinoma": 327, "vascular lesions": 142, "dermatofibroma": 115,
    }
    assert len(list((tmp_path / "c_images").rglob("*.png"))) == 10015

