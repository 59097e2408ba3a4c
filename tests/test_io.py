import numpy as np
import pytest

from dermkit.errors import DataError
from dermkit.io import atomic_path, image_shape, read_image, read_mask, to_rgb_uint8, write_image


def test_image_roundtrip_and_conversions(tmp_path):
    img = np.zeros((4, 5, 3), np.uint8)
    img[..., 0] = 200  # red
    write_image(tmp_path / "a.png", img)
    back = read_image(tmp_path / "a.png")
    assert back.shape == (4, 5, 3) and back[0, 0].tolist() == [200, 0, 0]
    assert to_rgb_uint8(np.full((2, 2), 65535, np.uint16))[0, 0].tolist() == [255, 255, 255]
    assert to_rgb_uint8(np.zeros((2, 2, 4), np.uint8)).shape == (2, 2, 3)
    overshoot = np.array([[[0.5, 1.01, -0.02]]])  # a [0, 1] image after resizing: a little outside the range
    assert to_rgb_uint8(overshoot).tolist() == [[[128, 255, 0]]]  # it was read as a [0, 255] image: [[[0, 1, 0]]]
    assert to_rgb_uint8(np.array([[[0.0, 3.0, 250.0]]])).tolist() == [[[0, 3, 250]]]
    with pytest.raises(DataError, match="NaN"):
        to_rgb_uint8(np.full((2, 2, 3), np.nan))


def test_corrupt_missing_and_wrong_size(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError, match="cannot decode image.*bad.png"):
        read_image(tmp_path / "bad.png")
    with pytest.raises(DataError, match="image file not found"):
        read_image(tmp_path / "none.png")
    write_image(tmp_path / "m.png", np.ones((4, 6), bool))
    assert read_mask(tmp_path / "m.png").all()
    with pytest.raises(DataError, match=r"6x4 but its image is 5x4"):
        read_mask(tmp_path / "m.png", shape=(4, 5))


def test_mask_values_above_128_are_lesion_and_a_0_1_label_map_reads_its_1s(tmp_path):
    import cv2

    grey = np.array([[0, 1, 128, 129, 255]], np.uint8)  # a smoothly resized 0/255 mask
    cv2.imwrite(str(tmp_path / "grey.png"), grey)
    assert read_mask(tmp_path / "grey.png").tolist() == [[False, False, False, True, True]]
    labels = np.array([[0, 1, 1], [0, 0, 1]], np.uint8)  # 1 = lesion, as many data sets store it
    cv2.imwrite(str(tmp_path / "labels.png"), labels)
    assert read_mask(tmp_path / "labels.png").tolist() == [[False, True, True], [False, False, True]]
    cv2.imwrite(str(tmp_path / "empty.png"), np.zeros((2, 3), np.uint8))
    assert not read_mask(tmp_path / "empty.png").any()
    faint = np.zeros((9, 9), np.uint8)
    faint[4, 4] = 255
    faint = cv2.GaussianBlur(faint, (9, 9), 2)  # a one-pixel lesion smoothed away by resizing: many values under 128
    cv2.imwrite(str(tmp_path / "faint.png"), faint)
    assert not read_mask(tmp_path / "faint.png").any()


@pytest.mark.parametrize("values", [(0, 2), (0, 1, 2), (0, 100), (0, 1, 2, 3)])
def test_a_label_map_whose_lesion_is_not_1_or_255_is_refused(tmp_path, values):
    import cv2

    labels = np.resize(np.array(values, np.uint8), (4, 4))
    cv2.imwrite(str(tmp_path / "labels.png"), labels)
    listed = ", ".join(map(str, values))
    with pytest.raises(DataError, match=f"labels.png holds only the values {listed}, which reads as no lesion"):
        read_mask(tmp_path / "labels.png")


def test_colour_palette_and_16_bit_masks_read_their_lesion(tmp_path):
    import cv2
    from PIL import Image

    lesion = np.array([[0, 1, 1], [0, 0, 1]], bool)
    red = np.zeros((2, 3, 3), np.uint8)
    red[lesion] = (0, 0, 255)  # BGR: red, grey value 76, which reading in grey took as empty
    cv2.imwrite(str(tmp_path / "red.png"), red)
    assert (read_mask(tmp_path / "red.png") == lesion).all()
    rgba = np.dstack([red, np.full((2, 3), 255, np.uint8)])  # an opaque alpha channel is no lesion
    cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    assert (read_mask(tmp_path / "rgba.png") == lesion).all()
    palette = Image.fromarray(np.where(lesion, 0, 255).astype(np.uint8), mode="P")
    palette.putpalette([255 - i for i in range(256) for _ in range(3)])  # white as index 0, as HAM10000's masks store it
    palette.save(tmp_path / "palette.png")
    assert (read_mask(tmp_path / "palette.png") == lesion).all()  # read by the colours shown, not the indices
    cv2.imwrite(str(tmp_path / "deep.png"), lesion.astype(np.uint16) * 65535)
    cv2.imwrite(str(tmp_path / "deep_labels.png"), lesion.astype(np.uint16))
    assert (read_mask(tmp_path / "deep.png") == lesion).all() and (read_mask(tmp_path / "deep_labels.png") == lesion).all()


def test_truncated_and_unsupported_masks_name_the_file(tmp_path):
    import cv2
    from PIL import Image

    Image.fromarray(np.ones((8, 8), np.uint8), mode="P").save(tmp_path / "palette.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "palette.png").read_bytes()[:40])  # header intact, pixels gone
    with pytest.raises(DataError, match=r"cannot decode mask.*cut\.png"):
        read_mask(tmp_path / "cut.png")
    cv2.imwrite(str(tmp_path / "float.tiff"), np.full((2, 2), 200.0, np.float32))
    with pytest.raises(DataError, match="float.tiff: unsupported pixel type float32"):
        read_mask(tmp_path / "float.tiff")


def test_image_shape_from_the_header_and_its_errors(tmp_path):
    write_image(tmp_path / "a.jpg", np.zeros((7, 11, 3), np.uint8))
    write_image(tmp_path / "m.png", np.ones((4, 6), bool))
    assert image_shape(tmp_path / "a.jpg") == (7, 11) and image_shape(tmp_path / "m.png") == read_mask(tmp_path / "m.png").shape
    (tmp_path / "bad.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError, match="cannot decode mask.*bad.png"):
        image_shape(tmp_path / "bad.png", "mask")
    with pytest.raises(DataError, match="image file not found.*none.png"):
        image_shape(tmp_path / "none.png")


def test_image_shape_decodes_what_pillow_cannot_open(tmp_path, monkeypatch):
    import PIL.Image

    write_image(tmp_path / "a.png", np.zeros((7, 11, 3), np.uint8))

    def refuse(*args, **kwargs):
        raise PIL.UnidentifiedImageError("not for Pillow")

    monkeypatch.setattr(PIL.Image, "open", refuse)
    assert image_shape(tmp_path / "a.png") == (7, 11)  # OpenCV, which reads the pixels, can


def test_an_exif_rotated_jpeg_mask_stays_aligned_with_its_image(tmp_path):
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees to display"
    pixels = np.zeros((10, 20), np.uint8)
    pixels[:, :5] = 255  # the lesion: the left quarter as stored
    for name, mode in (("image.jpg", "RGB"), ("mask.jpg", "L")):
        Image.fromarray(pixels).convert(mode).save(tmp_path / name, exif=exif.tobytes(), quality=100)
    image, mask = read_image(tmp_path / "image.jpg"), read_mask(tmp_path / "mask.jpg", shape=image_shape(tmp_path / "image.jpg"))
    assert image.shape[:2] == mask.shape == image_shape(tmp_path / "mask.jpg") == (10, 20)
    assert mask[:, :4].all() and not mask[:, 6:].any()


def test_atomic_path_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_atomic_path_gives_normal_permissions(tmp_path):
    import os

    with atomic_path(tmp_path / "f.txt") as tmp:
        tmp.write_text("x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o666 & ~mask


def test_docstring_examples():
    import doctest

    import dermkit.io

    result = doctest.testmod(dermkit.io, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
