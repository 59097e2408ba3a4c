"""metrics.json and report.html: strict JSON, self-contained HTML, embedded figures and thumbnails."""

import json
import re
import warnings

import pytest

from dermkit.errors import DataError
from dermkit.evaluate import write_report
from dermkit.evaluate.report import jsonable, worst_errors


def no_nan(token):
    raise AssertionError(f"non-standard JSON constant {token}")


def test_report_files(tmp_path, table_factory):
    preds, cases = table_factory(tmp_path, n=80, images=True)
    cases.loc[0, "site"] = "lonely"  # a group of one: NaN AUC must become null
    warnings.simplefilter("ignore")  # small groups, on purpose
    paths = write_report(preds, cases, tmp_path / "out", by=["skin_tone", "site"], n_boot=10, counterfactual={"flip_rate": 0.1, "flip_rate_any": 0.2, "per_target": {"dark": 0.3}, "target_itas": {"dark": -50.0}, "n_images": 5, "n_skipped": 0, "skipped": []})
    metrics = json.loads(paths["json"].read_text(), parse_constant=no_nan)
    assert metrics["groups"]["site"]["lonely"]["auc_macro"] is None
    assert metrics["counterfactual"]["flip_rate"] == 0.1
    html = paths["html"].read_text()
    for section in ("summary", "classes", "calibration", "group-skin_tone", "group-site", "counterfactual", "errors"):
        assert f'id="{section}"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from the network
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 5  # roc, confusion, reliability, 2 group plots
    assert html.count('src="data:image/jpeg;base64,') == min(12, int((preds["pred"] != cases["diagnosis"]).sum()))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["metrics.json", "report.html"]


def test_missing_images_show_a_placeholder(tmp_path, tables):
    preds, cases = tables
    paths = write_report(preds, cases, tmp_path / "out", n_boot=0)
    assert "no image" in paths["html"].read_text()


def test_bad_by_writes_nothing(tmp_path, tables):
    preds, cases = tables
    with pytest.raises(DataError, match="cannot group by"):
        write_report(preds, cases, tmp_path / "out", by=["nope"])
    assert not (tmp_path / "out").exists()


def test_worst_errors_order():
    import numpy as np
    import pandas as pd

    t = pd.DataFrame({"case_id": list("abcd"), "image_path": list("abcd")})
    probs = np.array([[0.9, 0.1], [0.3, 0.7], [0.05, 0.95], [0.6, 0.4]])
    w = worst_errors(t, ["x", "y"], np.array([0, 0, 0, 1]), probs, probs.argmax(1), n=5)
    assert w["case_id"].tolist() == ["c", "b", "d"]
    assert w["confidence"].tolist() == pytest.approx([0.95, 0.7, 0.6])


def test_jsonable():
    assert jsonable({"a": [float("inf"), 1]}) == {"a": [None, 1]}


def test_group_figure_takes_one_metric_as_a_string():
    from dermkit.evaluate.figures import group_figure

    g = {"a": {"n": 40, "small": False, "accuracy": 0.8, "ci": {"accuracy": [0.7, 0.9]}}}
    fig = group_figure("site", g, "accuracy")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["accuracy"]


@pytest.mark.parametrize("folder, file", [("report.html", "metrics.json"), ("metrics.json", "report.html")])
def test_a_report_that_cannot_be_written_leaves_the_earlier_pair_alone(tmp_path, tables, folder, file):
    preds, cases = tables
    out = tmp_path / "out"
    (out / folder).mkdir(parents=True)
    (out / file).write_text("old")
    warnings.simplefilter("ignore")
    with pytest.raises(DataError, match=rf"cannot write .*out/{folder}: it is a folder"):  # named a .report.html.*.tmp.html file
        write_report(preds, cases, out, n_boot=0)
    assert (out / file).read_text() == "old"  # the new metrics.json (or report.html, when metrics.json was the folder) replaced it
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "report.html"]


def test_grouping_by_an_artifact_no_case_has_is_refused(tables):
    from dermkit.evaluate import evaluate

    preds, cases = tables
    with pytest.raises(DataError, match=r"cannot group by 'artifact_rular': no case has artifact 'rular'; artifacts in the table: hair, ruler"):
        evaluate(preds, cases, by="artifact_rular", n_boot=0)  # every case went into group 'no'


def test_roc_of_a_single_class_draws_a_note_without_a_matplotlib_warning():
    import numpy as np

    from dermkit.evaluate.figures import roc_figure

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "No artists with labels found to put in legend" reached the CLI's output
        fig = roc_figure(np.zeros(4, int), np.tile([[0.8, 0.2]], (4, 1)), ["nevus", "melanoma"])
    assert "single class" in fig.axes[0].texts[0].get_text()
