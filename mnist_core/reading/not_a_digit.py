"""Is it a digit at all? The gate that says "that does not look like a digit".

A classifier of ten digits answers a digit for anything: a letter X reads "8", a smiley "0".
The gate is a small CNN of its own (`GATE_FILE`, trained by
`mnist_core.training.gate_recipe` on MNIST, stroked digits of every form and synthetic
non-digits from `mnist_core.data.non_digits`), that scores how much an MNIST-style 28x28 image
looks like no digit. Its threshold was calibrated on held-out digits (see bench/README.md,
"Not a digit"), so it does not depend on which digit model reads the drawing: the tutorial's,
the strong one, a visitor's upload all get the same verdict on the same drawing. A digit the
model merely doubts between two (a sloppy 4 or 9) is still a digit.
"""

import functools
import json
from pathlib import Path

import numpy as np

from mnist_core.constants import IMAGE_SIZE, NOT_A_DIGIT

SEVERAL_DIGITS = NOT_A_DIGIT + 1
"""The gate's column for two or three digits that touch, read as one blob."""

GATE_FILE = Path(__file__).with_name("not_a_digit.keras")
"""The gate's weights, shipped with the package (not in models/: it is no digit model)."""

GATE_FACTS = GATE_FILE.with_suffix(".json")
"""Its threshold and how it was measured, written beside it when it is trained."""


class DigitGate:
    """Scores MNIST-style images: near 1 for what looks like no digit, near 0 for a digit.

    Args:
        model: a Keras model (N, 28, 28, 1) float32 in [0, 1] -> (N, 12) softmax: the ten
            digits, "not a digit" (column `NOT_A_DIGIT`) and "several digits touching".
        threshold: a score at or above it is "not a digit".
    """

    def __init__(self, model, threshold):
        import tensorflow as tf

        self.model, self.threshold = model, float(threshold)
        signature = [tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 1], tf.float32)]
        self._forward = tf.function(lambda x: model(x, training=False), input_signature=signature,
                                    autograph=False, reduce_retracing=True)

    def scores(self, images):
        """float32 (N,): each image's "not a digit" score in [0, 1].

        Args:
            images: float32 (N, 28, 28) or (N, 28, 28, 1) in [0, 1], as `to_mnist_input` makes.
        """
        return self.probabilities(images)[:, NOT_A_DIGIT]

    def probabilities(self, images):
        """float32 (N, 12): the ten digits, "not a digit" and "several digits touching"."""
        batch = np.asarray(images, np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 1)
        if not len(batch):
            return np.zeros((0, SEVERAL_DIGITS + 1), np.float32)
        return self._forward(batch).numpy().astype(np.float32)

    def is_mark(self, image):
        """True when one blob read whole is no digit rather than digits that touch: its "not a
        digit" score reaches the threshold and beats "several digits"."""
        p = self.probabilities(image[None])[0]
        return self.says_mark(p[NOT_A_DIGIT], p[SEVERAL_DIGITS])

    def says_mark(self, not_digit_score, several_digits_score):
        """`is_mark` from the gate's two scores of the blob, where a read already has them
        (`Prediction.not_digit_score` and `several_digits_score`)."""
        return bool(not_digit_score >= self.threshold and not_digit_score >= several_digits_score)

    def flags(self, scores):
        """bool array: which scores say "not a digit"."""
        return np.asarray(scores) >= self.threshold


def load_gate(path):
    """A `DigitGate` from a gate file the project wrote, and the threshold in its .json twin."""
    import keras

    path = Path(path)
    model = keras.saving.load_model(path, compile=False, safe_mode=True)
    return DigitGate(model, json.loads(path.with_suffix(".json").read_text())["threshold"])


@functools.cache
def default_gate():
    """The shipped gate, loaded once per process; None while it has not been trained yet."""
    return load_gate(GATE_FILE) if GATE_FILE.exists() else None
