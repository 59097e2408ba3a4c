"""Shared fixtures: the real data folder beside the checkout, small case tables, and headless Debian Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (present in CI and on developers' machines); tests needing it skip elsewhere."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} not present")
    return SHARED_DATA


@pytest.fixture
def tiny_cases(tmp_path: Path) -> pd.DataFrame:
    """Twelve cases of three diagnoses over six patients, with real (tiny) PNG images on disk."""
    import cv2

    rows = []
    rng = np.random.default_rng(0)
    for i in range(12):
        img = rng.integers(0, 255, size=(16, 16, 3), dtype=np.uint8)
        path = tmp_path / f"img_{i}.png"
        cv2.imwrite(str(path), img)
        rows.append(
            {
                "case_id": f"c{i}",
                "image_path": str(path),
                "diagnosis": ["nevus", "melanoma", "bcc"][i % 3],
                "patient_id": f"p{i // 2}",
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium through playwright (tests marked ``browser``): CI installs it
    (.ci/setup-system) and fails without it; elsewhere its absence skips."""
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} missing in CI: .ci/setup-system should have installed Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); the reports' browser checks need it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev extra) not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_offline(browser):
    """``open_offline(html_path)`` loads a local file in a new 1280x900 page that may fetch only
    ``file:`` and ``data:`` URLs; returns ``(page, problems)``, where ``problems`` collects console
    errors, page errors and every blocked network request."""
    pages = []

    def open_page(path: Path):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console error: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

        def route(r):
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                problems.append(f"network request: {r.request.url}")
                r.abort()

        page.route("**/*", route)
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        pages.append(page)
        return page, problems

    yield open_page
    for page in pages:
        page.close()
