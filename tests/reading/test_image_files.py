"""Image files and canvas values into arrays: sizes checked from the header before any pixel."""

import base64
import io
import os
import struct
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from mnist_core.reading import image_files
from mnist_core.reading import ink
from mnist_core.errors import ImageError
from mnist_core.reading.image_files import DATA_URL_PREFIX, decode_data_url, load_image
from tests.hang_guard import within
from tests.reading.test_preprocess import SEVEN


def png_declaring(width, height, bit_depth=8, colour_type=6):
    """A PNG whose header declares `width` x `height` (RGBA by default) and holds a few bytes:
    a decompression bomb's header, built in microseconds."""

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def data_url(png_bytes):
    return DATA_URL_PREFIX + base64.b64encode(png_bytes).decode("ascii")


def png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def no_pixel_decoding(monkeypatch):
    def decode(self):
        raise AssertionError("pixels were decoded before the size check")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)


# --- load_image: files ----------------------------------------------------------------------


def write(tmp_path, array, name, **params):
    path = tmp_path / name
    Image.fromarray(array).save(path, **params)
    return path


@pytest.mark.parametrize("array", [
    SEVEN,
    np.dstack([SEVEN, 255 - SEVEN, SEVEN // 2]),
    np.dstack([SEVEN, SEVEN, SEVEN, SEVEN]),
], ids=["grey", "rgb", "rgba"])
def test_load_image_reads_a_png_exactly(tmp_path, array):
    loaded = load_image(write(tmp_path, array, "digit.png"))
    assert loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded, array)


def test_load_image_reads_a_jpeg_from_bytes_or_a_file_object(tmp_path):
    path = write(tmp_path, np.dstack([SEVEN] * 3), "digit.jpg", quality=95)
    for source in (path, path.read_bytes(), io.BytesIO(path.read_bytes())):
        loaded = load_image(source)
        assert loaded.shape == (280, 280, 3)
        assert np.abs(loaded.astype(int)[:, :, 0] - SEVEN).mean() < 3


def test_load_image_turns_palette_transparency_into_rgba(tmp_path):
    image = Image.fromarray(SEVEN).convert("P")
    image.info["transparency"] = 0
    path = tmp_path / "digit.gif"
    image.save(path, transparency=0)
    loaded = load_image(path)
    assert loaded.shape == (280, 280, 4)
    np.testing.assert_array_equal(loaded[:, :, 3] > 0, SEVEN > 0)


def test_load_image_scales_16_bit_grey_to_8_bit(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(SEVEN.astype(np.uint16) * 257).save(path)
    np.testing.assert_array_equal(load_image(path), SEVEN)


@pytest.mark.parametrize("content", [b"shopping list: eggs, milk\n",
                                     b"\x89PNG\r\n\x1a\n" + b"\0" * 40])  # a PNG signature only
def test_load_image_rejects_a_file_that_is_not_an_image_naming_it(tmp_path, content):
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(ImageError, match="notes.txt"):
        load_image(path)


def test_load_image_rejects_a_truncated_png(tmp_path):
    data = write(tmp_path, SEVEN, "digit.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="cut.png"):
        load_image(tmp_path / "cut.png")


def test_load_image_names_a_missing_file(tmp_path):
    with pytest.raises(ImageError, match="absent.png.*does not exist"):
        load_image(tmp_path / "absent.png")


def test_load_image_checks_the_size_before_decoding_any_pixel(tmp_path, monkeypatch):
    path = write(tmp_path, SEVEN, "big.png")
    monkeypatch.setattr(ink, "MAX_PIXELS", 280 * 280 - 1)

    def decode(self):
        raise AssertionError("pixels were decoded before the size check")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)
    with pytest.raises(ImageError, match="big.png' is 280x280 pixels"):
        load_image(path)


def test_load_image_reads_16_bit_grey_holding_8_bit_values_as_they_are(tmp_path):
    path = tmp_path / "deep_but_8_bit.png"
    Image.fromarray(SEVEN.astype(np.uint16)).save(path)
    assert Image.open(path).mode.startswith("I")
    np.testing.assert_array_equal(load_image(path), SEVEN)


def test_load_image_calls_a_100000_pixel_square_png_too_large_with_its_size(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(png_declaring(100_000, 100_000))
    with pytest.raises(ImageError, match=r"'.*huge.png' is too large \(10,000,000,000 pixels, "
                                         r"more than the 40-megapixel limit\)"):
        load_image(path)


# --- decode_data_url: the canvas value --------------------------------------------------------


def test_decodes_a_canvas_data_url_exactly():
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[60:200, 130:150] = 255
    np.testing.assert_array_equal(decode_data_url(data_url(png_bytes(canvas))), canvas)


def test_a_grey_png_comes_back_as_opaque_rgba():
    got = decode_data_url(data_url(png_bytes(SEVEN)))
    assert got.shape == (280, 280, 4) and got.dtype == np.uint8
    np.testing.assert_array_equal(got[:, :, 0], SEVEN)
    assert (got[:, :, 3] == 255).all()


def test_refuses_a_13000_pixel_square_drawing_before_decoding_it(no_pixel_decoding):
    # Decoding would cost seconds and 1.7 GB; the fixture fails the test if any pixel is decoded,
    # and the whole refusal stays under 1 MB (the 50-byte PNG only declares its size).
    url = data_url(png_declaring(13_000, 13_000))  # 676 MB as RGBA, 1.7 GB as PIL decodes it
    tracemalloc.start()
    with pytest.raises(ImageError, match="The drawing is 13000x13000 pixels, more than 2048"):
        decode_data_url(url)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000


def test_refuses_a_drawing_past_pils_own_bomb_limit_saying_it_is_too_large(no_pixel_decoding):
    with pytest.raises(ImageError, match=r"too large \(10,000,000,000 pixels, more than 2048"):
        decode_data_url(data_url(png_declaring(100_000, 100_000)))


def test_refuses_a_100_mb_value_by_its_length_before_decoding_base64(monkeypatch):
    def decode(*args, **kwargs):
        raise AssertionError("base64 was decoded before the length check")

    monkeypatch.setattr(image_files.base64, "b64decode", decode)
    with pytest.raises(ImageError, match=r"The drawing arrived as 100\.0 MB of text"):
        decode_data_url(DATA_URL_PREFIX + "A" * 100_000_000)


@pytest.mark.parametrize("value, words", [
    (None, "did not arrive as a PNG"),
    (b"data:image/png;base64,AAAA", "did not arrive as a PNG"),
    ("data:image/jpeg;base64,/9j/4AAQ", "did not arrive as a PNG"),
    ("data:image/png;base64,@@not base64@@", "not base64"),
    ("data:image/png;base64,ÀÀÀÀ", "not base64"),
    (data_url(b"GIF89a not a png at all"), "not a readable PNG"),
    (data_url(png_bytes(SEVEN)[:200]), "not a readable PNG"),
    (data_url(png_declaring(28, 28)), "not a readable PNG"),  # header fine, pixels missing
], ids=["none", "bytes", "jpeg", "bad_characters", "not_ascii", "gif", "truncated", "no_pixels"])
def test_refuses_anything_else_in_one_sentence(value, words):
    with pytest.raises(ImageError, match=words) as raised:
        decode_data_url(value, name="Your drawing")
    message = str(raised.value)
    assert message.startswith("Your drawing ") and message.count(". ") == 0
    assert message.endswith(".")


def test_a_fifo_named_as_an_image_is_one_sentence_and_never_waited_on(tmp_path):
    # issue 22: a path the command line reads (`predict FILE`) may name a FIFO.
    os.mkfifo(tmp_path / "pipe.png")
    with pytest.raises(ImageError) as refused:
        within(5, load_image, tmp_path / "pipe.png", fifos=[tmp_path / "pipe.png"])
    assert str(refused.value).endswith("pipe.png' is a pipe (FIFO), not an image file: use a "
                                       "PNG or JPEG.")
