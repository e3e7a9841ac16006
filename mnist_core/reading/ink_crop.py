"""The ink of a drawing, cropped and fitted in a square: what a recorded drawing keeps besides
the 28x28 input, at twice its resolution, so a flag or a crossbar stays visible."""

import numpy as np
from PIL import Image

from mnist_core.reading.ink import ink_map
from mnist_core.reading.preprocess import crop_to_ink

CROP_SIDE = 56


def ink_crop(image, side=CROP_SIDE):
    """Crops a drawing to its ink, as `to_mnist_input()` does, and fits it in a square.

    The same ink extraction and crop as `mnist_core.reading.preprocess.to_mnist_input` (no stroke
    normalisation, no centring by mass): the longer side fills `side` pixels, the aspect
    ratio is kept and the crop is centred in the square.

    Args:
        image: as for `to_mnist_input()`.
        side: side of the square, in pixels.

    Returns:
        uint8 array (side, side) in [0, 255], white ink on black.

    Raises:
        BlankImageError: the image holds no ink.
        ImageError: the array has the wrong shape or values, or is too large.
    """
    crop = crop_to_ink(ink_map(image))
    h, w = crop.shape
    scale = side / max(h, w)
    size = (max(1, min(side, round(w * scale))), max(1, min(side, round(h * scale))))
    fitted = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR))
    out = np.zeros((side, side), np.uint8)
    top, left = (side - size[1]) // 2, (side - size[0]) // 2
    out[top:top + size[1], left:left + size[0]] = np.rint(np.clip(fitted, 0, 1) * 255)
    return out
