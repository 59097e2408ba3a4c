"""Bad input to the segmentation stages, as a user would give it: one clear error, nothing half-written,
and an earlier output left as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dermkit.cases import save_cases
from dermkit.errors import ConfigError, DataError
from dermkit.explain.abcd import add_abcd_features
from dermkit.segment import Postprocessing, predict_masks, train_segmenter


def run(*args):
    return subprocess.run([sys.executable, "-m", "dermkit.cli", *map(str, args)], capture_output=True, text=True)


def test_a_failed_prediction_leaves_the_earlier_output_as_it_was(tiny_run, ellipse_cases, tmp_path):
    cases = ellipse_cases.iloc[:6].reset_index(drop=True)
    out = tmp_path / "pred"
    predict_masks(tiny_run, cases, out, progress=False)
    before = {p.name: p.read_bytes() for p in (out / "masks").iterdir()}
    (tmp_path / "cut.png").write_bytes(Path(cases["image_path"].iloc[5]).read_bytes()[:200])  # the last image is truncated
    broken = cases.assign(image_path=[*cases["image_path"].iloc[:5], str(tmp_path / "cut.png")])
    with pytest.raises(DataError, match=r"cannot decode image .*cut\.png"):  # after 4 masks were made (batch of 4, then 2)
        predict_masks(tiny_run, broken, out, postprocessing=Postprocessing(threshold=0.01), batch_size=4, progress=False)
    assert {p.name: p.read_bytes() for p in (out / "masks").iterdir()} == before  # used to hold 4 new masks and 2 old ones
    assert sorted(p.name for p in out.iterdir()) == ["cases.parquet", "masks"]  # no staging folder left behind


def test_case_ids_cannot_write_outside_the_output_folder(tiny_run, ellipse_cases, tmp_path):
    cases = ellipse_cases.iloc[:2].assign(case_id=["../../evil", "a/b"])
    table = predict_masks(tiny_run, cases, tmp_path / "deep" / "pred", progress=False)
    assert [Path(p).name for p in table["mask_pred_path"]] == [".._.._evil.png", "a_b.png"]
    assert all(Path(p).parent == (tmp_path / "deep" / "pred" / "masks").resolve() for p in table["mask_pred_path"])
    with pytest.raises(DataError, match="case ids 'a/b' and 'a_b' collide as the file name 'a_b'"):
        predict_masks(tiny_run, ellipse_cases.iloc[:2].assign(case_id=["a/b", "a_b"]), tmp_path / "p2", progress=False)


def test_prediction_options_are_checked(tiny_run, ellipse_cases, tmp_path):
    with pytest.raises(ConfigError, match="batch_size must be >= 1, got -1"):  # used to report success and write nothing
        predict_masks(tiny_run, ellipse_cases.iloc[:2], tmp_path / "p", batch_size=-1, progress=False)
    with pytest.raises(ConfigError, match="unknown device 'gpu0'"):
        predict_masks(tiny_run, ellipse_cases.iloc[:2], tmp_path / "p", device="gpu0", progress=False)
    with pytest.raises(ConfigError, match="smooth_radius must be a number >= 0, got nan"):
        Postprocessing(smooth_radius=float("nan"))
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_steps": 0}, "max_steps must be >= 1"),
        ({"max_minutes": -1.0}, "max_minutes must be a positive number"),
        ({"lr": -1.0}, "lr must be a positive number"),
        ({"lr": float("nan")}, "lr must be a finite number, got nan"),
        ({"num_workers": -1}, "num_workers must be a whole number >= 0"),
        ({"lovasz_weight": float("nan")}, "lovasz_weight must be a finite number"),  # saved a NaN model and reported success
        ({"image_size": "64"}, "image_size must be a whole number >= 32, got '64'"),  # bare TypeErrors from Python
        ({"batch_size": 4.5}, "batch_size must be a whole number >= 1, got 4.5"),
        ({"epochs": 1.5}, "epochs must be a whole number >= 1"),  # an AssertionError mid-fit
        ({"ema": "0.9"}, "ema must be a finite number, got '0.9'"),
        ({"seed": -1}, "seed must be a whole number >= 0"),
        ({"seed": 2**33}, "seed must be at most 4294967295"),
        ({"channels_last": "no"}, "channels_last must be true or false, got 'no'"),  # was taken as true
        ({"accelerator": "abacus"}, "trainer options: You selected an invalid accelerator name"),
        ({"strategy": "carrier_pigeon"}, "trainer options: .*carrier_pigeon"),
    ],
)
def test_training_options_are_refused_before_anything_is_written(ellipse_cases, tmp_path, options, message):
    with pytest.raises(ConfigError, match=message):
        train_segmenter(ellipse_cases, tmp_path / "run", **{"image_size": 64, "progress": False, **options})
    assert not (tmp_path / "run").exists()


def test_a_missing_image_stops_training_before_it_starts(ellipse_cases, tmp_path):
    cases = ellipse_cases.assign(image_path=[str(tmp_path / "gone.png"), *ellipse_cases["image_path"].iloc[1:]])
    with pytest.raises(DataError, match=r"image file not found: .*gone\.png"):  # a 1-step run used to finish without reading it
        train_segmenter(cases, tmp_path / "run", image_size=64, max_steps=1, progress=False)
    assert not (tmp_path / "run").exists()


def test_weights_that_do_not_fit_the_config_are_one_error(tiny_run, tmp_path):
    import json
    import shutil

    from dermkit.models.segmenter import load_segmenter

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    config = json.loads((run / "config.json").read_text())
    config["architecture"]["encoder"] = "resnet34"  # the weights are resnet18's
    (run / "config.json").write_text(json.dumps(config))
    with pytest.raises(DataError, match=r"weights do not fit the model config.json describes \(.*encoder=resnet34.*\): \d+ missing"):
        load_segmenter(run)


def test_pixel_sizes_must_be_positive_numbers(ellipse_cases):
    cases = ellipse_cases.iloc[:2]
    for bad in (0.0, -0.1, float("inf"), float("nan")):
        with pytest.raises(ConfigError, match="mm_per_px must be a positive number"):
            add_abcd_features(cases, mm_per_px=bad, progress=False)
    with pytest.raises(DataError, match="mm_per_px column: case 'c1' has 'abc'"):
        add_abcd_features(cases.assign(mm_per_px=[None, "abc"]), progress=False)
    with_scale = add_abcd_features(cases.assign(mm_per_px=[0.05, None]), progress=False)  # a blank cell: unknown scale
    assert with_scale["diameter_mm"].iloc[0] > 0 and np.isnan(with_scale["diameter_mm"].iloc[1])
    with pytest.raises(ConfigError, match="mm_per_px must be a positive number"):  # unchecked when the table had the column
        add_abcd_features(cases.assign(mm_per_px=[0.05, None]), mm_per_px=-1.0, progress=False)
    filled = add_abcd_features(cases.assign(mm_per_px=[0.05, None]), mm_per_px=0.1, progress=False)  # the argument fills blank cells
    assert filled["diameter_mm"].iloc[1] == pytest.approx(0.1 * filled["diameter_px"].iloc[1])
    with pytest.raises(DataError, match="n_structures column: case 'c1' has 'abc', not a whole number of structures"):  # a ValueError traceback
        add_abcd_features(cases.assign(n_structures=["2", "abc"]), progress=False)
    assert add_abcd_features(cases.assign(n_structures=["3", None]), progress=False)["tds"].notna().all()


def test_outputs_that_cannot_be_written_are_one_line_errors(tiny_run, ellipse_cases, tmp_path):
    table = tmp_path / "cases.parquet"
    save_cases(ellipse_cases.iloc[:2], table)
    a_file = tmp_path / "afile.txt"
    a_file.write_text("not a folder")
    for args in (
        ("segment", "predict", tiny_run, table, "-o", a_file),
        ("features", table, "-o", a_file / "f.parquet"),
        ("segment", "train", table, "-o", a_file, "--max-steps", "1", "--image-size", "64"),
    ):
        res = run(*args)
        assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
        assert res.stderr.startswith("error:") and "afile.txt" in res.stderr and len(res.stderr.strip().splitlines()) <= 2, res.stderr
    assert a_file.read_text() == "not a folder"


def test_evaluate_names_an_unknown_group_column(tiny_run, ellipse_cases, tmp_path):
    predict_masks(tiny_run, ellipse_cases.iloc[:2], tmp_path / "pred", progress=False)
    res = run("segment", "evaluate", tmp_path / "pred" / "cases.parquet", "--by", "nosuchcol")
    assert res.returncode == 1 and "by: no column 'nosuchcol' in the table" in res.stderr, res.stderr


def test_an_empty_table_or_a_folder_is_not_a_case_table(tiny_run, ellipse_cases, tmp_path):
    from dermkit.cases import load_cases

    with pytest.raises(DataError, match="no cases to segment"):  # used to report 0 masks written
        predict_masks(tiny_run, ellipse_cases.iloc[:0], tmp_path / "p", progress=False)
    with pytest.raises(DataError, match=r"case table .* is a folder; give the table file"):
        load_cases(tmp_path)
    assert not (tmp_path / "p").exists()
