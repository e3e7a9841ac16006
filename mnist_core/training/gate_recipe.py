"""Training the "not a digit" gate (`mnist_core.reading.not_a_digit`); calibrating its threshold.

The gate is a small CNN with twelve classes: the ten digits, "not a digit" and "several digits
touching" (`SEVERAL_DIGITS`). Learning the digits too (outlier exposure with the classes kept)
makes it learn what a digit's strokes look like, rather than only what the negatives have in
common. It trains on:
- digits: MNIST's training images but the last `CALIBRATION_IMAGES`, the stroked digits of every
  form (European ones included) that the strong recipe adds, and MNIST training digits
  re-drawn as on a canvas and prepared the way the page prepares a drawing;
- non-digits: letters, shapes and scribbles from `mnist_core.data.non_digits`' training stream;
- two or three MNIST training digits that touch (`mnist_core.data.touching_digits`);
all augmented as the strong recipe augments (shifts, turns, zoom, stroke thickness).

Its threshold is set on digits it never trained on (the last `CALIBRATION_IMAGES` of MNIST's
training split, as they are and re-drawn on a canvas, and European digits from a calibration
seed): the score that `TARGET_FALSE_FLAGS` of them reach. The test sets the bench measures on
(MNIST's test split, the drawn and European evaluation sets, the evaluation non-digits) are
never seen by either step.
"""

import time

import numpy as np

from mnist_core.constants import INPUT_SHAPE, NOT_A_DIGIT
from mnist_core.reading.not_a_digit import SEVERAL_DIGITS

CALIBRATION_IMAGES = 5000
"""MNIST training images kept out of the gate's training, to set its threshold on."""

TARGET_FALSE_FLAGS = 0.002
"""Share of the calibration digits the threshold lets through as "not a digit"."""

CALIBRATION_SEED = 3_000_000
"""Seed of the European and canvas-drawn digits the threshold is set on: neither the training
seeds (small) nor the evaluation ones."""


def build_gate(dtype="float32"):
    """The gate's network: two convolution blocks with batch norm, 12 softmax outputs.

    The twelfth class, `SEVERAL_DIGITS`, is two or three digits that touch, read as one blob.
    Without it, a number's touching digits read whole look like no digit, and the gate could
    not tell a letter cut in two (an X read "76") from two digits that touch.
    """
    import keras
    from keras import layers

    from mnist_core.training.recipes import conv_block

    fast = {"dtype": dtype}
    return keras.Sequential([
        keras.Input(shape=INPUT_SHAPE), *conv_block(24, dtype), *conv_block(48, dtype),
        layers.Flatten(**fast),
        layers.Dense(128, use_bias=False, **fast), layers.BatchNormalization(**fast),
        layers.ReLU(**fast), layers.Dropout(0.3, **fast),
        layers.Dense(SEVERAL_DIGITS + 1, activation="softmax", dtype="float32"),
    ], name="not_a_digit_gate")


def gate_arrays(x_train, y_train, seed, non_digits=45_000, redrawn=15_000, stroked=10_000,
                touching=16_000, progress=print):
    """The gate's training images (uint8 (N, 28, 28)) and labels (0..9, `NOT_A_DIGIT`,
    `SEVERAL_DIGITS`)."""
    from mnist_core.data.drawn_digits import make_drawn_digits
    from mnist_core.data.non_digits import make_training_non_digits
    from mnist_core.data.touching_digits import make_touching_digits
    from mnist_core.reading.preprocess import to_mnist_input
    from mnist_core.training.synthetic_share import _cached_digits

    x_mnist, y_mnist = x_train[:-CALIBRATION_IMAGES], y_train[:-CALIBRATION_IMAGES]
    started = time.perf_counter()
    x_stroked, y_stroked = _cached_digits(stroked, seed)
    progress(f"stroked digits: {stroked} in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    drawings, y_redrawn = make_drawn_digits(redrawn, seed, source=(x_mnist, y_mnist))
    x_redrawn = np.stack([np.round(255 * to_mnist_input(d)).astype(np.uint8) for d in drawings])
    progress(f"re-drawn digits: {redrawn} in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    x_not = make_training_non_digits(non_digits, seed)
    progress(f"non-digits: {non_digits} in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    x_touching = make_touching_digits(x_mnist, touching, seed)
    progress(f"touching digits: {touching} in {time.perf_counter() - started:.0f} s")
    x = np.concatenate([x_mnist, x_stroked, x_redrawn, x_not, x_touching])
    y = np.concatenate([y_mnist, y_stroked, y_redrawn, np.full(non_digits, NOT_A_DIGIT),
                        np.full(touching, SEVERAL_DIGITS)])
    return x, y.astype(np.int64)


def calibration_digits(x_train, y_train, n_drawn=3000, n_european=2000):
    """Digits the gate never trained on, MNIST-style float32 (N, 28, 28): its threshold's ground."""
    from mnist_core.data.drawn_digits import make_drawn_digits
    from mnist_core.data.european_digits import make_european_digits
    from mnist_core.reading.preprocess import to_mnist_input

    held = (x_train[-CALIBRATION_IMAGES:], y_train[-CALIBRATION_IMAGES:])
    drawn, _ = make_drawn_digits(n_drawn, CALIBRATION_SEED, source=held)
    european, _ = make_european_digits(n_european, CALIBRATION_SEED)
    prepared = np.stack([to_mnist_input(d) for d in [*drawn, *european]])
    return np.concatenate([held[0].astype(np.float32) / 255, prepared])


def threshold_for(scores, false_flags=TARGET_FALSE_FLAGS):
    """The score at or above which only `false_flags` of these digits' `scores` lie."""
    return float(np.quantile(np.asarray(scores, np.float64), 1 - false_flags))


def train_gate(data, seed=1, epochs=8, batch_size=128, dtype="float32", progress=print):
    """Trains the gate and sets its threshold.

    Args:
        data: `((x_train, y_train), (x_test, y_test))` as `mnist_core.data.mnist.load_data()`.
        seed, epochs, batch_size: the training's.
        dtype: the Keras dtype policy ("float32" or "mixed_bfloat16").
        progress: called with one line of text per step.

    Returns:
        `(model, facts)`: the Keras model and the dict written beside it (threshold, counts,
        seconds, the calibration's score quantiles).
    """
    import keras

    from mnist_core.reading.not_a_digit import DigitGate
    from mnist_core.training.recipes import _strong_augmenter, _warmup_cosine
    from mnist_core.training.trainer import _augmented

    (x_train, y_train), _ = data
    keras.utils.set_random_seed(seed)
    started = time.perf_counter()
    x, y = gate_arrays(x_train, y_train, seed, progress=progress)
    images = x[..., None].astype(np.float32) / 255
    labels = keras.utils.to_categorical(y, SEVERAL_DIGITS + 1)
    steps = -(-len(x) // batch_size)
    model = build_gate(dtype)
    model.compile(optimizer=keras.optimizers.Adam(_warmup_cosine(3e-3, steps * epochs)),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.02),
                  metrics=["accuracy"])
    model.fit(_augmented(images, labels, batch_size, seed, _strong_augmenter(seed)),
              epochs=epochs, verbose=2)
    gate = DigitGate(model, 1.0)
    scores = gate.scores(calibration_digits(x_train, y_train))
    threshold = threshold_for(scores)
    facts = {"threshold": threshold, "target_false_flags": TARGET_FALSE_FLAGS,
             "calibration_digits": int(len(scores)), "epochs": epochs, "batch_size": batch_size,
             "seed": seed, "dtype_policy": dtype,
             "training_images": {"digits": int((y < NOT_A_DIGIT).sum()),
                                 "non_digits": int((y == NOT_A_DIGIT).sum()),
                                 "touching_digits": int((y == SEVERAL_DIGITS).sum())},
             "seconds": round(time.perf_counter() - started, 1)}
    progress(f"threshold {threshold:.4f} on {len(scores)} calibration digits")
    return model, facts
