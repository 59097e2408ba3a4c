"""Where the benchmarks find real data: ``../shared/data`` beside the repository (never copied into it)."""

from __future__ import annotations

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
