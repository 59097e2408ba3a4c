"""Evaluation: ISIC-standard metrics, group and fairness metrics, calibration, and the HTML report.

Submodules, one job each:

* :mod:`~dermkit.evaluate.segmentation`: Jaccard, Dice, ISIC 2018 thresholded Jaccard, HD95.
* :mod:`~dermkit.evaluate.classification`: balanced accuracy, AUC, AUC above 80% sensitivity,
  AP, sensitivity/specificity/F1, top-k, malignant-vs-benign operating points.
* :mod:`~dermkit.evaluate.groups`: any metric by any case column, bootstrap CIs, EOD/NAR.
* :mod:`~dermkit.evaluate.calibration`: ECE, reliability bins, temperature scaling.
* :mod:`~dermkit.evaluate.counterfactual`: skin-tone flip rate.
* :mod:`~dermkit.evaluate.predictions`: the predictions table and its join with the cases.
* :mod:`~dermkit.evaluate.report`: ``metrics.json`` and the self-contained ``report.html``.

Example:
    >>> from dermkit.evaluate import evaluate, write_report  # doctest: +SKIP
    >>> metrics = evaluate(preds, cases, by=["skin_tone", "site"])  # doctest: +SKIP
    >>> write_report(preds, cases, "eval-out", by=["skin_tone"])  # doctest: +SKIP
"""

from dermkit.evaluate.core import evaluate
from dermkit.evaluate.report import write_report

__all__ = ["evaluate", "write_report"]
