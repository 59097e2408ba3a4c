"""Every benchmark script explains each of its options: its help renders and no option lacks a help text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("[a-z]*.py"))

# Runs a script as ``python SCRIPT`` would, with parse_args replaced: render the help (as --help
# would), print the options that have no help text, and stop before any work.
PROBE = """
import argparse, json, os, runpy, sys
def report(self, *args, **kwargs):
    self.format_help()
    print(json.dumps([action.option_strings for action in self._actions if not action.help]))
    sys.exit(0)
argparse.ArgumentParser.parse_args = report
script = sys.argv[1]
sys.argv = [script]
sys.path.insert(0, os.path.dirname(script))
runpy.run_path(script, run_name="__main__")
"""


def test_there_are_benchmarks_to_check():
    assert len(BENCHMARKS) >= 10


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.stem)
def test_help_renders_and_every_option_is_explained(script):
    probed = subprocess.run([sys.executable, "-c", PROBE, str(script)], capture_output=True, text=True, cwd=script.parent.parent)
    assert probed.returncode == 0, probed.stderr
    assert json.loads(probed.stdout.strip().splitlines()[-1]) == []
