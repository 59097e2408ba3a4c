"""The HTML report in headless Debian Chromium: renders, no console errors, no network, all images load.

Runs in the default test suite (CI installs chromium through .ci/setup-system); outside CI it is
skipped when /usr/bin/chromium is absent (the ``browser`` fixture of tests/conftest.py). ``DERMKIT_SCREENSHOT=docs/images/report.png`` also
saves a screenshot of the rendered report there (how docs/images/report.png is made).
"""

import os
import shutil
import warnings
from pathlib import Path

import pytest

from dermkit.evaluate import write_report

pytestmark = pytest.mark.browser


def test_report_renders_without_errors(tmp_path, table_factory, open_offline):
    preds, cases = table_factory(tmp_path, n=120, images=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        paths = write_report(
            preds, cases, tmp_path / "out", by=["skin_tone", "site"], n_boot=50,
            counterfactual={"flip_rate": 0.08, "flip_rate_any": 0.21, "per_target": {"very_light": 0.02, "dark": 0.17}, "target_itas": {"very_light": 65.0, "dark": -50.0}, "n_images": 120, "n_skipped": 0, "skipped": []},
        )
    page, problems = open_offline(paths["html"])
    assert problems == []
    assert page.title() == "dermkit evaluation"
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
    assert len(images) >= 5 and all(ok and width > 0 for ok, width in images)
    assert page.locator("#group-skin_tone table tr").count() == 1 + 3  # header + light, tan, dark
    assert "balanced accuracy" in page.locator("#summary").inner_text().lower()
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    target = os.environ.get("DERMKIT_SCREENSHOT")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)
