"""Reading image files (PNG, JPEG, ...) and canvas values into arrays for
`mnist_core.reading.preprocess`.

The size is checked from the header before any pixel is decoded, so a hostile file (a
"decompression bomb") cannot exhaust memory; a canvas value's length is checked before it is
even base64-decoded.
"""

import base64
import binascii
import io
import os
import re
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

import mnist_core.reading.ink as ink
from mnist_core.errors import BlankImageError, ImageError
from mnist_core.regular_files import NotRegularFile, open_regular
from mnist_core.reading.ink import check_size

DATA_URL_PREFIX = "data:image/png;base64,"
"""What a canvas' `toDataURL()` value starts with; anything else is refused."""

MAX_DATA_URL_CHARS = 2_000_000
"""Longest canvas value accepted, in characters. A 280x280 canvas at a device-pixel ratio of 4
is a 1120x1120 PNG: black with strokes, it takes tens of KB (at most a few hundred for a canvas
scribbled full), so 2 MB of base64 (1.5 MB of PNG) leaves ample room and bounds the cost."""

MAX_DRAWING_SIDE = 2048
"""Widest and tallest canvas image accepted, in pixels: a 280-pixel canvas at ratio 4 is 1120,
and 2048 squared bounds the pixels decoded at 4.2 megapixels (17 MB as RGBA)."""

EIGHT_BIT_MAX = 255
SIXTEEN_TO_EIGHT_BIT = 257  # 65535 / 255: maps 16-bit levels onto 8-bit ones


def load_image(source):
    """Reads an image file (PNG, JPEG, GIF, BMP, WebP...) into a uint8 array.

    The size is checked from the file's header before any pixel is decoded. The first frame
    of an animation is used; a photo's EXIF rotation is applied.

    Args:
        source: a path (str or os.PathLike), the file's bytes, or a binary file object such
            as Streamlit's `UploadedFile` (its `.name` is used in messages).

    Returns:
        uint8 array in [0, 255] of shape (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA
        (any image with transparency).

    Raises:
        ImageError: the file is missing, is not an image, is damaged, or has more than
            `MAX_PIXELS` pixels. The message names the file.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        name, stream = "The uploaded image", io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        name = f"'{os.fspath(source)}'"
        try:  # opened as a plain file only: a FIFO would wait for a writer forever
            with open_regular(source) as file:
                return _read_image(file, name)
        except NotRegularFile as error:
            raise ImageError(f"{name} is {error.kind}, not an image file: use a PNG or "
                             "JPEG.") from None
        except FileNotFoundError:
            raise ImageError(f"{name} does not exist: check the path.") from None
        except OSError:
            raise ImageError(f"{name} could not be read: check its permissions.") from None
    else:
        name, stream = f"'{getattr(source, 'name', 'the uploaded image')}'", source
    return _read_image(stream, name)


def _read_image(stream, name):
    """`load_image` of an open stream: the size from the header checked before any pixel."""
    try:
        with _open_unverified_size(stream) as img:
            check_size(img.width, img.height, name)
            img.load()
            img = ImageOps.exif_transpose(img)
            return _image_to_array(img)
    except Image.DecompressionBombError as error:
        raise _too_large(name, error) from None
    except UnidentifiedImageError:
        raise ImageError(f"{name} is not an image this app can read: use a PNG or JPEG.") from None
    except (OSError, ValueError, SyntaxError):
        # PIL reports truncated or corrupt pixel data as OSError, and some bad headers as
        # ValueError or SyntaxError.
        raise ImageError(f"{name} could not be read: it is damaged or cut short.") from None


def decode_data_url(url, max_chars=MAX_DATA_URL_CHARS, max_side=MAX_DRAWING_SIDE,
                    name="The drawing"):
    """Decodes a canvas' `data:image/png;base64,...` value, bounded before anything is decoded.

    The checks run cheapest first: the type and prefix, the string's length (before base64
    decoding), base64 validity, then the width and height from the PNG header (before any
    pixel is decoded). So a hostile client's value costs at most `max_chars` characters and
    `max_side` squared pixels.

    Args:
        url: the value the browser sent, a str.
        max_chars: longest value accepted, in characters.
        max_side: widest and tallest image accepted, in pixels; this also bounds the pixels
            decoded (4.2 megapixels, 17 MB as RGBA, for the default).
        name: what the messages call the image.

    Returns:
        uint8 array (H, W, 4) RGBA in [0, 255]; an image without alpha comes back opaque.

    Raises:
        ImageError: anything else (not a str, not a PNG data URL, too long, not base64, not a
            PNG, too large, damaged); one sentence starting with `name`.
    """
    again = "clear the canvas and draw again."
    if not isinstance(url, str) or not url.startswith(DATA_URL_PREFIX):
        raise ImageError(f"{name} did not arrive as a PNG image: {again}")
    if len(url) > max_chars:
        raise ImageError(f"{name} arrived as {len(url) / 1e6:,.1f} MB of text, more than the "
                         f"{max_chars / 1e6:g} MB a canvas sends: {again}")
    try:
        payload = base64.b64decode(url[len(DATA_URL_PREFIX):], validate=True)
    except (binascii.Error, ValueError):  # ValueError: characters outside ASCII
        raise ImageError(f"{name} arrived damaged (not base64 text): {again}") from None
    try:
        with _open_unverified_size(io.BytesIO(payload), formats=("PNG",)) as img:
            if img.width > max_side or img.height > max_side:
                raise ImageError(f"{name} is {img.width}x{img.height} pixels, more than "
                                 f"{max_side} on a side: use a smaller canvas.")
            img.load()
            return _as_rgba(_image_to_array(img))
    except Image.DecompressionBombError as error:
        raise _too_large(name, error, f"{max_side} pixels on a side") from None
    except (OSError, ValueError, SyntaxError, EOFError):  # UnidentifiedImageError is an OSError
        raise ImageError(f"{name} arrived damaged (not a readable PNG): {again}") from None


def blank_file_error(name):
    """The error for an image file that holds no ink, naming the file.

    `mnist_core.reading.ink` raises BlankImageError worded for the page's canvas; a file given
    on the command line gets this sentence instead.

    Args:
        name: the file as the user named it.

    Returns:
        A `BlankImageError` to raise.
    """
    return BlankImageError(f"'{name}' holds no digit: it is blank, or its ink is too faint to "
                           "tell from the background.")


def _open_unverified_size(stream, formats=None):
    """`Image.open`, which reads the header only; the caller checks the size before `load()`."""
    # PIL warns past its own bomb limit; the callers' smaller limits are enforced before any
    # pixel is decoded. (Past twice that limit PIL raises DecompressionBombError instead.)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(stream, formats=formats)


def _too_large(name, error, limit=None):
    """ImageError for PIL's DecompressionBombError, whose message gives the pixel count only."""
    found = re.search(r"\((\d+) pixels\)", str(error))
    size = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
    limit = limit or f"the {ink.MAX_PIXELS / 1e6:g}-megapixel limit"
    return ImageError(f"{name} is too large ({size}, more than {limit}): use a smaller image.")


def _image_to_array(img):
    """PIL image of any mode -> uint8 array (H, W), (H, W, 3) or (H, W, 4)."""
    if img.mode.startswith("I"):
        # 16-bit greyscale (I;16 or I). Most files use the full range: keep the top 8 bits
        # (divide by 257, which maps 65535 to 255). Some write 8-bit values into a 16-bit
        # container; divided by 257, their ink would all round to 0 and read as blank.
        grey = np.asarray(img).astype(np.float64)
        scale = 1.0 if grey.size and grey.max() <= EIGHT_BIT_MAX else SIXTEEN_TO_EIGHT_BIT
        return np.rint(grey / scale).clip(0, EIGHT_BIT_MAX).astype(np.uint8)
    if img.mode in ("1", "F"):
        img = img.convert("L")
    elif (img.mode == "P" and "transparency" in img.info) or img.mode in ("LA", "PA", "La", "RGBa"):
        img = img.convert("RGBA")
    elif img.mode not in ("L", "RGB", "RGBA"):
        img = img.convert("RGB")
    return np.array(img, dtype=np.uint8)


def _as_rgba(array):
    """uint8 (H, W), (H, W, 3) or (H, W, 4) -> (H, W, 4), opaque where there was no alpha."""
    if array.ndim == 3 and array.shape[2] == 4:
        return array
    rgb = np.dstack([array] * 3) if array.ndim == 2 else array
    return np.dstack([rgb, np.full(rgb.shape[:2], EIGHT_BIT_MAX, np.uint8)])
