"""How well a model reads drawings: its accuracy on the project's drawn digits, kept in metadata.

The page starts with the model that reads drawings best (`storage.default_entry`), so every
saved model carries this figure, measured once when it is trained: the same 1,000 drawings
for every model (`mnist_core.drawn_digits`, seed 0), prepared MNIST-style as the page
prepares a visitor's drawing.
"""

import numpy as np

DRAWN_SET_SIZE = 1000
DRAWN_SET_SEED = 0
"""The drawn set every model is scored on (`bench/eval_drawn.py` reports the same one)."""


def drawn_set(x_test, y_test, n=DRAWN_SET_SIZE, seed=DRAWN_SET_SEED):
    """The drawn digits as the model sees them: each drawing prepared with `to_mnist_input`.

    Args:
        x_test, y_test: MNIST's test split (uint8 (10000, 28, 28), (10000,)), which the drawn
            set re-draws, so its labels are MNIST's own.
        n, seed: which drawn set.

    Returns:
        `(images, labels)`: float32 (n, 28, 28) in [0, 1] and int (n,).
    """
    from mnist_core.drawn_digits import make_drawn_digits
    from mnist_core.preprocess import to_mnist_input

    images, labels = make_drawn_digits(n, seed, source=(x_test, y_test))
    return np.stack([to_mnist_input(image) for image in images]), np.asarray(labels)


def drawn_accuracy(model, x_test, y_test, n=DRAWN_SET_SIZE, seed=DRAWN_SET_SEED):
    """Accuracy of `model` on the drawn digits, each prepared with `to_mnist_input`.

    Args:
        model: a Keras model taking float32 (N, 28, 28, 1) in [0, 1], returning (N, 10).
        x_test, y_test: MNIST's test split, as for `drawn_set`.
        n, seed: which drawn set.

    Returns:
        A float in [0, 1].
    """
    from mnist_core.inference import Predictor

    prepared, labels = drawn_set(x_test, y_test, n, seed)
    predicted = Predictor(model).probabilities(prepared).argmax(axis=1)
    return float((predicted == labels).mean())
