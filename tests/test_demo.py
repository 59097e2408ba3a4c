"""The demo pipeline end to end, at a size that runs in well under a minute."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from dermkit.demo import DemoConfig, run_demo
from dermkit.errors import ConfigError

TINY = DemoConfig(n=140, image_size=64, train_size=32, model="resnet10t", epochs=1, batch_size=32, flip_images=6, workers=1)


def test_demo_writes_report_metrics_and_predictions_and_reuses_data(tmp_path):
    messages: list[str] = []
    report = run_demo(tmp_path, TINY, progress=False, log=messages.append)
    assert report == tmp_path / "report" / "report.html" and report.is_file()
    assert "<html" in report.read_text()[:500].lower()
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    assert 0.0 <= metrics["overall"]["balanced_accuracy"] <= 1.0
    assert set(metrics["fairness"]) == {"skin_tone", "fitzpatrick", "artifact_ruler"}
    cases = pd.read_parquet(tmp_path / "cases.parquet")
    preds = pd.read_parquet(tmp_path / "predictions.parquet")
    assert sorted(preds["case_id"]) == sorted(cases.loc[cases["split"] == "test", "case_id"])
    probs = preds.filter(like="prob_").to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    # skin tone is measured, and the generator's truth kept beside it: they agree closely
    assert {"ita", "ita_true", "skin_tone", "skin_tone_true"} <= set(cases.columns)
    assert np.nanmean(np.abs(cases["ita"] - cases["ita_true"])) < 5.0
    assert (tmp_path / "run" / "model.safetensors").is_file()
    assert any("report:" in m for m in messages)
    # the tiny test split has skin-tone groups under 10 cases: the warning reaches the log as a note
    assert any(m.split("] ", 1)[1].startswith("note: skin_tone:") and "fewer than 10 cases" in m for m in messages)

    # a second run reuses the generated images instead of rendering them again
    images_before = sorted(p.stat().st_mtime_ns for p in (tmp_path / "data" / "images").iterdir())
    messages.clear()
    assert run_demo(tmp_path, TINY, progress=False, log=messages.append).is_file()
    assert any("reusing synthetic data" in m for m in messages)
    assert sorted(p.stat().st_mtime_ns for p in (tmp_path / "data" / "images").iterdir()) == images_before
    # other generator options make a new set: -n 150 reused the 140 cases before
    messages.clear()
    run_demo(tmp_path, dataclasses.replace(TINY, n=150), progress=False, log=messages.append)
    assert any("generating 150 synthetic cases" in m for m in messages) and len(pd.read_parquet(tmp_path / "cases.parquet")) == 150


@pytest.mark.parametrize("field", ["n", "epochs", "image_size", "flip_images"])
def test_demo_config_rejects_non_positive_sizes(field):
    with pytest.raises(ConfigError, match=field):
        DemoConfig(**{field: 0})
