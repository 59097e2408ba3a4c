"""The segmentation report: outlines drawn where the masks' boundaries are, the gallery in score order,
and a report.html that shows the scores it was given (masks with hand-known Jaccard values)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from dermkit.errors import DataError
from dermkit.segment import evaluate_masks, paired_differences
from dermkit.segment.report import PRED_COLOUR, TRUTH_COLOUR, gallery_rows, overlay_contours, write_segmentation_report


def rectangle(shape: tuple[int, int], rows: slice, cols: slice) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[rows, cols] = True
    return mask


def test_overlay_draws_truth_and_prediction_outlines_and_leaves_the_rest():
    image = np.full((40, 60, 3), 120, np.uint8)
    truth = rectangle((40, 60), slice(10, 20), slice(10, 30))
    pred = rectangle((40, 60), slice(15, 25), slice(20, 40))
    out = overlay_contours(image, truth, pred, size=60, thickness=1)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert out[10, 15].tolist() == list(TRUTH_COLOUR)  # top edge of the truth, away from the prediction
    assert out[24, 35].tolist() == list(PRED_COLOUR)  # bottom edge of the prediction
    assert out[19, 25].tolist() == list(TRUTH_COLOUR)  # the truth's bottom edge shows inside the prediction
    assert out[19, 20].tolist() == list(PRED_COLOUR)  # where the outlines cross, the prediction's is on top
    assert out[12, 12].tolist() == [120, 120, 120] and out[35, 5].tolist() == [120, 120, 120]  # inside and outside: untouched
    assert image[10, 15].tolist() == [120, 120, 120]  # the input is not drawn on


def test_overlay_shrinks_to_size_and_rejects_a_mask_of_another_size():
    image = np.zeros((300, 400, 3), np.uint8)
    truth = rectangle((300, 400), slice(100, 200), slice(100, 300))
    out = overlay_contours(image, truth, np.zeros((300, 400), bool), size=100)
    assert out.shape == (75, 100, 3)
    assert (out == TRUTH_COLOUR).all(axis=2).any() and not (out == PRED_COLOUR).all(axis=2).any()  # an empty prediction draws nothing
    alone = overlay_contours(image, None, truth, size=100)  # no truth: the prediction's outline only
    assert (alone == PRED_COLOUR).all(axis=2).any() and not (alone == TRUTH_COLOUR).all(axis=2).any()
    with pytest.raises(DataError, match=r"predicted mask is 40x30 but the image is 400x300"):
        overlay_contours(image, truth, np.zeros((30, 40), bool))


def test_gallery_takes_the_lowest_scores_then_the_middle_of_the_rest():
    scores = pd.DataFrame({"case_id": [f"c{i}" for i in range(10)], "jaccard": [0.5, 0.1, 0.9, 0.1, 0.3, 0.8, 0.6, 0.7, 0.2, 0.4]})
    worst, typical = gallery_rows(scores, n_worst=3, n_typical=2)
    assert worst["case_id"].tolist() == ["c1", "c3", "c8"]  # ties (0.1) by case id
    assert typical["jaccard"].tolist() == [0.5, 0.6]  # the rest is 0.3 ... 0.9: its middle two
    worst, typical = gallery_rows(scores.head(2), n_worst=3, n_typical=2)
    assert len(worst) == 2 and typical.empty


def test_failure_kinds_by_area_ratio_with_the_bounds_and_an_empty_truth():
    from dermkit.segment.evaluate import failure_kinds

    scores = pd.DataFrame({"jaccard": [0.9, 0.6, 0.6, 0.6, 0.6, 0.0], "area_ratio": [0.2, 0.69, 0.7, 1.3, 1.31, np.nan]})
    # 0.9 passes whatever its ratio; 0.7 and 1.3 are still "about the right size"; a lesion drawn on empty truth is larger
    assert failure_kinds(scores) == {"n": 5, "smaller": 1, "larger": 2, "similar_size": 2}


@pytest.fixture()
def scored(ellipse_cases, tmp_path):
    """Four cases (copied, so that a test may delete a file) whose predictions score Jaccard 1 (c0),
    0 (c1: empty), about 0.5 (c2: half the lesion) and above 0.65 (c3: its last rows missed)."""
    import shutil

    from dermkit.io import read_mask, write_image

    cases = ellipse_cases.iloc[:4].reset_index(drop=True).copy()
    for col in ("image_path", "mask_path"):
        cases[col] = [shutil.copy(path, tmp_path) for path in cases[col]]
    preds = []
    for i, path in enumerate(cases["mask_path"]):
        truth = read_mask(path)
        if i == 0:
            pred = truth
        elif i == 1:
            pred = np.zeros_like(truth)
        elif i == 2:  # keep the rows of the truth that hold its first half of lesion pixels
            rows = np.cumsum(truth.sum(axis=1))
            pred = truth & (rows <= rows[-1] / 2)[:, None]
        else:
            pred = truth.copy()
            pred[np.flatnonzero(truth.any(axis=1))[-3:], :] = False  # the last three rows of the lesion missed
        preds.append(tmp_path / f"pred{i}.png")
        write_image(preds[-1], pred)
    cases["mask_pred_path"] = [str(p) for p in preds]
    per_image, summary = evaluate_masks(cases, by=("skin_tone",))
    return cases, per_image, summary


def test_report_shows_the_scores_and_the_worst_image_first(scored, tmp_path):
    cases, per_image, summary = scored
    jaccard = per_image.set_index("case_id")["jaccard"]
    assert jaccard["c0"] == 1.0 and jaccard["c1"] == 0.0 and jaccard["c2"] == pytest.approx(0.5, abs=0.05) and 0.65 < jaccard["c3"] < 1
    path = write_segmentation_report(per_image, summary, cases, tmp_path / "out", n_worst=2, n_typical=2)
    html = path.read_text()
    assert path == tmp_path / "out" / "report.html" and [p.name for p in path.parent.iterdir()] == ["report.html"]  # no temp file left
    assert f"{summary['overall']['thresholded_jaccard']:.3f}" in html and "50%" in html  # two images in four are under 0.65 (c1 at 0, c2 at 0.5)
    assert "By skin_tone" in html and "Against the other predictions" not in html
    assert summary["overall"]["failures"] == {"n": 2, "smaller": 2, "larger": 0, "similar_size": 0}  # c1 drawn empty, c2 half
    assert "Of the 2 images under 0.65, the prediction is <b>smaller</b> than the truth in 2" in html
    assert per_image.set_index("case_id")["area_ratio"]["c1"] == 0.0 and summary["overall"]["area_ratio_median"] == pytest.approx(jaccard.loc[["c2", "c3"]].mean())  # inside the truth, area ratio = Jaccard; median of 0, c2, c3, 1
    tiles = re.findall(r'<div class="id" title="([^"]+)">', html)
    assert tiles == ["c1", "c2", "c3", "c0"]  # the two worst, then the other two in score order
    assert html.count('src="data:image/jpeg') == 4 and html.count('src="data:image/png') == 2  # four overlays; histogram + group figure
    assert html.count(" ⚠</td>") == 2  # brown and light: two images each, under the default 30
    html = write_segmentation_report(per_image, summary, cases, tmp_path / "out", min_group_size=2).read_text()
    assert " ⚠</td>" not in html and "fewer than 2 images" in html


def test_report_with_a_comparison_and_an_unreadable_image(scored, tmp_path):
    from pathlib import Path

    cases, per_image, summary = scored
    better = per_image.assign(thresholded_jaccard=per_image["thresholded_jaccard"] + 0.1)
    comparison = paired_differences(per_image, better, by=("skin_tone",))
    Path(cases.loc[1, "image_path"]).unlink()  # a file gone since scoring: its tile says so, the report is still written
    html = write_segmentation_report(per_image, summary, cases, tmp_path / "out", comparison=comparison).read_text()
    assert "Against the other predictions" in html and "+0.100" in html and "skin_tone=brown" in html
    assert html.count("image unreadable") == 1 and html.count('src="data:image/jpeg') == 3


@pytest.mark.browser
def test_report_renders_offline_in_chromium(scored, tmp_path, open_offline):
    cases, per_image, summary = scored
    comparison = paired_differences(per_image, per_image, by=("skin_tone",))
    page, problems = open_offline(write_segmentation_report(per_image, summary, cases, tmp_path / "out", comparison=comparison))
    assert problems == []
    assert page.title() == "dermkit segmentation evaluation"
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
    assert len(images) == 2 + 4 and all(ok and width > 0 for ok, width in images)  # histogram, group bars, four overlays
    assert page.locator("#group-skin_tone table tr").count() == 1 + 2  # header + brown, light
    assert page.locator("#comparison table tr").count() == 1 + 3  # header + overall, two skin tones
