"""The tutorial's data preparation and its Sequential CNN, exactly as the tutorial builds them."""

import numpy as np

from mnist_core.constants import (
    DEFAULT_LOSS,
    DEFAULT_OPTIMIZER,
    IMAGE_SIZE,
    INPUT_SHAPE,
    NUM_CLASSES,
    PIXEL_SCALE,
)


def prepare_images(x):
    """Reshapes raw MNIST images to model input, as the tutorial does.

    Args:
        x: uint8 array (N, 28, 28), grey levels 0..255.

    Returns:
        float32 array (N, 28, 28, 1), values in [0, 1].
    """
    x = np.asarray(x).reshape((-1, IMAGE_SIZE, IMAGE_SIZE, 1))
    # The tutorial's `astype("float32") / 255` in one float32 division, into one new array.
    return np.divide(x, np.float32(PIXEL_SCALE), dtype=np.float32)


def prepare_labels(y):
    """One-hot encodes labels with `keras.utils.to_categorical`, as the tutorial does.

    Args:
        y: int array (N,), values 0..9.

    Returns:
        float32 array (N, 10) of one-hot rows.
    """
    import keras

    return keras.utils.to_categorical(y, NUM_CLASSES).astype("float32")


def prepare_split(x, y):
    """Prepares one split, images `x` and labels `y`, as the tutorial does: `(X, Y)`."""
    return prepare_images(x), prepare_labels(y)


def prepare(data):
    """Prepares `((x_train, y_train), (x_test, y_test))` as the tutorial does.

    Returns:
        `(X_train, y_train), (X_test, y_test)`: float32 images (N, 28, 28, 1) in [0, 1] and
        one-hot float32 labels (N, 10).
    """
    train, test = data
    return prepare_split(*train), prepare_split(*test)


def build_tutorial_model(dtype=None):
    """Builds the tutorial's CNN (225,034 parameters), uncompiled.

    Conv2D(32, 3x3, relu) -> MaxPooling2D(2x2) -> Conv2D(64, 3x3, relu) -> MaxPooling2D(2x2)
    -> Flatten -> Dense(128, relu) -> Dense(10, softmax).

    Args:
        dtype: Keras dtype policy of the hidden layers; None (the tutorial) is float32. The
            softmax layer always computes in float32.

    Returns:
        A `keras.Sequential` taking (N, 28, 28, 1) float32 in [0, 1] and returning (N, 10)
        class probabilities.
    """
    import keras
    from keras import layers

    hidden = {} if dtype is None else {"dtype": dtype}
    return keras.Sequential([
        keras.Input(shape=INPUT_SHAPE),
        layers.Conv2D(32, (3, 3), activation="relu", **hidden),
        layers.MaxPooling2D((2, 2), **hidden),
        layers.Conv2D(64, (3, 3), activation="relu", **hidden),
        layers.MaxPooling2D((2, 2), **hidden),
        layers.Flatten(**hidden),
        layers.Dense(128, activation="relu", **hidden),
        layers.Dense(NUM_CLASSES, activation="softmax", **({} if dtype is None else {"dtype": "float32"})),
    ], name="tutorial_cnn")


def compile_tutorial(model, steps_per_execution=1):
    """Compiles with the tutorial's choices: Adam, categorical cross-entropy, accuracy.

    Args:
        model: an uncompiled Keras model.
        steps_per_execution: batches per compiled call; the maths is the same for any value,
            larger values only spend less time in Python between batches.

    Returns:
        The same model, compiled.
    """
    model.compile(optimizer=DEFAULT_OPTIMIZER, loss=DEFAULT_LOSS, metrics=["accuracy"],
                  steps_per_execution=steps_per_execution)
    return model
