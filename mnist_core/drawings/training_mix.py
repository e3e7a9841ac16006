"""Visitors' recorded drawings mixed into a training, with a held-out share to score them on.

`jobs.train_and_score(..., drawings=drawings_extra(...))` adds the training part of the drawings to
MNIST's training images, each repeated `weight` times (a few hundred drawings would otherwise be
lost among 60,000), and scores the trained model on the held-out part, reported in the metadata
beside the MNIST test accuracy (`drawings_accuracy`, `drawings_heldout`). A drawing its visitor
labelled `NOT_A_DIGIT` is left out: the network has no class for it, and no digit class may learn
from it.
"""

import dataclasses
from pathlib import Path

import numpy as np

from mnist_core.constants import NUM_CLASSES
from mnist_core.drawings.export_file import read_export
from mnist_core.errors import MnistError

DEFAULT_WEIGHT = 10
"""Times each recorded drawing is repeated in an epoch."""
HELDOUT_SHARE = 0.2
"""Share of the drawings kept out of training to score the model on."""
MAX_SHARE = 0.25
"""The repeated drawings make at most this share of an epoch's images, so MNIST stays most
of what the network learns from and a visitor's training stays within its time."""
MIN_DRAWINGS = 10
"""Fewer drawings than this are too few to train with and keep a held-out share."""
SPLIT_SEED = 13  # the held-out share is the same whatever the training seed


@dataclasses.dataclass(frozen=True)
class DrawingsExtra:
    """Recorded drawings split for one training.

    Attributes:
        x_train, y_train: uint8 (N, 28, 28) and (N,): the drawings trained on.
        x_heldout, y_heldout: the drawings kept out, to score the model on.
        weight: times each training drawing is repeated in an epoch.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_heldout: np.ndarray
    y_heldout: np.ndarray
    weight: int = DEFAULT_WEIGHT


def load_drawings(source=None):
    """The drawings of digits of an `.npz` file (keras.datasets layout) or a drawings database.

    Args:
        source: a `.npz` path with `x` uint8 (N, 28, 28) and `y` (N,) labels 0..9 or
            `NOT_A_DIGIT` (what `python -m mnist_core drawings export` writes), a SQLite file,
            or None for `MNIST_DRAWINGS_DB`.

    Returns:
        `(x, y)`: uint8 (N, 28, 28) in [0, 255] and uint8 (N,) digits 0..9; the drawings
        labelled `NOT_A_DIGIT` are left out.

    Raises:
        MnistError: the file is missing, or not drawings; an `.npz` that declares more than an
            export can hold is refused before it is read (`export_file.read_export`).
    """
    from mnist_core.drawings.store import DrawingsDB, db_path

    path = Path(source) if source else db_path()
    if path.suffix == ".npz" and path.exists():
        x, y = read_export(path)  # bounded: a FIFO, a bomb, a huge header are one sentence
    elif not path.is_file():
        raise MnistError(f"There is no drawings file at {path}: record drawings on the page, "
                         "or give an .npz written by `drawings export`.")
    else:
        x, y = DrawingsDB(path).images(digits=True)
    digits = y < NUM_CLASSES
    return x[digits], y[digits].astype(np.uint8)


def split(x, y, weight=DEFAULT_WEIGHT, heldout_share=HELDOUT_SHARE):
    """Splits drawings into a training part and a held-out part (the same split every time).

    Raises:
        MnistError: fewer than `MIN_DRAWINGS` drawings, or a weight below 1.
    """
    if len(x) < MIN_DRAWINGS:
        raise MnistError(f"There are {len(x)} recorded drawings of digits; training with "
                         f"drawings needs at least {MIN_DRAWINGS}.")
    if not isinstance(weight, int) or weight < 1:
        raise MnistError(f"The drawings' weight must be a whole number of at least 1, not {weight!r}.")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x))
    held = max(1, int(round(len(x) * heldout_share)))
    kept, out = np.sort(order[held:]), np.sort(order[:held])
    return DrawingsExtra(x[kept], y[kept], x[out], y[out], weight)


def drawings_extra(source=None, weight=DEFAULT_WEIGHT):
    """`split(*load_drawings(source), weight)`: what `jobs.train_and_score(drawings=...)` takes."""
    return split(*load_drawings(source), weight=weight)


def mix_into(x_train, y_train, extra):
    """MNIST's training arrays with the drawings' training part appended, repeated.

    Args:
        x_train: uint8 (N, 28, 28); y_train: (N,) labels.
        extra: a `DrawingsExtra`, or None (the arrays come back untouched).

    Returns:
        `(x, y, info)`: `info` is `{"drawings_trained": count, "drawings_weight": weight}` (empty
        for None). The repeats are capped so they make at most `MAX_SHARE` of the result.
    """
    if extra is None:
        return x_train, y_train, {}
    most = int(len(x_train) * MAX_SHARE / (1 - MAX_SHARE))
    repeats = max(1, min(extra.weight, most // max(1, len(extra.x_train))))
    count = min(len(extra.x_train) * repeats, max(most, len(extra.x_train)))
    x_more = np.tile(extra.x_train, (repeats, 1, 1))[:count]
    y_more = np.tile(extra.y_train, repeats)[:count]
    x = np.concatenate([np.asarray(x_train, np.uint8), x_more])
    y = np.concatenate([np.asarray(y_train), y_more.astype(np.asarray(y_train).dtype)])
    return x, y, {"drawings_trained": int(len(extra.x_train)), "drawings_weight": int(repeats)}


def heldout_facts(model, extra):
    """`{"drawings_accuracy", "drawings_heldout"}` of a trained model (empty for None)."""
    if extra is None:
        return {}
    from mnist_core.reading.inference import Predictor

    predicted = Predictor(model).probabilities(extra.x_heldout / np.float32(255)).argmax(axis=1)
    accuracy = float((predicted == extra.y_heldout).mean())
    return {"drawings_accuracy": round(accuracy, 4), "drawings_heldout": int(len(extra.y_heldout))}
