"""The ink of a drawing or picture: what differs from its background, checked and bounded.

Every reading of an image starts here (`preprocess`, `segment`, `ink_crop`): the array is
checked (shape, dtype, range, at most `MAX_PIXELS` pixels), a large image is box-averaged down
to about `WORK_SIDE` first, the background is the median colour of the border, so either
polarity works (and on a transparent canvas the ink is what is opaque), and the ink is how far
each pixel is from it, stretched to the strongest ink, faint noise set to zero.
"""

import numpy as np
from PIL import Image

from mnist_core.constants import PIXEL_SCALE
from mnist_core.errors import BlankImageError, ImageError

MAX_PIXELS = 40_000_000
"""Largest image accepted, in pixels (width x height): 40 megapixels, above any phone photo.

Bigger images are refused before they are decoded, so a hostile file (a "decompression bomb")
cannot exhaust memory."""

MIN_CONTRAST = 0.15
"""Least difference from the background, as a fraction of full scale, that counts as ink.
JPEG noise and paper texture stay below it; any stroke drawn on a canvas is far above."""

NOISE_FLOOR = 0.1
"""Ink weaker than this fraction of the strongest ink is set to zero, so halos and faint
background texture neither stretch the digit's box nor move its centre."""

WORK_SIDE = 1024
"""Larger images are first box-averaged down to about this side: plenty of detail for a
20-pixel digit, and it bounds the time and memory the rest takes."""


def has_ink(image):
    """Tells whether an image holds anything to classify (cheap: no resizing).

    Args:
        image: as for `preprocess.to_mnist_input()`.

    Returns:
        True when some pixel differs from the background by at least `MIN_CONTRAST`: exactly
        when `preprocess.to_mnist_input()` would not raise `BlankImageError`.

    Raises:
        ImageError: the array has the wrong shape or values, or more than `MAX_PIXELS` pixels.
    """
    return int(_distance_from_background(_as_uint8(image)).max()) >= _min_contrast_level()


def ink_map(image):
    """Extracts the ink of a drawing or picture, as `preprocess.to_mnist_input()` sees it before
    cropping.

    Args:
        image: as for `preprocess.to_mnist_input()`.

    Returns:
        float32 array (h, w) in [0, 1]: 1 = the strongest ink, 0 = background (ink weaker than
        `NOISE_FLOOR` of the strongest included). Images larger than `WORK_SIDE` are first
        box-averaged down by `work_factor(H, W)`, so (h, w) is about (H, W) over that factor.

    Raises:
        BlankImageError: the image holds no ink.
        ImageError: the array has the wrong shape or values, or more than `MAX_PIXELS` pixels.
    """
    return _ink(image)


def work_factor(height, width):
    """Whole factor an image of this size is shrunk by before its ink is read (1 up to WORK_SIDE)."""
    return -(-max(height, width) // WORK_SIDE)


def check_size(width, height, name="The image"):
    """Raises ImageError when an image of this size is over `MAX_PIXELS`."""
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"{name} is {width}x{height} pixels, more than the {MAX_PIXELS / 1e6:g}-megapixel "
            "limit: use a smaller image."
        )


def _as_uint8(image):
    """Validates an image array -> uint8 (H, W), (H, W, 3) or (H, W, 4), at most WORK_SIDE."""
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))) or a.size == 0:
        raise ImageError(
            f"An image must be an array of shape (H, W), (H, W, 3) or (H, W, 4), not {a.shape}."
        )
    check_size(a.shape[1], a.shape[0])
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype.kind == "f":
        if not (np.isfinite(a).all() and a.min() >= 0.0 and a.max() <= 1.0):
            raise ImageError("A float image must hold values between 0 and 1: divide by 255.")
        a = np.rint(a * PIXEL_SCALE).astype(np.uint8)
    elif a.dtype.kind in "ui":
        if a.dtype != np.uint8 and (a.min() < 0 or a.max() > 255):
            raise ImageError("An integer image must hold values between 0 and 255.")
        a = a.astype(np.uint8, copy=False)
    else:
        raise ImageError(f"An image must hold numbers, not {a.dtype}.")
    factor = work_factor(*a.shape[:2])
    if factor > 1:
        a = np.asarray(Image.fromarray(np.ascontiguousarray(a)).reduce(factor))
    return a


def _border_median(a):
    """Median colour of the one-pixel frame: the background, unless ink covers most of it."""
    frame = np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])
    return np.median(frame, axis=0).astype(np.uint8)


def _distance_from_background(a):
    """uint8 image -> uint8 (H, W): how far each pixel is from the background colour."""
    if a.ndim == 3 and a.shape[2] == 4:
        alpha = a[:, :, 3]
        if alpha.min() < 255:
            # A transparent background: what is opaque is the drawing, whatever its colour
            # (a black stroke on a transparent canvas has RGB all zero everywhere).
            a = alpha
        else:
            a = a[:, :, :3]
    bg = _border_median(a)
    channels = [a] if a.ndim == 2 else [a[:, :, c] for c in range(3)]
    dist = None
    # Channel by channel: numpy reduces a short last axis about ten times slower.
    for channel, level in zip(channels, np.atleast_1d(bg)):
        # max - min stays in uint8 where channel - level would wrap around.
        d = np.maximum(channel, level)
        d -= np.minimum(channel, level)
        dist = d if dist is None else np.maximum(dist, d, out=dist)
    return dist


def _min_contrast_level():
    return int(np.ceil(MIN_CONTRAST * PIXEL_SCALE))


def _ink(image):
    """Image -> float32 (H, W) in [0, 1]: 1 = strongest ink, below NOISE_FLOOR set to 0."""
    dist = _distance_from_background(_as_uint8(image))
    strongest = int(dist.max())
    if strongest < _min_contrast_level():
        raise BlankImageError("The canvas is empty: draw a digit first.")
    # Stretching to the strongest ink makes a faint pencil photo as bright as a canvas stroke.
    floor = NOISE_FLOOR * strongest
    ink = (dist.astype(np.float32) - floor) / (strongest - floor)
    return np.maximum(ink, 0.0, out=ink)
