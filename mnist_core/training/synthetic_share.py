"""A recipe's share of stroked digits (European forms included), mixed into MNIST's training set."""

import functools
import time

import numpy as np

from mnist_core.data.european_digits import make_stroked_training_digits


def synthetic_count(mnist_images, share):
    """How many stroked digits make up `share` of an epoch whose MNIST part is `mnist_images`.

    Args:
        mnist_images: training images taken from MNIST.
        share: fraction of each epoch's images that are stroked digits, in [0, 1).

    Returns:
        int, at least 0: `share * (mnist_images + count)`, rounded.
    """
    return int(round(mnist_images * share / (1.0 - share))) if share > 0 else 0


@functools.lru_cache(maxsize=2)
def _cached_digits(n, seed):
    # Drawn once per (n, seed) and per process: a second training with the same settings (the
    # page, a benchmark) does not draw them again. Read-only, so no caller can change the cache.
    x, y = make_stroked_training_digits(n, seed)
    x.flags.writeable = y.flags.writeable = False
    return x, y


def with_synthetic_share(x_train, y_train, share, seed):
    """Appends `share` of stroked digits to MNIST training arrays.

    Args:
        x_train: uint8 (N, 28, 28) in [0, 255], MNIST's training images (or the first N).
        y_train: int labels (N,).
        share: fraction of the result that is stroked digits, in [0, 1); 0 returns the inputs
            themselves, untouched.
        seed: the training seed; the stroked digits are a pure function of `(count, seed)` and
            never those of the European evaluation set.

    Returns:
        `(x, y, info)`: the arrays (MNIST first, stroked digits after: the training pipeline
        shuffles them) and `{"synthetic_images": count, "synthetic_seconds": time to draw}`.
    """
    n = synthetic_count(len(x_train), share)
    if n == 0:
        return x_train, y_train, {"synthetic_images": 0, "synthetic_seconds": 0.0}
    started = time.perf_counter()
    x_syn, y_syn = _cached_digits(n, int(seed))
    seconds = time.perf_counter() - started
    x = np.concatenate([np.asarray(x_train, np.uint8), x_syn])
    y = np.concatenate([np.asarray(y_train), y_syn.astype(np.asarray(y_train).dtype)])
    return x, y, {"synthetic_images": n, "synthetic_seconds": round(seconds, 1)}
