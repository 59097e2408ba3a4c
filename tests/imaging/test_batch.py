"""Tone measurement and preprocessing over case tables: results, resumption, CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from dermkit.cases import load_cases
from dermkit.errors import ConfigError, DataError
from dermkit.imaging.batch import TONE_COLUMNS, measure_cases, preprocess_cases
from dermkit.io import read_image, write_image

TONES = {"a": 60.0, "b": 35.0, "c": 15.0, "d": -10.0, "e": -45.0}


@pytest.fixture
def toned_table(tmp_path, skin_image):
    rows = []
    for i, (cid, ita) in enumerate(TONES.items()):
        rgb, lesion, _ = skin_image(ita, size=96, hair=6, seed=i)
        write_image(tmp_path / f"{cid}.png", rgb)
        write_image(tmp_path / f"{cid}_mask.png", lesion)
        rows.append({"case_id": cid, "image_path": f"{cid}.png", "mask_path": f"{cid}_mask.png", "diagnosis": "nevus"})
    pd.DataFrame(rows).to_csv(tmp_path / "cases.csv", index=False)
    return tmp_path / "cases.csv"


def test_measure_cases_matches_known_tones(toned_table):
    out = measure_cases(load_cases(toned_table), workers=2, progress=False)
    assert set(TONE_COLUMNS) <= set(out.columns)
    assert np.allclose(out["ita"], list(TONES.values()), atol=1.5)
    assert out["skin_tone"].tolist() == ["very_light", "intermediate", "tan", "brown", "dark"]
    assert out["fitzpatrick_est"].tolist() == [1, 3, 5, 6, 6]
    assert out["tone_reliable"].all()


def test_cache_is_reused_and_stale_rows_redone(toned_table, tmp_path):
    cases = load_cases(toned_table)
    cache = tmp_path / "cache.jsonl"
    first = measure_cases(cases, workers=1, cache=cache, progress=False)
    rows = [json.loads(line) for line in cache.read_text().splitlines()]
    assert len(rows) == 5
    rows[0]["ita"] = 12.345  # a planted value proves the cached row is reused, not recomputed
    rows[1]["method"] = "mode"  # a stale row (other method) is recomputed
    cache.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"case_id": "trunc')
    second = measure_cases(cases, workers=1, cache=cache, progress=False)
    assert second.loc[0, "ita"] == 12.345
    assert second.loc[1, "ita"] == pytest.approx(first.loc[1, "ita"])


def test_cache_rows_of_images_rewritten_at_the_same_path_are_measured_again(toned_table, tmp_path, skin_image):
    cases = load_cases(toned_table)
    cache = tmp_path / "cache.jsonl"
    measure_cases(cases, workers=1, cache=cache, progress=False)
    rows = [json.loads(line) for line in cache.read_text().splitlines()]
    rows[0]["ita"] = rows[1]["ita"] = 12.345  # planted: a reused row keeps it
    cache.write_text("".join(json.dumps(r) + "\n" for r in rows))
    write_image(tmp_path / "b.png", skin_image(-45.0, size=96, hair=6, seed=1)[0])  # new pixels, same path (e.g. synth run again)
    again = measure_cases(cases, workers=1, cache=cache, progress=False)
    assert again.loc[0, "ita"] == 12.345  # a's file is unchanged
    assert again.loc[1, "ita"] == pytest.approx(-45.0, abs=2.0)  # was 12.345: the old image's value


def test_unavailable_images_get_missing_tone(toned_table):
    cases = load_cases(toned_table)
    cases["image_available"] = [True, True, True, True, False]
    out = measure_cases(cases, workers=1, progress=False)
    assert pd.isna(out.loc[4, "ita"]) and pd.isna(out.loc[4, "skin_tone"])


def test_wrong_size_mask_names_both_sizes(toned_table, tmp_path):
    write_image(tmp_path / "b_mask.png", np.zeros((10, 20), bool))
    with pytest.raises(DataError, match="20x10 but its image is 96x96"):
        measure_cases(load_cases(toned_table), workers=1, progress=False)


def test_preprocess_writes_images_and_resumes(toned_table, tmp_path):
    cases = load_cases(toned_table)
    out_dir = tmp_path / "clean"
    new = preprocess_cases(cases, out_dir, colour_constancy="gray_world", remove_hair=True, workers=2, progress=False)
    assert new["image_path"].tolist() == [f"images/{c}.png" for c in TONES]
    assert (new["hair_fraction"] > 0.005).all() and (new["preprocessing"] == "remove_hair+gray_world").all()
    img = read_image(out_dir / "images" / "a.png")
    assert abs(float(img[..., 0].mean()) - float(img[..., 2].mean())) < 2.0  # grey world
    stamp = (out_dir / "images" / "c.png").stat().st_mtime_ns
    (out_dir / "images" / "d.png").unlink()
    again = preprocess_cases(cases, out_dir, colour_constancy="gray_world", remove_hair=True, workers=1, progress=False)
    assert (out_dir / "images" / "c.png").stat().st_mtime_ns == stamp and (out_dir / "images" / "d.png").is_file()
    assert np.allclose(again["hair_fraction"], new["hair_fraction"])
    with pytest.raises(DataError, match="clean holds images pre-processed with .*gray_world.*not .*max_rgb"):  # it reused the grey-world images
        preprocess_cases(cases, out_dir, colour_constancy="max_rgb", workers=1, progress=False)
    assert (out_dir / "images" / "c.png").stat().st_mtime_ns == stamp


def test_preprocess_redoes_images_whose_source_changed(toned_table, tmp_path, skin_image):
    cases = load_cases(toned_table)
    out_dir = tmp_path / "clean"
    preprocess_cases(cases, out_dir, colour_constancy="gray_world", workers=1, progress=False)
    stamp = (out_dir / "images" / "a.png").stat().st_mtime_ns
    other = tmp_path / "other.png"
    write_image(other, skin_image(-45.0, size=96, hair=0, seed=9)[0])
    changed = cases.assign(image_path=[str(other) if c == "c" else p for c, p in zip(cases["case_id"], cases["image_path"])])
    preprocess_cases(changed, out_dir, colour_constancy="gray_world", workers=1, progress=False)  # another table into the same folder
    fresh = preprocess_cases(changed, tmp_path / "fresh", colour_constancy="gray_world", workers=1, progress=False)
    assert np.array_equal(read_image(out_dir / "images" / "c.png"), read_image(tmp_path / "fresh" / fresh.loc[2, "image_path"]))  # was the old c
    assert (out_dir / "images" / "a.png").stat().st_mtime_ns == stamp  # unchanged sources are still reused


def test_an_image_remade_from_another_source_is_not_reused_after_an_interruption(toned_table, tmp_path, skin_image, monkeypatch):
    import dermkit.imaging.batch as batch

    cases = load_cases(toned_table)
    out_dir = tmp_path / "clean"
    preprocess_cases(cases, out_dir, colour_constancy="gray_world", workers=1, progress=False)
    lines = (out_dir / ".preprocessed.jsonl").read_text().splitlines()
    preprocess_cases(cases, out_dir, colour_constancy="gray_world", workers=1, progress=False)
    assert (out_dir / ".preprocessed.jsonl").read_text().splitlines() == lines  # reused images add no line
    original_c = read_image(out_dir / "images" / "c.png")
    other = tmp_path / "other.png"
    write_image(other, skin_image(-45.0, size=96, hair=0, seed=9)[0])
    changed = cases.assign(image_path=[str(other) if c == "c" else p for c, p in zip(cases["case_id"], cases["image_path"])])

    def stopped_before_recording(fn, jobs, workers, label, progress):
        for job in jobs:
            fn(job)  # every image is written ...
        raise KeyboardInterrupt  # ... but the run stops before the main process records any

    monkeypatch.setattr(batch, "_parallel", stopped_before_recording)
    with pytest.raises(KeyboardInterrupt):
        preprocess_cases(changed, out_dir, colour_constancy="gray_world", workers=1, progress=False)
    assert not np.array_equal(read_image(out_dir / "images" / "c.png"), original_c)  # c was overwritten from other.png
    monkeypatch.undo()
    preprocess_cases(cases, out_dir, colour_constancy="gray_world", workers=1, progress=False)  # the first table again
    assert np.array_equal(read_image(out_dir / "images" / "c.png"), original_c)  # was other.png's image, reused as c's


def test_preprocess_refuses_to_write_over_its_input(toned_table, tmp_path):
    cases = load_cases(toned_table)
    src = tmp_path / "src"
    (src / "images").mkdir(parents=True)
    for c in TONES:
        (src / "images" / f"{c}.png").write_bytes((tmp_path / f"{c}.png").read_bytes())
    inside = cases.assign(image_path=[str(src / "images" / f"{c}.png") for c in cases["case_id"]])
    before = {p.name: p.read_bytes() for p in (src / "images").iterdir()}
    with pytest.raises(ConfigError, match=r"src: the input images are there .*a.png.*write the pre-processed copies to another folder"):
        preprocess_cases(inside, src, colour_constancy="gray_world", workers=1, progress=False)  # they counted as done: nothing was processed
    assert {p.name: p.read_bytes() for p in (src / "images").iterdir()} == before and not (src / "preprocessing.json").exists()
    with pytest.raises(ConfigError, match="workers must be a whole number >= 1, got 0"):
        preprocess_cases(cases, tmp_path / "pq", remove_hair=True, workers=0)
    assert not (tmp_path / "pq").exists()  # preprocessing.json claimed the folder for these settings


def test_preprocess_errors(toned_table, tmp_path):
    cases = load_cases(toned_table)
    with pytest.raises(ConfigError, match="nothing to do"):
        preprocess_cases(cases, tmp_path / "x", colour_constancy=None)
    with pytest.raises(ConfigError, match="'white'"):
        preprocess_cases(cases, tmp_path / "x", colour_constancy="white")
    with pytest.raises(ConfigError, match="workers"):
        measure_cases(cases, workers=0)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "dermkit.cli", *args], capture_output=True, text=True)


def test_cli_tone_and_preprocess(toned_table, tmp_path):
    res = _cli("tone", str(toned_table), "-o", str(tmp_path / "toned.parquet"))
    assert res.returncode == 0, res.stderr
    toned = pd.read_parquet(tmp_path / "toned.parquet")
    assert toned["skin_tone"].tolist() == ["very_light", "intermediate", "tan", "brown", "dark"]
    assert not list(tmp_path.glob(".toned.parquet*"))  # cache removed after success
    res = _cli("preprocess", str(toned_table), "--colour-constancy", "--remove-hair", "-o", str(tmp_path / "pp"))
    assert res.returncode == 0, res.stderr
    pp = load_cases(tmp_path / "pp" / "cases.parquet")
    assert all(read_image(p).shape == (96, 96, 3) for p in pp["image_path"])
    res = _cli("preprocess", str(toned_table), "--cc-method", "gray_world", "-o", str(tmp_path / "pp2"))  # was ignored without --colour-constancy
    assert res.returncode == 0 and load_cases(tmp_path / "pp2" / "cases.parquet")["preprocessing"].eq("gray_world").all(), res.stderr
    res = _cli("preprocess", str(tmp_path / "pp2" / "cases.parquet"), "--colour-constancy", "-o", str(tmp_path / "pp2"))
    assert res.returncode == 1 and "pp2/cases.parquet would be replaced by the pre-processed table" in res.stderr
    res = _cli("tone", str(tmp_path / "missing.parquet"), "-o", str(tmp_path / "t.parquet"))
    assert res.returncode == 1 and "missing.parquet" in res.stderr


def test_cli_tone_checks_its_output_before_measuring(toned_table, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    res = _cli("tone", str(toned_table), "-o", str(out / "t.txt"))
    assert res.returncode == 1 and "t.txt: case tables are written as .parquet or .csv" in res.stderr, res.stderr
    (out / "folder.csv").mkdir()
    res = _cli("tone", str(toned_table), "-o", str(out / "folder.csv"))
    assert res.returncode == 1 and "is a folder" in res.stderr, res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["folder.csv"]  # no resume cache left behind
    (out / "afile").write_text("x")
    res = _cli("tone", str(toned_table), "-o", str(out / "afile" / "t.parquet"))
    assert res.returncode == 1 and "afile is a file, not a folder" in res.stderr, res.stderr  # named the hidden cache file
    res = _cli("tone", str(toned_table), "-o", str(out / "new" / "deeper" / "t.parquet"))  # a folder not made yet, as split and synth allow
    assert res.returncode == 0 and load_cases(out / "new" / "deeper" / "t.parquet")["ita"].notna().all(), res.stderr


def test_a_corrupt_image_is_one_line_without_opencvs_own_log(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 40)  # a PNG signature, then garbage
    (tmp_path / "c.csv").write_text("case_id,image_path,diagnosis\na,bad.png,nevus\n")
    res = _cli("tone", str(tmp_path / "c.csv"), "-o", str(tmp_path / "t.parquet"), "-j", "1")
    assert res.returncode == 1 and res.stderr.strip().splitlines() == [f"error: cannot decode image (corrupt or not an image): {tmp_path / 'bad.png'}"], res.stderr
