"""One drawing on the training process's command line: the 28x28 input as 784 grey levels.

Light on purpose (numpy only): the server encodes with it, and the worker's command thread
decodes with it while the main thread is still importing TensorFlow.
"""

import base64
import binascii

import numpy as np

from mnist_core.constants import IMAGE_SIZE, PIXEL_SCALE

DRAWING_BYTES = IMAGE_SIZE * IMAGE_SIZE
DRAWING_COMMAND = "drawing"
MAX_COMMAND_CHARS = len(DRAWING_COMMAND) + 1 + 4 * -(-DRAWING_BYTES // 3)
"""The longest command line the worker accepts: `drawing ` and a drawing in base64."""
JOB_COMMAND = "job"
"""`job JSON`: a spare training process's one job (`jobs.spare`), its settings, far shorter than
`MAX_COMMAND_CHARS`. Here beside the drawing's, the other command the worker's thread reads."""


def encode_drawing(image):
    """A prepared drawing as the command line's text: 784 grey levels, base64.

    Args:
        image: float numpy array (28, 28), finite, values in [0, 1] (what the model sees).

    Returns:
        An ASCII string of 1,048 characters.

    Raises:
        ValueError: `image` is not such an array.
    """
    if (not isinstance(image, np.ndarray) or image.shape != (IMAGE_SIZE, IMAGE_SIZE)
            or image.dtype.kind != "f"):
        raise ValueError("A drawing must be a 28x28 float numpy array.")
    if not np.all(np.isfinite(image)) or image.min() < 0 or image.max() > 1:
        raise ValueError("A drawing's values must be finite, from 0 to 1.")
    levels = np.round(image * PIXEL_SCALE).astype(np.uint8)
    return base64.b64encode(levels.tobytes()).decode("ascii")


def decode_drawing(text):
    """`encode_drawing`'s text back to a float32 (28, 28) array in [0, 1]; None if it is not one."""
    if not isinstance(text, str) or len(text) > MAX_COMMAND_CHARS:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != DRAWING_BYTES:
        return None
    levels = np.frombuffer(raw, dtype=np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE)
    return levels.astype(np.float32) / PIXEL_SCALE
