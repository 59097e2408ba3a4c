"""Models: classifiers over timm, checkpoints as safetensors + JSON config.

Example:
    >>> from dermkit.models import create_classifier
    >>> create_classifier("resnet18", num_classes=7).architecture["num_classes"]
    7
"""

from dermkit.models.checkpoint import load_checkpoint, read_checkpoint_config, save_checkpoint
from dermkit.models.classifier import Classifier, create_classifier, list_classifiers, load_classifier
from dermkit.models.segmenter import create_segmenter, load_segmenter, save_segmenter

__all__ = [
    "Classifier",
    "create_classifier",
    "list_classifiers",
    "load_classifier",
    "save_checkpoint",
    "load_checkpoint",
    "read_checkpoint_config",
    "create_segmenter",
    "load_segmenter",
    "save_segmenter",
]
