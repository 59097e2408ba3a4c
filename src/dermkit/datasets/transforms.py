"""The one place image pipelines are built (in the style of timm's ``transforms_factory``).

:func:`create_transform` returns an albumentations ``Compose`` that takes ``image=`` (RGB uint8
``H×W×3``) and optionally ``mask=`` (uint8 ``H×W``) and transforms both jointly, so a lesion
mask stays aligned with its image through every crop, flip and rotation. The last steps are
normalisation and ``ToTensorV2``: the image comes out as a float ``3×H×W`` tensor.

Example:
    >>> tf = create_transform(224, train=True, seed=0)
    >>> out = tf(image=image, mask=mask)  # doctest: +SKIP
    >>> out["image"].shape  # doctest: +SKIP
    torch.Size([3, 224, 224])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

from dermkit.errors import ConfigError

if TYPE_CHECKING:
    import albumentations as A

IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)
#: The training-augmentation options of :func:`create_transform` a run's ``augment`` may set.
AUGMENT_OPTIONS: tuple[str, ...] = ("scale", "hflip", "vflip", "rotate", "color_jitter")


def check_augment(options: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """``options`` as a dict, after checking every key is one of :data:`AUGMENT_OPTIONS`.

    ``options`` may also be a YAML mapping as text (a command-line value such as
    ``'{scale: [0.25, 1.0]}'``); ``None`` gives ``{}`` (the defaults). Text that is not a mapping, or
    an unknown key, is a :class:`ConfigError` naming it, so a misspelt option fails before
    training starts; the values are checked by :func:`create_transform`.

    Example:
        >>> check_augment("{scale: [0.25, 1.0]}")
        {'scale': [0.25, 1.0]}
    """
    if options is None:
        return {}
    parsed = _yaml_value(options) if isinstance(options, str) else options
    if not isinstance(parsed, Mapping):
        raise ConfigError(f"augment options must be a mapping such as {{scale: [0.25, 1.0]}}, got {options!r}")
    unknown = sorted(set(parsed) - set(AUGMENT_OPTIONS), key=str)
    if unknown:
        raise ConfigError(f"unknown augment option(s) {', '.join(map(str, unknown))}; known: {', '.join(AUGMENT_OPTIONS)}")
    return dict(parsed)


def _yaml_value(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text  # not YAML at all: reported as not a mapping


def _size(image_size: int | Sequence[int]) -> tuple[int, int]:
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
        raise ConfigError(f"image_size must be a positive int or (height, width), got {image_size!r}")
    return size  # type: ignore[return-value]


def _jitter(color_jitter: float | Sequence[float]) -> tuple[float, float, float, float]:
    values = (color_jitter,) * 3 + (0.0,) if isinstance(color_jitter, (int, float)) else tuple(color_jitter)
    if len(values) == 3:
        values = values + (0.0,)
    if len(values) != 4 or any(v < 0 for v in values) or values[3] > 0.5:
        raise ConfigError(
            f"color_jitter must be a non-negative float or (brightness, contrast, saturation[, hue<=0.5]), got {color_jitter!r}"
        )
    return values  # type: ignore[return-value]


def create_transform(
    image_size: int | Sequence[int],
    train: bool = False,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
    *,
    scale: tuple[float, float] = (0.6, 1.0),
    hflip: float = 0.5,
    vflip: float = 0.5,
    rotate: float = 180.0,
    color_jitter: float | Sequence[float] = 0.2,
    extra: Sequence[object] = (),
    seed: int | None = None,
) -> A.Compose:
    """Build the image(+mask) pipeline for training (``train=True``) or evaluation.

    Evaluation: resize to ``image_size``. Training: random resized crop covering ``scale`` of the
    image, horizontal/vertical flips with probabilities ``hflip``/``vflip``, a rotation within
    ``±rotate`` degrees (half the time; dermoscopic images have no up), and a colour jitter
    (timm convention: a float sets brightness, contrast and saturation; a 4-tuple adds hue). Set
    an option to 0 to switch it off. ``extra`` albumentations transforms (e.g. the imaging stage's
    ``SkinToneShift``) run after the geometric ones and before normalisation, in both modes.
    Both end with ``Normalize(mean, std)`` and ``ToTensorV2``. ``seed`` makes the random draws
    repeatable (use :func:`dermkit.datasets.torch_dataset.seed_worker` with several DataLoader
    workers).

    Example:
        >>> tf = create_transform((192, 256), train=False)
        >>> tf(image=np.zeros((100, 120, 3), np.uint8))["image"].shape  # doctest: +SKIP
        torch.Size([3, 192, 256])
    """
    import albumentations as A
    from albumentations.pytorch import ToTensorV2

    height, width = _size(image_size)
    if len(mean) != 3 or len(std) != 3 or any(s <= 0 for s in std):
        raise ConfigError(f"mean and std need three values (std > 0), got mean={list(mean)} std={list(std)}")
    steps: list = []
    if train:
        try:
            steps += _training_steps(height, width, scale, hflip, vflip, rotate, color_jitter)
        except TypeError as exc:  # a value of the wrong type, e.g. scale=0.25 instead of (min, max)
            raise ConfigError(f"bad augment option: {exc}") from None
    else:
        steps.append(A.Resize(height, width))
    steps.extend(extra)
    steps += [A.Normalize(mean=tuple(mean), std=tuple(std), max_pixel_value=255.0), ToTensorV2()]
    return A.Compose(steps, seed=seed)


def _training_steps(height: int, width: int, scale, hflip, vflip, rotate, color_jitter) -> list:
    """The random steps of :func:`create_transform` (``train=True``), after checking their values."""
    import albumentations as A
    import cv2

    lo, hi = scale
    if not 0 < lo <= hi <= 1:
        raise ConfigError(f"scale must satisfy 0 < min <= max <= 1, got {scale!r}")
    for name, p in (("hflip", hflip), ("vflip", vflip)):
        if not 0 <= p <= 1:
            raise ConfigError(f"{name} is a probability in [0, 1], got {p!r}")
    steps: list = [A.RandomResizedCrop(size=(height, width), scale=(lo, hi))]
    if hflip:
        steps.append(A.HorizontalFlip(p=hflip))
    if vflip:
        steps.append(A.VerticalFlip(p=vflip))
    if rotate:
        steps.append(A.Affine(rotate=(-abs(rotate), abs(rotate)), border_mode=cv2.BORDER_REFLECT_101, p=0.5))
    brightness, contrast, saturation, hue = _jitter(color_jitter)
    if any((brightness, contrast, saturation, hue)):
        steps.append(A.ColorJitter(brightness=brightness, contrast=contrast, saturation=saturation, hue=hue, p=0.8))
    return steps
