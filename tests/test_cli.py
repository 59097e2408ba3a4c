"""The CLI end to end, in a subprocess as a user runs it."""

import subprocess
import sys

import pandas as pd
import pytest


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "dermkit.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_help_lists_stages():
    res = run("--help")
    assert res.returncode == 0
    for stage in ("datasets", "cases"):
        assert stage in res.stdout


def test_import_summary_split(shared_data, tmp_path):
    out = tmp_path / "c.parquet"
    res = run("datasets", "import", "ham10000", str(shared_data / "ham10000"), "--allow-missing-images", "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert "6705" in res.stdout
    res = run("cases", "summary", str(out))
    assert res.returncode == 0 and "10015 cases" in res.stdout
    res = run("cases", "split", str(out), "--seed", "0", "-o", str(tmp_path / "s.parquet"))
    assert res.returncode == 0, res.stderr
    s = pd.read_parquet(tmp_path / "s.parquet")
    assert s.groupby("lesion_id")["split"].nunique().max() == 1


def test_errors_are_one_line_and_write_nothing(shared_data, tmp_path):
    out = tmp_path / "c.parquet"
    res = run("datasets", "import", "ham10000", str(shared_data / "ham10000"), "-o", str(out))
    assert res.returncode == 1
    assert res.stderr.strip().count("\n") == 0 and "missing" in res.stderr and "Traceback" not in res.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
    res = run("cases", "summary", str(tmp_path / "absent.parquet"))
    assert res.returncode == 1 and "not found" in res.stderr


def test_every_command_explains_every_argument_and_option():
    import typer

    from dermkit.cli import app

    def leaves(command, path):
        if hasattr(command, "commands"):  # a group: its subcommands
            for name, sub in command.commands.items():
                yield from leaves(sub, [*path, name])
        else:
            yield " ".join(path), command

    commands = dict(leaves(typer.main.get_command(app), ["dermkit"]))
    assert {"dermkit train", "dermkit segment train", "dermkit segment predict", "dermkit features"} <= set(commands)
    unexplained = {name: [p.name for p in cmd.params if not getattr(p, "help", None)] for name, cmd in commands.items()}
    assert {name: params for name, params in unexplained.items() if params} == {}


def test_ctrl_c_is_reported_on_one_line_with_status_130(monkeypatch, capsys):
    import typer

    import dermkit.cli as cli

    stopped = typer.Typer()

    @stopped.command()
    def work() -> None:
        raise KeyboardInterrupt  # what Ctrl-C raises mid-command; typer turned it into a silent exit 130

    monkeypatch.setattr(cli, "app", stopped)
    monkeypatch.setattr("sys.argv", ["dermkit"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 130 and "interrupted: outputs already written are complete" in capsys.readouterr().err


def _sigint_handler(_):
    import signal

    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_workers_leave_ctrl_c_to_the_main_process():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from dermkit.workers import init_worker

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=init_worker) as pool:
        assert pool.submit(_sigint_handler, None).result()  # each worker printed its own KeyboardInterrupt traceback
