"""The tutorial's preparation and network, pinned layer by layer."""

import numpy as np

from mnist_core.constants import TUTORIAL_PARAM_COUNT
from mnist_core.training.model import build_tutorial_model, prepare, prepare_images, prepare_labels


def test_prepare_images_reshapes_and_scales_to_unit_float32():
    x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8).repeat(14, 1).repeat(14, 2)
    out = prepare_images(x)
    assert out.shape == (1, 28, 28, 1) and out.dtype == np.float32
    assert out[0, 0, 0, 0] == 0.0 and out[0, 0, 27, 0] == 1.0
    assert np.isclose(out[0, 27, 0, 0], 0.2) and np.isclose(out[0, 27, 27, 0], 0.4)


def test_prepare_images_gives_the_tutorials_very_numbers_for_every_grey_level():
    x = np.resize(np.arange(256, dtype=np.uint8), (3, 28, 28))
    tutorial = x.reshape((x.shape[0], 28, 28, 1)).astype("float32") / 255  # the tutorial's line
    np.testing.assert_array_equal(prepare_images(x), tutorial)
    assert prepare_images(x).dtype == np.float32


def test_prepare_labels_one_hot_encodes():
    out = prepare_labels(np.array([7, 0, 9]))
    assert out.shape == (3, 10) and out.dtype == np.float32
    assert out.argmax(axis=1).tolist() == [7, 0, 9] and out.sum() == 3


def test_prepare_keeps_train_and_test_apart(tiny_data):
    (X_train, Y_train), (X_test, Y_test) = prepare(tiny_data)
    assert X_train.shape == (64, 28, 28, 1) and Y_test.shape == (32, 10)


def test_model_is_the_tutorial_network_with_225034_parameters():
    model = build_tutorial_model()
    assert model.count_params() == TUTORIAL_PARAM_COUNT
    described = [(layer.__class__.__name__, tuple(layer.output.shape[1:]),
                  getattr(getattr(layer, "activation", None), "__name__", None))
                 for layer in model.layers]
    assert described == [
        ("Conv2D", (26, 26, 32), "relu"),
        ("MaxPooling2D", (13, 13, 32), None),
        ("Conv2D", (11, 11, 64), "relu"),
        ("MaxPooling2D", (5, 5, 64), None),
        ("Flatten", (1600,), None),
        ("Dense", (128,), "relu"),
        ("Dense", (10,), "softmax"),
    ]
    assert model.input_shape == (None, 28, 28, 1)
