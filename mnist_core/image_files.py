"""Reading image files (PNG, JPEG, ...) into arrays for `mnist_core.preprocess`, safely.

The size is checked from the header before any pixel is decoded, so a hostile file (a
"decompression bomb") cannot exhaust memory.
"""

import io
import os
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mnist_core.errors import ImageError
from mnist_core.preprocess import check_size


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
        name, stream = f"'{os.fspath(source)}'", source
    else:
        name, stream = f"'{getattr(source, 'name', 'the uploaded image')}'", source
    try:
        # PIL warns past its own bomb limit; our smaller limit is enforced just below.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(stream) as img:
                check_size(img.width, img.height, name)
                img.load()
                img = ImageOps.exif_transpose(img)
                return _image_to_array(img)
    except FileNotFoundError:
        raise ImageError(f"{name} does not exist: check the path.") from None
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise ImageError(f"{name} is not an image this app can read: use a PNG or JPEG.") from None
    except (OSError, ValueError, SyntaxError):
        # PIL reports truncated or corrupt pixel data as OSError, and some bad headers as
        # ValueError or SyntaxError.
        raise ImageError(f"{name} could not be read: it is damaged or cut short.") from None


def _image_to_array(img):
    """PIL image of any mode -> uint8 array (H, W), (H, W, 3) or (H, W, 4)."""
    if img.mode.startswith("I"):
        # 16-bit greyscale (I;16 or I): keep the top 8 bits rather than clipping at 255.
        grey = np.asarray(img).astype(np.float64)
        return (grey / 257.0).clip(0, 255).astype(np.uint8)
    if img.mode in ("1", "F"):
        img = img.convert("L")
    elif (img.mode == "P" and "transparency" in img.info) or img.mode in ("LA", "PA", "La", "RGBa"):
        img = img.convert("RGBA")
    elif img.mode not in ("L", "RGB", "RGBA"):
        img = img.convert("RGB")
    return np.array(img, dtype=np.uint8)
