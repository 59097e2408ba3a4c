"""`dermkit train` and `dermkit predict` from the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from dermkit.cases import save_cases


def _dermkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from dermkit.cli import main; main()", *args], capture_output=True, text=True)


def test_train_then_predict(lesion_cases, tmp_path):
    cases = save_cases(lesion_cases, tmp_path / "cases.parquet")
    (tmp_path / "run.yaml").write_text("model: test_resnet\nimage_size: 32\nbatch_size: 8\nprogress: false\n")
    run = tmp_path / "run"
    done = _dermkit("train", "--cases", str(cases), "--config", str(tmp_path / "run.yaml"), "--epochs", "1", "--set", "augment={rotate: 0}", "--loss", "focal", "-o", str(run))
    assert done.returncode == 0, done.stderr
    assert "best val_bal_acc" in done.stdout
    out = tmp_path / "preds.csv"
    done = _dermkit("predict", str(run), str(cases), "-o", str(out), "--tta")
    assert done.returncode == 0, done.stderr
    preds = pd.read_csv(out)
    assert list(preds.columns) == ["case_id", "pred", "prob_melanoma", "prob_nevus"] and len(preds) == len(lesion_cases)
    done = _dermkit("predict", str(run), str(cases), "-o", str(cases))  # replaced the case table with the predictions
    assert done.returncode == 1 and "is the case table being predicted" in done.stderr and len(pd.read_parquet(cases).columns) > 4
    damaged = tmp_path / "damaged"
    shutil.copytree(run, damaged)
    config = json.loads((damaged / "config.json").read_text())
    (damaged / "config.json").write_text(json.dumps({**config, "classes": ["melanoma"]}))
    done = _dermkit("predict", str(damaged), str(cases), "-o", str(tmp_path / "p.csv"))  # an IndexError traceback
    assert done.returncode == 1 and "config.json lists 1 classes but the model has 2 outputs" in done.stderr and "Traceback" not in done.stderr
    done = _dermkit("train", "--cases", str(cases), "--epochs", "2", "--minutes", "5", "--resume", "-o", str(run))  # no need to repeat --config
    assert done.returncode == 0, done.stderr
    assert list(pd.read_csv(run / "history.csv")["epoch"]) == [0, 1]
    done = _dermkit("train", "--cases", str(cases), "--epochs", "3", "--lr", "0.1", "--resume", "-o", str(run))
    assert done.returncode == 1 and "1 differ (lr: 0.001 -> 0.1)" in done.stderr and "Traceback" not in done.stderr


def test_cli_errors_are_one_line(lesion_cases, tmp_path):
    one = save_cases(lesion_cases.assign(diagnosis="nevus"), tmp_path / "one.parquet")
    done = _dermkit("train", "--cases", str(one), "--model", "test_resnet", "-o", str(tmp_path / "run"))
    assert done.returncode == 1 and "single class 'nevus'" in done.stderr and "Traceback" not in done.stderr
    done = _dermkit("predict", str(tmp_path / "nowhere"), str(one), "-o", str(tmp_path / "p.parquet"))
    assert done.returncode == 1 and "run folder not found" in done.stderr
    done = _dermkit("train", "--cases", str(one), "--set", "epochz=3", "-o", str(tmp_path / "run"))
    assert done.returncode == 1 and "did you mean epochs" in done.stderr
    done = _dermkit("train", "--cases", str(one), "--set", "augment={rotate: [0", "-o", str(tmp_path / "run"))
    assert done.returncode == 1 and "--set augment: cannot read value" in done.stderr and "Traceback" not in done.stderr
    cases = save_cases(lesion_cases, tmp_path / "cases.parquet")
    done = _dermkit("train", "--cases", str(cases), "--model", "test_resnet", "--precision", "bf17", "-o", str(tmp_path / "run"))
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert "precision must be one of 32-true, bf16-mixed" in done.stderr and "'bf17'" in done.stderr
    done = _dermkit("train", "--cases", str(cases), "--model", "test_resnet", "--minutes", "0", "-o", str(tmp_path / "run"))  # was only --set max_minutes=0
    assert done.returncode == 1 and "max_minutes must be a positive number of minutes (or unset), got 0" in done.stderr
    done = _dermkit("train", "--cases", str(cases), "--debias", "adversarial", "--set", "debias=circle", "-o", str(tmp_path / "run"))  # trained CIRCLe
    assert done.returncode == 1 and "debias given both as a flag and with --set, with different values: give it once" in done.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_two_process_ddp_training_from_the_command_line(lesion_cases, tmp_path):
    """`--devices 2 --strategy ddp` on the CPU: Lightning starts a second process running the same
    command (hence `python -m dermkit.cli`, which it can rerun); one run is written and predicts,
    with an EMA of the weights (which crashed DDP before its copy stopped asking for gradients)."""
    cases = save_cases(lesion_cases, tmp_path / "cases.parquet")
    (tmp_path / "run.yaml").write_text("model: test_resnet\nimage_size: 32\nbatch_size: 4\nema: 0.9\nprogress: false\n")  # EMA: a copy DDP gets no gradients for
    run = tmp_path / "run"
    cli = [sys.executable, "-m", "dermkit.cli"]
    done = subprocess.run([*cli, "train", "--cases", str(cases), "--config", str(tmp_path / "run.yaml"), "--epochs", "2",
                           "--accelerator", "cpu", "--devices", "2", "--strategy", "ddp", "-o", str(run)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("best val_bal_acc") == 1  # reported by the first process only
    assert len(pd.read_csv(run / "history.csv")) == 2 and not list(run.glob(".*.tmp*"))
    done = subprocess.run([*cli, "predict", str(run), str(cases), "-o", str(tmp_path / "preds.csv")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(tmp_path / "preds.csv")) == len(lesion_cases)
