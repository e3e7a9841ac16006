"""The steps of MNIST-style preprocessing as pictures: ink, crop, 20x20 fit, 28x28 centred.

`preprocess.to_mnist_input()` goes from a drawing to the model's input in one call; this module
runs the same steps (its own functions, not a copy of their maths) and keeps what each one gives,
so a reader can watch a drawing become what the model reads, beside the naive downscale of the
whole canvas that it replaces.
"""

import dataclasses

import numpy as np
from PIL import Image

from mnist_core.reading import preprocess
from mnist_core.reading.ink import ink_map
from mnist_core.reading.preprocess import BOX_SIZE


@dataclasses.dataclass(frozen=True)
class Stages:
    """What each step of `to_mnist_input()` made of one drawing; float32 arrays in [0, 1],
    white (1) ink on black (0).

    Attributes:
        ink: (h, w) the ink as drawn, the whole canvas (box-averaged first when larger than
            `ink.WORK_SIDE`).
        crop: (h', w') the ink cropped to its bounding box, strokes brought to MNIST's width
            when they were far thinner or thicker.
        fitted: (20, 20) the crop scaled so its longer side is 20 pixels, aspect kept, in the
            middle of a 20x20 box (the picture of the scaling step; the next step scales and
            places in one resampling, so it never makes this array itself).
        centred: (28, 28) what the model reads: scaled and placed with its centre of mass in
            the middle, exactly `to_mnist_input(image)`.
        naive: (28, 28) the whole canvas shrunk to 28x28, `naive_downscale(image)`.
    """

    ink: np.ndarray
    crop: np.ndarray
    fitted: np.ndarray
    centred: np.ndarray
    naive: np.ndarray


def preprocessing_stages(image):
    """Runs `to_mnist_input()`'s steps on `image` and keeps each step's picture.

    Args:
        image: as for `preprocess.to_mnist_input()`.

    Returns:
        A `Stages`; its `centred` equals `to_mnist_input(image)`.

    Raises:
        BlankImageError: the image holds no ink.
        ImageError: the array has the wrong shape or values, or more than `ink.MAX_PIXELS` pixels.
    """
    ink = ink_map(image)
    crop = preprocess.normalise_stroke(preprocess.crop_to_ink(ink))
    centred = preprocess.place_centred(crop)
    naive = np.asarray(Image.fromarray(ink).resize(centred.shape[::-1], preprocess.RESAMPLE),
                       dtype=np.float32).clip(0.0, 1.0)
    return Stages(ink, crop, _fit_in_box(crop), centred, naive)


def _fit_in_box(crop):
    """(h, w) -> (20, 20): longer side BOX_SIZE, aspect kept, centred in the box."""
    h, w = crop.shape
    scale = BOX_SIZE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    scaled = np.asarray(Image.fromarray(np.ascontiguousarray(crop, dtype=np.float32))
                        .resize(size, preprocess.RESAMPLE), dtype=np.float32)
    box = np.zeros((BOX_SIZE, BOX_SIZE), np.float32)
    top, left = (BOX_SIZE - size[1]) // 2, (BOX_SIZE - size[0]) // 2
    box[top:top + size[1], left:left + size[0]] = scaled
    return box.clip(0.0, 1.0)
