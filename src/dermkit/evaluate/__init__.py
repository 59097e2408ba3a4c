"""Evaluation: ISIC-standard metrics, group and fairness metrics, calibration, and the HTML report.

Submodules: :mod:`~dermkit.evaluate.segmentation` (Jaccard, Dice, ISIC 2018 thresholded Jaccard,
HD95 on bool masks).
"""
