"""`dermkit evaluate` in a subprocess, as a user runs it."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def tables():
    """200 cases of two classes over two skin tones (one of them small) and two sites."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p1 = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.2, 200), 0.01, 0.99)
    cases = pd.DataFrame(
        {
            "case_id": [f"c{i}" for i in range(200)],
            "image_path": [f"missing/{i}.png" for i in range(200)],
            "diagnosis": np.where(y == 1, "melanoma", "nevus"),
            "skin_tone": ["dark"] * 10 + ["light"] * 190,
            "site": rng.choice(["a", "b"], 200),
        }
    )
    preds = pd.DataFrame({"case_id": cases["case_id"], "prob_nevus": 1 - p1, "prob_melanoma": p1})
    return preds, cases


def run(*args):
    return subprocess.run([sys.executable, "-m", "dermkit.cli", *args], capture_output=True, text=True)


def test_evaluate_writes_metrics_and_report(tmp_path, tables):
    preds, cases = tables
    preds.to_parquet(tmp_path / "preds.parquet")
    cases.to_parquet(tmp_path / "cases.parquet")
    out = tmp_path / "out"
    res = run("evaluate", str(tmp_path / "preds.parquet"), str(tmp_path / "cases.parquet"), "--by", "skin_tone", "--by", "site", "--n-boot", "20", "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert "report.html" in res.stdout and "balanced accuracy" in res.stdout and "warning:" in res.stdout
    m = json.loads((out / "metrics.json").read_text())
    for key in ("balanced_accuracy", "accuracy", "auc_macro", "auc_per_class", "average_precision_macro", "ece"):
        assert key in m["overall"]
    assert set(m["groups"]) == {"skin_tone", "site"} and set(m["fairness"]["site"]) >= {"eod", "nar", "worst_group_accuracy"}
    assert (out / "report.html").stat().st_size > 10_000


def test_evaluate_bad_inputs_are_one_line_errors(tmp_path, tables):
    preds, cases = tables
    cases.to_parquet(tmp_path / "cases.parquet")
    bad = preds.copy()
    bad.loc[0, "prob_nevus"] = 0.9  # row no longer sums to 1
    bad.to_parquet(tmp_path / "bad.parquet")
    preds.assign(case_id=[f"z{i}" for i in range(len(preds))]).to_parquet(tmp_path / "other.parquet")
    preds.to_parquet(tmp_path / "preds.parquet")
    out = tmp_path / "out"
    for table, extra, message in (
        ("bad.parquet", [], "bad.parquet: probabilities of 1 row(s) do not sum to 1 (case 'c0'"),  # the files are named, not "predictions"
        ("other.parquet", [], "other.parquet: 200 of 200 case ids are not in " + str(tmp_path / "cases.parquet")),
        ("preds.parquet", ["--by", "skintone"], "cannot group by 'skintone'"),
    ):
        res = run("evaluate", str(tmp_path / table), str(tmp_path / "cases.parquet"), *extra, "-o", str(out))
        assert res.returncode == 1
        assert message in res.stderr and res.stderr.strip().count("\n") == 0 and "Traceback" not in res.stderr
        assert not out.exists()


def test_evaluate_reads_each_table_once(tmp_path, tables):
    preds, cases = tables
    cases.assign(sex=["man"] + ["female"] * (len(cases) - 1)).to_csv(tmp_path / "cases.csv", index=False)
    preds.to_csv(tmp_path / "preds.csv", index=False)
    res = run("evaluate", str(tmp_path / "preds.csv"), str(tmp_path / "cases.csv"), "--n-boot", "0", "-o", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    assert (res.stdout + res.stderr).count("sex 'man'") == 1  # the case table was read (and warned about) twice
