"""The gate's recipe: its network's classes, its threshold, its training images."""

import numpy as np

from mnist_core.constants import NOT_A_DIGIT
from mnist_core.reading.not_a_digit import SEVERAL_DIGITS
from mnist_core.training import gate_recipe


def test_the_threshold_lets_through_the_share_asked_of_the_calibration_digits():
    scores = np.linspace(0, 1, 10_001)
    threshold = gate_recipe.threshold_for(scores, false_flags=0.002)
    assert np.mean(scores >= threshold) <= 0.0021
    assert threshold == gate_recipe.threshold_for(scores[::-1], false_flags=0.002)


def test_the_network_has_ten_digits_not_a_digit_and_several_digits():
    model = gate_recipe.build_gate()
    assert model.output_shape == (None, SEVERAL_DIGITS + 1) == (None, NOT_A_DIGIT + 2)
    assert model.input_shape == (None, 28, 28, 1)


def test_training_images_hold_every_class_and_no_calibration_digit(tiny_data):
    (x_tiny, y_tiny), _ = tiny_data
    n = gate_recipe.CALIBRATION_IMAGES + 100
    x_train = np.resize(x_tiny, (n, 28, 28))
    y_train = np.resize(y_tiny, n)
    x, y = gate_recipe.gate_arrays(x_train, y_train, seed=1, non_digits=8, redrawn=4,
                                   stroked=10, touching=4, progress=lambda line: None)
    assert x.dtype == np.uint8 and x.shape[1:] == (28, 28) and len(x) == len(y) == 100 + 26
    assert set(np.unique(y)) == set(range(10)) | {NOT_A_DIGIT, SEVERAL_DIGITS}
    # MNIST's part is its first images: the last CALIBRATION_IMAGES are the threshold's.
    assert np.array_equal(x[:100], x_train[:100]) and np.array_equal(y[:100], y_train[:100])
