"""Dataset adapters: each public data set's published layout → a case table.

Each adapter is a small module registering one function with :func:`register_adapter`;
:func:`import_dataset` looks the format up and calls it. Adapters return validated case tables.

Example:
    >>> cases = import_dataset("ham10000", "../shared/data/ham10000", allow_missing_images=True)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import inspect
import os
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from dermkit.errors import ConfigError, DataError

Adapter = Callable[..., pd.DataFrame]
_ADAPTERS: dict[str, Adapter] = {}
# Modules imported on first use, so that `import dermkit.datasets` stays light.
_ADAPTER_MODULES = ("ham10000", "isic", "isic_archive", "fitzpatrick17k", "ddi", "pad_ufes20", "bcn20000", "derm12345", "scin", "msld", "medmnist", "folder", "generic_csv")


def register_adapter(name: str) -> Callable[[Adapter], Adapter]:
    """Decorator registering an adapter function under a format name (``dermkit datasets import NAME``)."""

    def deco(fn: Adapter) -> Adapter:
        _ADAPTERS[name] = fn
        return fn

    return deco


def _load_all() -> None:
    for mod in _ADAPTER_MODULES:
        importlib.import_module(f"dermkit.datasets.{mod}")


def list_formats() -> list[str]:
    """Names of every registered format."""
    _load_all()
    return sorted(_ADAPTERS)


def describe_format(name: str) -> str:
    """First line of a format's adapter docstring."""
    _load_all()
    return (inspect.getdoc(_ADAPTERS[name]) or "").splitlines()[0]


def import_dataset(fmt: str, root: str | os.PathLike[str], **options: Any) -> pd.DataFrame:
    """Import the data set at ``root`` in format ``fmt`` as a validated case table.

    Image and mask paths in the table are absolute (``root`` is resolved first), so the table
    can be saved anywhere and still finds its images. Options the adapter does not take raise
    :class:`ConfigError` naming them.
    """
    _load_all()
    if fmt not in _ADAPTERS:
        raise ConfigError(f"unknown dataset format {fmt!r}; known: {', '.join(sorted(_ADAPTERS))}")
    fn = _ADAPTERS[fmt]
    root = Path(root).resolve()  # paths built from a relative root would be relative to the working folder, not the table
    if not root.exists():
        raise DataError(f"{fmt}: path not found: {root}")
    from dermkit.datasets._common import refuse_archive

    refuse_archive(root, fmt)
    accepted = set(inspect.signature(fn).parameters) - {"root"}
    given = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(given) - accepted)
    if unknown:
        raise ConfigError(f"format {fmt!r} does not take option(s) {', '.join('--' + u.replace('_', '-') for u in unknown)}")
    return fn(root, **given)
