"""reading: a drawing or picture to digits.

A canvas value or image file is decoded (`image_files`), its ink found and checked (`ink`),
split into one image per digit (`blobs`, `segment`), each prepared the way MNIST's digits were
(`preprocess`: 20x20 box, centre of mass centred) and read by a model (`inference.Predictor`,
which answers in float32 where the CPU would only emulate bfloat16: `compute_precision`).
`ink_crop` keeps the cropped ink a recorded drawing stores. Depends only on the foundation.
"""

from mnist_core.reading.blobs import blob_boxes, label_blobs, union_boxes
from mnist_core.reading.compute_precision import for_this_cpu
from mnist_core.reading.image_files import (DATA_URL_PREFIX, blank_file_error, decode_data_url,
                                            load_image)
from mnist_core.reading.inference import Predictor
from mnist_core.reading.ink import has_ink, ink_map
from mnist_core.reading.ink_crop import CROP_SIDE
from mnist_core.reading.preprocess import (BOX_SIZE, MNIST_CENTRE, MNIST_STROKE, RESAMPLE,
                                           THINNED_STROKE, crop_to_ink, naive_downscale,
                                           normalise_stroke, place_centred, to_mnist_input)
from mnist_core.reading.segment import split_digits

__all__ = [
    "BOX_SIZE", "CROP_SIDE", "DATA_URL_PREFIX", "MNIST_CENTRE", "MNIST_STROKE", "RESAMPLE",
    "THINNED_STROKE", "Predictor", "blank_file_error", "blob_boxes", "crop_to_ink",
    "decode_data_url", "for_this_cpu", "has_ink", "ink_map", "label_blobs",
    "load_image", "naive_downscale", "normalise_stroke", "place_centred", "split_digits",
    "to_mnist_input", "union_boxes",
]
# `ink_crop` (the function) is not named here: it would shadow its module of the same name.
