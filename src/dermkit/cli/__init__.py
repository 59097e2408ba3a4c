"""The ``dermkit`` command line: one sub-command per stage, thin shells over public functions.

Each stage lives in its own module ``dermkit.cli.<stage>`` exposing ``register(app)``; heavy
libraries (torch, timm) are imported inside the commands, so ``dermkit --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from typing import TextIO

import typer
from rich.console import Console
from rich.markup import escape

from dermkit.errors import DermkitError

app = typer.Typer(
    name="dermkit",
    help="Skin-lesion AI toolkit: data → skin tone → train → evaluate → explain.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)

# Stage modules, in the order `dermkit --help` lists them.
STAGES = ("datasets", "cases", "synth", "segment", "features", "tone", "preprocess", "train", "predict", "evaluate", "demo")

for _stage in STAGES:
    importlib.import_module(f"dermkit.cli.{_stage}").register(app)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", help="Print the version and exit.")) -> None:
    if version:
        from dermkit import __version__

        typer.echo(__version__)
        raise typer.Exit()


_python_showwarning = warnings.showwarning


def show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: TextIO | None = None, line: str | None = None) -> None:
    """Print dermkit's own warnings as one ``warning: ...`` line on stderr; other libraries' as Python does."""
    if category.__module__.startswith("dermkit"):
        err_console.print(f"[yellow]warning:[/] {escape(str(message))}", soft_wrap=True, highlight=False)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


def _print_error(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, highlight=False, markup=True)


def main() -> None:
    """Console entry point: a :class:`DermkitError` or an :class:`OSError` (a file that cannot be
    written, say) is printed on one line and exits with status 1; dermkit's warnings print as one
    line each (:func:`show_warning`)."""
    warnings.showwarning = show_warning
    os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")  # a corrupt image is reported as one dermkit line, without OpenCV's own (workers inherit it)
    if "cv2" in sys.modules:
        sys.modules["cv2"].utils.logging.setLogLevel(sys.modules["cv2"].utils.logging.LOG_LEVEL_SILENT)
    try:
        app()
    except DermkitError as exc:
        _print_error(str(exc))
        sys.exit(1)
    except OSError as exc:  # e.g. an output folder that cannot be created: the file and the reason, not a traceback
        _print_error(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        _print_interrupted()
        sys.exit(130)
    except SystemExit as exc:  # typer turns Ctrl-C into a silent exit with status 130
        if exc.code == 130:
            _print_interrupted()
        raise


def _print_interrupted() -> None:
    err_console.print("[yellow]interrupted[/]: outputs already written are complete; partial ones were discarded")
