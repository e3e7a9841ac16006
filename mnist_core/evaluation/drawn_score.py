"""How well a model reads drawings: its accuracy on the project's drawn digits, kept in metadata.

The page starts with the model that reads drawings best (`storage.default_entry`), so every
saved model carries this figure, measured once when it is trained: the same 1,000 drawings
for every model (`mnist_core.data.drawn_digits`, seed 0), prepared MNIST-style as the page
prepares a visitor's drawing.

Drawing and preparing those 1,000 images costs ~4-6 s of CPU, as much as a third of the quick
recipe's whole command, for the very same arrays every time; so the prepared set is kept in the
MNIST cache folder, under a name that changes whenever anything that makes it changes (the
test digits, the code that draws and prepares them, NumPy's and Pillow's versions).
"""

import hashlib
import inspect

import numpy as np

from mnist_core.data.npz_files import read_arrays
from mnist_core.regular_files import open_regular

DRAWN_SET_SIZE = 1000
DRAWN_SET_SEED = 0
"""The drawn set every model is scored on (`bench/eval_drawn.py` reports the same one)."""


def drawn_accuracy(model, x_test, y_test, n=DRAWN_SET_SIZE, seed=DRAWN_SET_SEED, cache_dir=None):
    """Accuracy of `model` on the drawn digits, each prepared with `to_mnist_input`.

    Args:
        model: a Keras model taking float32 (N, 28, 28, 1) in [0, 1], returning (N, 10).
        x_test, y_test: MNIST's test split (uint8 (10000, 28, 28), (10000,)), which the drawn
            set re-draws, so its labels are MNIST's own.
        n, seed: which drawn set.
        cache_dir: where the prepared set is kept (`data.default_cache_dir()` when None).

    Returns:
        A float in [0, 1].
    """
    from mnist_core.reading.inference import Predictor

    # The model's probabilities only: loading the "not a digit" gate as well cost the training
    # process ~0.3 s between its last batch and its model (issue 24).
    return share_read_right(Predictor(model, gate=None),
                            prepared_drawn_set(x_test, y_test, n, seed, cache_dir))


def share_read_right(predictor, drawn_set, batch_size=None, before_batch=None):
    """The share of `drawn_set` (`prepared_drawn_set`'s `(images, labels)`) that `predictor`
    (an `inference.Predictor`) reads right: a float in [0, 1]. In one call by default; in
    batches of `batch_size`, `before_batch()` called before each, when given."""
    from mnist_core.evaluation.test_report import in_batches

    images, labels = drawn_set
    read = in_batches(lambda some: predictor.probabilities(some).argmax(axis=1), images,
                      batch_size or max(1, len(images)), before_batch)
    predicted = np.concatenate(read) if read else np.zeros(0, np.int64)
    return float((predicted == labels).mean())


def prepared_drawn_set(x_test, y_test, n=DRAWN_SET_SIZE, seed=DRAWN_SET_SEED, cache_dir=None):
    """The drawn set as a model reads it, from the cache when it holds this very set.

    Returns:
        `(images, labels)`: float32 (n, 28, 28) in [0, 1] as `to_mnist_input` gives them, and
        int64 (n,) in [0, 9]. A missing, unreadable or malformed cache file is made again; a
        folder that cannot be written only means the set is made again next time.
    """
    from mnist_core.data.mnist import default_cache_dir

    folder = default_cache_dir() if cache_dir is None else cache_dir
    path = folder / f"drawn-{n}-{seed}-{_digest(x_test, y_test, n, seed)}.npz"
    cached = _read(path, n)
    if cached is not None:
        return cached
    made = _make(x_test, y_test, n, seed)
    _write(path, made, stale=folder.glob(f"drawn-{n}-{seed}-*.npz"))
    return made


def _make(x_test, y_test, n, seed):
    from mnist_core.data.drawn_digits import make_drawn_digits
    from mnist_core.reading.preprocess import to_mnist_input

    images, labels = make_drawn_digits(n, seed, source=(x_test, y_test))
    prepared = np.stack([to_mnist_input(image) for image in images]).astype(np.float32)
    return prepared.reshape(n, *prepared.shape[1:3]), np.asarray(labels, np.int64)


def _digest(x_test, y_test, n, seed):
    """Names everything the prepared set depends on, so a change makes a new file."""
    import PIL

    from mnist_core import constants
    from mnist_core.data import drawn_digits
    from mnist_core.reading import ink
    from mnist_core.reading import preprocess

    h = hashlib.sha256(f"{n} {seed} {np.__version__} {PIL.__version__}".encode())
    h.update(np.ascontiguousarray(x_test, np.uint8).tobytes())
    h.update(np.ascontiguousarray(y_test, np.int64).tobytes())
    for module in (constants, drawn_digits, ink, preprocess):
        h.update(inspect.getsource(module).encode())
    return h.hexdigest()[:20]


def _read(path, n):
    """The cached set, or None when it is missing, not a plain file, or not exactly `n`
    prepared images and labels (their declared sizes checked before reading: `npz_files`)."""
    try:
        with open_regular(path) as file:
            arrays = read_arrays(file, ("images", "labels"), {"images": n * 28 * 28 * 4,
                                                              "labels": n * 8},
                                 "the prepared set", check=_expected(n))
    except (OSError, ValueError):
        return None
    images, labels = arrays["images"], arrays["labels"]
    if not np.all((images >= 0) & (images <= 1)) or not np.all((labels >= 0) & (labels <= 9)):
        return None
    return images, labels


def _expected(n):
    def check(name, shape, dtype):
        wanted = ((n, 28, 28), np.float32) if name == "images" else ((n,), np.int64)
        if (shape, dtype) != (wanted[0], np.dtype(wanted[1])):
            raise ValueError(f"{name} is {shape} {dtype}")

    return check


def _write(path, made, stale):
    from mnist_core.atomic_files import replaced_atomically

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in stale:
            if old != path:
                old.unlink(missing_ok=True)
        with replaced_atomically(path) as temporary, open(temporary, "wb") as f:
            np.savez(f, images=made[0], labels=made[1])
    except OSError:
        pass  # a read-only cache folder: the set is made again next time
