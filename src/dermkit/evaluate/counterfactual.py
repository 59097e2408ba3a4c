"""Counterfactual skin-tone flip rate: do predictions change when only the skin tone changes?

Each image is re-rendered at several target ITAs with
:func:`dermkit.imaging.tone_transform.shift_skin_tone` (same lesion, same contrast with the skin,
other skin colour) and passed through the model again. The **flip rate** is the share of
(image, target tone) pairs whose predicted class differs from the prediction on the original
image; a tone-fair model has a flip rate near 0.

Defined behaviour: an image with no healthy skin to measure cannot be shifted; it is skipped and
counted in ``n_skipped`` (its case id listed in ``skipped``). With no image left the rates are
``nan``.

Example:
    >>> import numpy as np
    >>> imgs = [np.full((32, 32, 3), (200, 160, 130), np.uint8)]
    >>> brightness = lambda ims: np.array([[m, 1 - m] for m in (im.mean() / 255 for im in ims)])
    >>> r = skin_tone_flip_rate(brightness, imgs, target_itas={"light": 48.0, "dark": -50.0}, progress=False)
    >>> r["per_target"]["dark"], r["per_target"]["light"]
    (1.0, 0.0)
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from dermkit.checks import as_names, check_count
from dermkit.errors import ConfigError, DataError
from dermkit.io import ImagesLike, as_rgb_images


def tone_targets() -> dict[str, float]:
    """A representative ITA (degrees) inside each skin-tone category of :mod:`dermkit.imaging.ita`.

    Interior categories get their midpoint; the open-ended lightest and darkest get a point 10
    and 20 degrees beyond their bound.

    Example:
        >>> tone_targets()["tan"]
        19.0
    """
    from dermkit.imaging.ita import ITA_CATEGORIES

    out = {}
    upper = None
    for bound, name in ITA_CATEGORIES:  # ordered from light (high ITA) to dark
        if upper is None:
            out[name] = bound + 10.0
        elif np.isinf(bound):
            out[name] = upper - 20.0
        else:
            out[name] = (bound + upper) / 2.0
        upper = bound
    return out


def skin_tone_flip_rate(
    predict_fn: Callable[[list[np.ndarray]], np.ndarray],
    images: ImagesLike,
    masks: Sequence[np.ndarray | None] | None = None,
    target_itas: Mapping[str, float] | None = None,
    case_ids: Sequence[str] | None = None,
    batch_size: int = 32,
    progress: bool = True,
) -> dict:
    """Share of predictions that change when only the skin tone of the image changes.

    ``images`` is a list of images (arrays :func:`dermkit.io.to_rgb_uint8` converts: grey, RGBA,
    uint16, float; or file paths) or an ``(N, H, W, C)`` array; one image on its own raises
    :class:`DataError` (pass ``[image]``). Each is converted once to RGB uint8, so the model sees
    the original and its counterfactuals in the same form.
    ``predict_fn(images) -> (N, C) probabilities`` takes a list of RGB uint8 images; ``masks``
    are the lesion masks (recommended: the lesion is then kept out of the skin measurement);
    ``target_itas`` maps a name to a target ITA (default: :func:`tone_targets`). Returns
    ``flip_rate`` (over all image x target pairs), ``flip_rate_any`` (share of images flipped by
    at least one target), ``per_target`` (flip rate per target), ``mean_prob_change`` (mean
    absolute change of the originally predicted class's probability), ``n_images``,
    ``n_skipped`` and ``skipped``.
    """
    from dermkit.imaging.tone_transform import shift_skin_tone

    targets = dict(tone_targets() if target_itas is None else target_itas)
    if not targets:
        raise ConfigError("skin_tone_flip_rate: no target ITAs given")
    check_count("batch_size", batch_size, 1)
    imgs = list(as_rgb_images(images))
    mks = [None] * len(imgs) if masks is None else list(masks)
    ids = [str(i) for i in range(len(imgs))] if case_ids is None else [str(c) for c in as_names(case_ids)]
    if len(mks) != len(imgs) or len(ids) != len(imgs):
        raise DataError(f"{len(imgs)} images but {len(mks)} masks and {len(ids)} case ids")

    def predict(batch: list[np.ndarray]) -> np.ndarray:
        out = np.asarray(predict_fn(batch), dtype=float)
        if out.ndim != 2 or out.shape[0] != len(batch):
            raise DataError(f"predict_fn returned shape {out.shape} for {len(batch)} images; expected (N, C) probabilities")
        return out

    flips = {name: [] for name in targets}
    prob_change: list[float] = []
    kept: list[int] = []
    skipped: list[str] = []
    with _progress(progress, len(imgs)) as advance:
        for start in range(0, len(imgs), batch_size):
            chunk = range(start, min(start + batch_size, len(imgs)))
            shifted: dict[str, list[np.ndarray]] = {name: [] for name in targets}
            ok = []
            for i in chunk:
                try:
                    versions = {name: shift_skin_tone(imgs[i], ita, mks[i]) for name, ita in targets.items()}
                except DataError:
                    skipped.append(ids[i])
                    continue
                ok.append(i)
                for name, im in versions.items():
                    shifted[name].append(im)
            if ok:
                base = predict([imgs[i] for i in ok])
                cls = base.argmax(axis=1)
                rows = np.arange(len(ok))
                for name in targets:
                    other = predict(shifted[name])
                    flips[name].extend((other.argmax(axis=1) != cls).tolist())
                    prob_change.extend(np.abs(other[rows, cls] - base[rows, cls]).tolist())
                kept.extend(ok)
            advance(len(chunk))
    table = np.array([flips[name] for name in targets], dtype=bool).reshape(len(targets), len(kept))
    nan = float("nan")
    return {
        "flip_rate": float(table.mean()) if kept else nan,
        "flip_rate_any": float(table.any(axis=0).mean()) if kept else nan,
        "per_target": {name: (float(table[k].mean()) if kept else nan) for k, name in enumerate(targets)},
        "target_itas": {name: float(v) for name, v in targets.items()},
        "mean_prob_change": float(np.mean(prob_change)) if prob_change else nan,
        "n_images": len(kept),
        "n_skipped": len(skipped),
        "skipped": skipped,
    }


class _progress:
    """A rich progress bar over images (or nothing), as a context manager yielding ``advance(n)``."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total = enabled, total

    def __enter__(self) -> Callable[[int], None]:
        if not self.enabled:
            return lambda n: None
        from rich.progress import Progress

        self._bar = Progress(transient=True)
        self._bar.__enter__()
        task = self._bar.add_task("skin-tone counterfactuals", total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._bar.__exit__(*exc)
