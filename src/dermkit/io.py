"""Small file helpers shared by every stage: atomic writes and image/mask reading.

Outputs are written to a temporary file beside the target and renamed into place, so an
interrupted or failing run never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence, Union

import numpy as np

from dermkit.errors import ConfigError, DataError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    Example:
        >>> with atomic_path("table.parquet") as tmp:  # doctest: +SKIP
        ...     df.to_parquet(tmp)
    """
    target = Path(path)
    with _writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=target.parent)
    tmp = Path(tmp_name)
    try:
        os.close(fd)
        yield tmp
        if tmp.is_file():  # mkstemp creates 0600; give the file the mode a plain open() would
            os.chmod(tmp, 0o666 & ~_umask())
        if target.is_dir():  # os.replace's error named the temporary file
            raise DataError(f"cannot write {target}: it is a folder")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it replaces ``path`` (and all it held) only if the block succeeds.

    On an error the temporary folder is removed and ``path`` stays as it was, so a run that fails
    half-way never leaves a mix of old and new files.

    Example:
        >>> with atomic_folder("out/masks") as tmp:  # doctest: +SKIP
        ...     write_image(tmp / "c1.png", mask)
    """
    import shutil

    target = Path(path)
    with _writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield staging
        os.chmod(staging, 0o777 & ~_umask())
        old = staging.with_name(staging.name + ".old")
        if target.exists():
            os.replace(target, old)
        try:
            os.replace(staging, target)
        except BaseException:  # put the earlier folder back rather than leave none
            if old.exists():
                os.replace(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def _writing(target: Path) -> Iterator[None]:
    """Turn a failure to create ``target``'s folder or a file beside it into one :class:`DataError` naming ``target``."""
    try:
        yield
    except (FileExistsError, NotADirectoryError) as exc:
        blocker = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
        raise DataError(f"cannot write {target}: {blocker or exc.filename} is a file, not a folder") from exc
    except OSError as exc:
        raise DataError(f"cannot write {target}: {exc.strerror or exc}") from exc


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def file_identity(path: str | os.PathLike[str] | None) -> list[int] | None:
    """``[size, mtime_ns]`` of a file (``None`` for no path or a missing file): what a resumed run
    compares to know that a result it kept was made from the file as it is now."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as RGB uint8 ``(H, W, 3)``.

    Grayscale images are repeated to three channels, an alpha channel is dropped and 16-bit
    images are scaled to 8 bits. A missing or undecodable file raises :class:`DataError` naming it.
    """
    import cv2

    return to_rgb_uint8(_decode(path, cv2.IMREAD_UNCHANGED, "image"), source=str(path), bgr=True)


def _decode(path: str | os.PathLike[str], flags: int, kind: str) -> np.ndarray:
    """Decode an image file with OpenCV; a missing or undecodable file is a :class:`DataError`."""
    import cv2

    p = Path(path)
    if not p.is_file():
        raise DataError(f"{kind} file not found: {p}")
    data = np.fromfile(p, dtype=np.uint8)
    img = cv2.imdecode(data, flags) if data.size else None
    if img is None:
        raise DataError(f"cannot decode {kind} (corrupt or not an image): {p}")
    return img


def to_rgb_uint8(img: np.ndarray, source: str = "image", bgr: bool = False) -> np.ndarray:
    """Convert a grayscale / RGB / RGBA array of uint8, uint16 or float to RGB uint8.

    A float image whose largest value is at most 2 is taken as scaled to [0, 1] (values a little
    outside it, as resizing or augmentation leaves, are clipped); one with larger values as scaled
    to [0, 255]. ``bgr=True`` says the channels are in OpenCV's BGR order.
    """
    arr = np.asarray(img)
    if arr.dtype == np.uint16:
        arr = (arr.astype(np.float32) / 257.0).round().astype(np.uint8)
    elif arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise DataError(f"{source}: image has NaN or infinite values")
        scale = 255.0 if arr.max(initial=0.0) <= 2.0 else 1.0  # a [0, 255] image with nothing above 2 would be black
        arr = np.clip(arr * scale, 0, 255).round().astype(np.uint8)
    elif arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype != np.uint8:
        raise DataError(f"{source}: unsupported image dtype {arr.dtype}")
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.ndim == 3 and arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]
    elif not (arr.ndim == 3 and arr.shape[2] == 3):
        raise DataError(f"{source}: expected an image of shape (H, W), (H, W, 3) or (H, W, 4), got {arr.shape}")
    if bgr:
        arr = arr[:, :, ::-1]
    return np.ascontiguousarray(arr)


ImagesLike = Union[Iterable[Union[np.ndarray, str, "os.PathLike[str]"]], np.ndarray]
"""What the predictors (:class:`dermkit.segment.Segmenter`, :func:`dermkit.predict.predict_images`) take: arrays or image files, or an ``(N, H, W, C)`` array."""


def as_rgb_images(images: ImagesLike) -> Iterator[np.ndarray]:
    """RGB uint8 arrays, one per item of ``images`` (read lazily): a file path is read with
    :func:`dermkit.io.read_image`, an array converted with :func:`dermkit.io.to_rgb_uint8`. One image
    on its own (an array of another rank than 4, or a path) raises :class:`DataError` asking for a
    list, instead of being taken as a batch of its rows.

    Example:
        >>> [im.shape for im in as_rgb_images([np.zeros((4, 5), np.uint8)])]
        [(4, 5, 3)]
    """
    if isinstance(images, (str, os.PathLike)) or (isinstance(images, np.ndarray) and images.ndim != 4):
        what = f"an array of shape {images.shape}" if isinstance(images, np.ndarray) else f"the path {images}"
        raise DataError(f"expected a list of images (arrays or file paths) or an (N, H, W, C) array, got {what}; pass [image] for one")
    for i, image in enumerate(images):
        yield read_image(image) if isinstance(image, (str, os.PathLike)) else to_rgb_uint8(image, source=f"image {i}")


def read_mask(path: str | os.PathLike[str], shape: tuple[int, int] | None = None) -> np.ndarray:
    """Read a lesion mask as bool ``(H, W)``: pixels above 128 are lesion.

    How the common ways of storing a mask are read:

    - a mask whose only values are 0 and 1 is a label map, and its 1s are lesion (read at 128 it
      would be empty);
    - a colour mask counts each pixel's brightest channel, so a lesion drawn in red (or any bright
      colour) on black is lesion; an alpha channel is ignored;
    - a palette PNG is read by its colours, as a viewer shows it, not by its palette indices (the
      HAM10000 masks store white as index 0);
    - a 16-bit mask is scaled to 8 bits first;
    - a mask of at most four values, the highest between 2 and 128 (a label map such as {0, 2} or
      {0, 1, 2}), raises :class:`DataError` naming the file and its values: which label is lesion
      cannot be told, and at 128 it would read as empty.

    ``shape`` is the image's ``(H, W)``; a mask of another size raises :class:`DataError` naming
    both. Like :func:`read_image`, an EXIF orientation tag is ignored, so mask and image pixels
    stay aligned as stored.
    """
    import cv2

    p = Path(path)
    m = _decode(p, cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION, "mask")
    if shape is not None:
        check_mask_shape(p, m.shape[:2], shape)
    if m.ndim == 3:  # brightest of B, G, R (np.maximum is ~15x faster than max(axis=2) here)
        m = np.maximum(np.maximum(m[:, :, 0], m[:, :, 1]), m[:, :, 2]) if m.shape[2] >= 3 else m[:, :, 0]
    top = int(m.max(initial=0))
    if top == 1:
        return m == 1
    refuse_label_map(m, f"mask {p}")
    if m.dtype == np.uint16:
        m = (m.astype(np.float32) / 257.0).round()
    elif m.dtype != np.uint8:
        raise DataError(f"mask {p}: unsupported pixel type {m.dtype} (store masks as 8- or 16-bit integers)")
    return m > 128


def refuse_label_map(mask: np.ndarray, source: str) -> None:
    """Raise :class:`DataError` naming ``source`` when ``mask`` looks like a label map whose lesion is
    neither 1 nor 255 (at most four values, the highest between 2 and 128, e.g. {0, 2} or {0, 1, 2}):
    read at 128 it would be empty, and which label is lesion cannot be told.

    Example:
        >>> refuse_label_map(np.array([[0, 255]], np.uint8), "mask")  # a binary mask passes
    """
    top = mask.max(initial=0)
    if 1 < top <= 128:
        values = np.unique(mask)
        if len(values) <= 4:
            raise DataError(
                f"{source} holds only the values {', '.join(f'{v:g}' for v in values)}, which reads as no lesion: "
                "store lesion as 255 (or 1) and background as 0"
            )


def check_some_mask_has_a_lesion(mask_paths: Sequence[str | os.PathLike[str]], role: str) -> None:
    """Raise :class:`DataError` when every mask in ``mask_paths`` reads as empty, which means they are
    all black, or encoded in a way :func:`read_mask` does not read as lesion. ``role``
    names the masks in the message ("training", "true"). Reading stops at the first lesion.

    Example:
        >>> check_some_mask_has_a_lesion(["ISIC_0000000_segmentation.png"], "training")  # doctest: +SKIP
    """
    paths = list(mask_paths)
    if paths and not any(read_mask(path).any() for path in paths):
        raise DataError(
            f"all {len(paths)} {role} masks are empty (lesion = pixels above 128, in colour the brightest channel, "
            f"or the 1s of a 0/1 mask); check how the masks are encoded, e.g. {paths[0]}"
        )


def file_stems(case_ids: Iterable[object], folder: str | os.PathLike[str]) -> list[str]:
    """File-name stems for writing one file per case into ``folder``.

    Characters other than letters, digits, ``.``, ``_`` and ``-`` become ``_``, so a case ID can
    never name a file outside ``folder`` (``../x`` becomes ``.._x``); two IDs that become the same
    name raise :class:`DataError`.

    Example:
        >>> file_stems(["ISIC_0000000", "../evil", "a/b"], "out/masks")
        ['ISIC_0000000', '.._evil', 'a_b']
    """
    import re

    ids = list(case_ids)
    stems = [re.sub(r"[^A-Za-z0-9._-]", "_", str(c)) for c in ids]
    seen: dict[str, object] = {}
    for case_id, stem in zip(ids, stems):
        if seen.setdefault(stem, case_id) != case_id:
            raise DataError(f"case ids {seen[stem]!r} and {case_id!r} collide as the file name {stem!r} in {folder}")
    return stems


def check_mask_sizes(image_paths: Iterable[object], mask_paths: Iterable[object]) -> None:
    """Before any work: every mask named (blank entries are skipped) and its image open, and are the
    same size; else :class:`DataError` naming the file.

    Only the file headers are read (:func:`image_shape`, about 0.4 ms a pair), so a missing image
    or a mask of another size stops a run at once, not hours in; pixels damaged past the header
    surface when the image is read.
    """
    for image, mask in zip(image_paths, mask_paths):
        if isinstance(mask, str) and mask:
            check_mask_shape(mask, image_shape(mask, "mask"), image_shape(str(image)))


def check_mask_shape(path: str | os.PathLike[str], mask_shape: tuple[int, ...], image_shape: tuple[int, ...], reference: str = "its image") -> None:
    """Raise :class:`DataError` naming the mask at ``path`` and both sizes unless its ``(H, W)`` is its image's
    (``reference`` names what it is compared with, e.g. "its true mask t.png").

    Example:
        >>> check_mask_shape("m.png", (10, 10), (256, 256))
        Traceback (most recent call last):
        ...
        dermkit.errors.DataError: mask m.png is 10x10 but its image is 256x256 (width x height)
    """
    if tuple(mask_shape[:2]) != tuple(image_shape[:2]):
        raise DataError(f"mask {path} is {mask_shape[1]}x{mask_shape[0]} but {reference} is {image_shape[1]}x{image_shape[0]} (width x height)")


def image_shape(path: str | os.PathLike[str], kind: str = "image") -> tuple[int, int]:
    """``(H, W)`` of an image file as :func:`read_image` / :func:`read_mask` read it.

    Pillow reads the size from the header without decoding the pixels; a file Pillow cannot open
    is decoded with OpenCV, as for reading. A missing or undecodable file raises
    :class:`DataError` naming it as a ``kind`` (e.g. "mask").
    """
    import cv2
    from PIL import Image

    p = Path(path)
    if not p.is_file():
        raise DataError(f"{kind} file not found: {p}")
    try:
        with Image.open(p) as im:
            width, height = im.size
    except Exception:
        return _decode(p, cv2.IMREAD_UNCHANGED, kind).shape[:2]
    return height, width


WRITABLE_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
"""File types :func:`write_image` writes (its format follows the suffix)."""


def check_image_path(path: str | os.PathLike[str]) -> Path:
    """``path`` as a :class:`Path` if an image can be written there: a suffix of
    :data:`WRITABLE_IMAGE_SUFFIXES`, not a folder, no file above it; else :class:`ConfigError`.
    Commands call it before long work, so that the last step does not fail.

    Example:
        >>> check_image_path("sheet.txt")
        Traceback (most recent call last):
        ...
        dermkit.errors.ConfigError: sheet.txt: images are written as .png, .jpg, .jpeg, .bmp, .tif, .tiff or .webp
    """
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{p} is a folder; give an image file name such as {p / 'sheet.png'}")
    if p.suffix.lower() not in WRITABLE_IMAGE_SUFFIXES:
        raise ConfigError(f"{p}: images are written as {', '.join(WRITABLE_IMAGE_SUFFIXES[:-1])} or {WRITABLE_IMAGE_SUFFIXES[-1]}")
    above = next((a for a in p.parents if a.exists()), None)
    if above is not None and not above.is_dir():
        raise ConfigError(f"{p}: {above} is a file, not a folder")
    return p


def write_image(path: str | os.PathLike[str], image: np.ndarray) -> None:
    """Write an RGB uint8 image (or a bool/uint8 mask) atomically; the format follows the suffix
    (:data:`WRITABLE_IMAGE_SUFFIXES`; another is a :class:`ConfigError`)."""
    import cv2

    arr = np.asarray(image)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    if arr.ndim == 3:
        arr = arr[:, :, ::-1]
    target = check_image_path(path) if Path(path).suffix else Path(path)
    ok, buf = cv2.imencode(target.suffix or ".png", np.ascontiguousarray(arr))
    if not ok:
        raise DataError(f"cannot encode image for {target}")
    with atomic_path(target) as tmp:
        tmp.write_bytes(buf.tobytes())
