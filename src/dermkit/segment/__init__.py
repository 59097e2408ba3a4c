"""Lesion segmentation: training, prediction, evaluation, and switchable pre/post-processing.

Example:
    >>> from dermkit.segment import train_segmenter, predict_masks, evaluate_masks  # doctest: +SKIP
    >>> run = train_segmenter("cases.parquet", "runs/seg", epochs=5)  # doctest: +SKIP
    >>> table = predict_masks(run, "cases.parquet", "out")  # doctest: +SKIP
    >>> per_image, summary = evaluate_masks(table)  # doctest: +SKIP
"""

from dermkit.segment.evaluate import check_same_truth, evaluate_masks, paired_differences
from dermkit.segment.postprocess import Postprocessing, largest_component, postprocess
from dermkit.segment.predict import Segmenter, predict_masks
from dermkit.segment.preprocess import Preprocessing, clahe, preprocess_cases, preprocess_image
from dermkit.segment.train import train_segmenter

__all__ = [
    "Postprocessing",
    "Preprocessing",
    "Segmenter",
    "check_same_truth",
    "clahe",
    "evaluate_masks",
    "largest_component",
    "paired_differences",
    "postprocess",
    "predict_masks",
    "preprocess_cases",
    "preprocess_image",
    "train_segmenter",
]
