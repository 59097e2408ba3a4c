"""Run a segmenter over a case table: the ``dermkit segment predict`` stage.

For each case the image is pre-processed as at training time, resized to the model's input
size, segmented in batches, and the lesion probability is resized back to the image's own size
before post-processing, so every mask has its image's size. Test-time augmentation (``tta=True``)
averages the probability over the eight flips and 90-degree rotations of each image, each mapped
back to the image's frame (8x the inference time). ``adapt_bn=True`` first re-estimates the
model's BatchNorm statistics on the images to segment (AdaBN test-time adaptation to a new
source; one extra forward pass, no labels used). Masks are written as
``out_dir/masks/<case_id>.png`` (uint8 {0, 255}) and the table, with ``mask_pred_path``, as
``out_dir/cases.parquet``. Masks already written are complete (atomic writes), so an
interrupted run leaves only whole files.

Example:
    >>> table = predict_masks("runs/seg", "cases.parquet", "out")  # doctest: +SKIP
    >>> table["mask_pred_path"].iloc[0]  # doctest: +SKIP
    'out/masks/ISIC_0000000.png'
"""

from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import pandas as pd
import torch

from dermkit.errors import ConfigError, DataError
from dermkit.io import ImagesLike, as_rgb_images
from dermkit.models.tta import dihedral_views, undo_dihedral_view
from dermkit.segment.postprocess import Postprocessing, postprocess
from dermkit.segment.preprocess import Preprocessing, preprocess_image


class Segmenter:
    """A trained segmenter with its inference settings: ``predict_proba(images)`` / ``predict(images)``.

    Build one with :meth:`load` (a run folder) or from a model and its checkpoint config.
    ``tta=True`` averages the probability maps of the eight dihedral views of each image.

    Example:
        >>> seg = Segmenter.load("runs/seg")  # doctest: +SKIP
        >>> mask = seg.predict([image])[0]  # doctest: +SKIP
    """

    def __init__(self, model: torch.nn.Module, config: dict[str, Any], device: str = "cpu", tta: bool = False) -> None:
        missing = [k for k in ("input_size", "mean", "std") if k not in config]
        if missing:
            raise DataError(
                f"the segmenter's config lacks {', '.join(missing)}: the inference settings train_segmenter saves "
                "(pass them to segmenter_config, e.g. input_size=128, mean=..., std=...)"
            )
        self.model = model.eval().to(device)
        self.device = device
        self.tta = tta
        self.input_size = int(config["input_size"])
        self.mean = torch.tensor(config["mean"], dtype=torch.float32).view(1, 3, 1, 1) * 255.0
        self.std = torch.tensor(config["std"], dtype=torch.float32).view(1, 3, 1, 1) * 255.0
        self.preprocessing = Preprocessing.from_dict(config.get("preprocessing"))
        self.postprocessing = Postprocessing.from_dict(config.get("postprocessing"))

    @classmethod
    def load(cls, run_dir: str | os.PathLike[str], device: str = "cpu", tta: bool = False) -> "Segmenter":
        """Load the model and settings saved by :func:`dermkit.segment.train_segmenter`."""
        from dermkit.models.segmenter import load_segmenter

        model, config = load_segmenter(run_dir)
        from dermkit.models.device import check_device

        return cls(model, config, check_device(device), tta)

    def _batch(self, images: list[np.ndarray]) -> torch.Tensor:
        """The model's input for RGB uint8 images: pre-processed, resized and normalised."""
        import cv2

        size = (self.input_size, self.input_size)
        arr = np.stack([cv2.resize(preprocess_image(im, self.preprocessing), size, interpolation=cv2.INTER_LINEAR) for im in images])
        x = torch.from_numpy(arr).permute(0, 3, 1, 2).float()
        return ((x - self.mean) / self.std).to(self.device)

    @torch.inference_mode()
    def predict_proba(self, images: ImagesLike) -> list[np.ndarray]:
        """Lesion probability maps (float32, each of its image's ``(H, W)``) of ``images``: a list (or any
        iterable) of arrays or file paths, or an ``(N, H, W, C)`` array. Arrays may be grey, RGB or RGBA,
        uint8, uint16 or float in [0, 1] (converted by :func:`dermkit.io.to_rgb_uint8`)."""
        import cv2

        images = list(as_rgb_images(images))
        if not images:
            return []
        x = self._batch(images)
        views = dihedral_views(x) if self.tta else (x,)  # view 0 is the image itself
        prob = torch.stack([undo_dihedral_view(torch.sigmoid(self.model(v).float()), i) for i, v in enumerate(views)]).mean(dim=0)
        probs = prob[:, 0].cpu().numpy()
        return [cv2.resize(p, (im.shape[1], im.shape[0]), interpolation=cv2.INTER_LINEAR) for p, im in zip(probs, images)]

    def adapt_batchnorm(self, images: ImagesLike, batch_size: int = 16) -> int:
        """Re-estimate every BatchNorm layer's statistics on unlabelled images of a new source (AdaBN).

        The running means and variances saved at training time describe the training images'
        features; images from another camera or clinic shift them. This replaces them, in place,
        with the average batch statistics of ``images`` (as for :meth:`predict_proba`, pre-processed
        and resized as for prediction; any iterable, read lazily) in batches of ``batch_size``, through
        :func:`torch.optim.swa_utils.update_bn`. The weights are untouched; load the run again
        to undo. A few dozen images of the new source give stable statistics. Returns the
        number of images seen. If reading ``images`` fails part-way (e.g. a corrupt file), the
        statistics, momenta and eval mode are put back as they were before the error is raised.

        Raises:
            ConfigError: the model has no BatchNorm layers, or ``images`` is empty.

        Example:
            >>> seg = Segmenter.load("runs/seg")  # doctest: +SKIP
            >>> seg.adapt_batchnorm(new_clinic_images)  # doctest: +SKIP
            48
        """
        from torch.optim.swa_utils import update_bn

        norms = [m for m in self.model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        if not norms:
            raise ConfigError("adapt_batchnorm: the model has no BatchNorm layers to adapt")
        stream = as_rgb_images(images)
        chunks = iter(lambda: list(itertools.islice(stream, batch_size)), [])  # lists of batch_size, until empty
        first = next(chunks, None)
        if first is None:  # checked before update_bn resets the statistics
            raise ConfigError("adapt_batchnorm: no images to adapt the BatchNorm statistics on")
        sizes: list[int] = []

        def batches() -> Iterator[torch.Tensor]:
            for chunk in itertools.chain([first], chunks):
                sizes.append(len(chunk))
                yield self._batch(chunk)

        saved = [(m.momentum, {k: b.clone() for k, b in m.named_buffers()}) for m in norms]
        was_training = self.model.training
        try:
            update_bn(batches(), self.model)
        except BaseException:  # update_bn stopped half-way: reset statistics, momentum None, train mode
            with torch.no_grad():
                for m, (momentum, buffers) in zip(norms, saved):
                    m.momentum = momentum
                    for k, b in m.named_buffers():
                        b.copy_(buffers[k])
            self.model.train(was_training)
            raise
        return sum(sizes)

    def predict(self, images: ImagesLike, postprocessing: Postprocessing | Mapping[str, Any] | None = None) -> list[np.ndarray]:
        """Bool lesion masks of the images' sizes (``images`` as for :meth:`predict_proba`),
        post-processed (default: the run's settings; a dict is read by :meth:`Postprocessing.from_dict`)."""
        settings = Postprocessing.from_dict(postprocessing) if isinstance(postprocessing, Mapping) else postprocessing or self.postprocessing
        return [postprocess(p, settings) for p in self.predict_proba(images)]


def _batches(paths: list[str], batch_size: int) -> Iterator[tuple[int, list[np.ndarray]]]:
    from dermkit.io import read_image

    for start in range(0, len(paths), batch_size):
        yield start, [read_image(p) for p in paths[start : start + batch_size]]


def _overlay(image: np.ndarray, truth_path: object, pred: np.ndarray) -> np.ndarray:
    """The image with the predicted outline and, when ``truth_path`` names a mask, the true one."""
    from dermkit.io import read_mask
    from dermkit.segment.report import overlay_contours

    truth = read_mask(truth_path, image.shape[:2]) if isinstance(truth_path, str) and truth_path else None
    return overlay_contours(image, truth, pred, size=512)


def predict_masks(
    model: str | os.PathLike[str] | Segmenter,
    cases: pd.DataFrame | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    postprocessing: Postprocessing | Mapping[str, Any] | None = None,
    batch_size: int = 8,
    device: str = "cpu",
    tta: bool = False,
    adapt_bn: bool = False,
    overlays: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """Segment every case's image; write ``out_dir/masks/<case_id>.png`` and ``out_dir/cases.parquet``.

    Returns the case table with ``mask_pred_path`` (absolute paths, as saved). ``overlays`` also
    writes ``out_dir/overlays/<case_id>.jpg``: the image (longest side at most 512 px) with the
    predicted outline in magenta and, where the case has a ``mask_path``, the true one in green
    (:func:`dermkit.segment.report.overlay_contours`), listed in an ``overlay_path`` column.
    ``postprocessing`` overrides the run's settings; ``tta`` averages over the eight dihedral
    views of each image (a loaded :class:`Segmenter` keeps its own ``tta`` and ``device``). ``adapt_bn`` first
    re-estimates the BatchNorm statistics on all the table's images
    (:meth:`Segmenter.adapt_batchnorm`; a :class:`Segmenter` passed in is changed in place).
    ``masks/`` and ``overlays/`` are written beside ``out_dir``'s and replace them only once every
    image is done, so an error (an unreadable image, say) leaves an earlier output as it was. File
    names are the case ids made safe (:func:`dermkit.io.file_stems`).

    Example:
        >>> predict_masks("runs/seg", cases, "out", postprocessing=Postprocessing(fill_holes=False))  # doctest: +SKIP
    """
    from rich.progress import Progress

    from dermkit.cases import load_cases, save_cases
    from dermkit.io import atomic_folder, check_mask_sizes, file_stems, write_image

    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    seg = model if isinstance(model, Segmenter) else Segmenter.load(model, device, tta)
    table = load_cases(cases)
    if table.empty:
        raise DataError(f"{cases if not isinstance(cases, pd.DataFrame) else 'case table'}: no cases to segment")
    truths = list(table["mask_path"]) if "mask_path" in table.columns else [None] * len(table)
    if overlays:
        check_mask_sizes(table["image_path"], truths)
    out = Path(out_dir)
    names = file_stems(table["case_id"], out)
    paths = [out / "masks" / f"{name}.png" for name in names]
    if adapt_bn:
        from dermkit.io import read_image

        seg.adapt_batchnorm((read_image(p) for p in table["image_path"]), batch_size=batch_size)
    overlay_paths = [out / "overlays" / f"{name}.jpg" for name in names] if overlays else []
    with contextlib.ExitStack() as folders, Progress(disable=not progress) as bar:  # masks/ and overlays/ replaced only at the end
        mask_dir = folders.enter_context(atomic_folder(out / "masks"))
        overlay_dir = folders.enter_context(atomic_folder(out / "overlays")) if overlays else None
        task = bar.add_task("segmenting", total=len(table))
        for start, images in _batches(list(table["image_path"]), batch_size):
            for i, mask in enumerate(seg.predict(images, postprocessing)):
                write_image(mask_dir / paths[start + i].name, mask)
                if overlay_dir is not None:
                    write_image(overlay_dir / overlay_paths[start + i].name, _overlay(images[i], truths[start + i], mask))
            bar.advance(task, len(images))
    result = table.copy()
    result["mask_pred_path"] = pd.Series([str(p.resolve()) for p in paths], index=result.index, dtype="string")
    if overlays:
        result["overlay_path"] = pd.Series([str(p.resolve()) for p in overlay_paths], index=result.index, dtype="string")
    save_cases(result, out / "cases.parquet")
    return result
