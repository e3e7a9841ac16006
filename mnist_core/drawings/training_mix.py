"""Visitors' recorded drawings mixed into a training, with a held-out share to score them on.

`jobs.train_and_score(..., drawings=drawings_extra(...))` adds the training part of the drawings to
MNIST's training images, each repeated `weight` times (a few hundred drawings would otherwise be
lost among 60,000), and scores the trained model on the held-out part, reported in the metadata
beside the MNIST test accuracy (`drawings_accuracy`, `drawings_heldout`). A drawing its visitor
labelled `NOT_A_DIGIT` is left out: the network has no class for it, and no digit class may learn
from it. From the drawings database only trusted labels are taken (`trust`), and no session or
client address makes more than `MNIST_DRAWINGS_MAX_SHARE` of an epoch's images (`mix_into`).
"""

import dataclasses
from pathlib import Path

import numpy as np

from mnist_core import settings
from mnist_core.constants import NUM_CLASSES
from mnist_core.drawings.export_file import read_export
from mnist_core.drawings.store_file import check_sqlite
from mnist_core.drawings.trust import capped
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
        sessions, clients: object (N,): who recorded each drawing trained on (a session id, a
            client hash or None), for the cap on each one's share; None for an .npz's drawings.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_heldout: np.ndarray
    y_heldout: np.ndarray
    weight: int = DEFAULT_WEIGHT
    sessions: np.ndarray = None
    clients: np.ndarray = None


def load_drawings(source=None):
    """The drawings of digits of an `.npz` file (keras.datasets layout) or a drawings database.

    Args:
        source: a `.npz` path with `x` uint8 (N, 28, 28) and `y` (N,) labels 0..9 or
            `NOT_A_DIGIT` (what `python -m mnist_core drawings export` writes), a SQLite file,
            a `postgresql://` URL, or None for the server's own store (`store.location()`).

    Returns:
        `(x, y)`: uint8 (N, 28, 28) in [0, 255] and uint8 (N,) digits 0..9; the drawings
        labelled `NOT_A_DIGIT` are left out.

    Raises:
        MnistError: the file is missing, or not drawings; an `.npz` that declares more than an
            export can hold is refused before it is read (`export_file.read_export`).
    """
    from mnist_core.drawings.store import is_url, location

    path = source or location()
    if is_url(path):
        x, y, _, _ = trusted_drawings(path)
        digits = y < NUM_CLASSES
        return x[digits], y[digits].astype(np.uint8)
    path = Path(path)
    if path.suffix.lower() == ".npz" and path.exists():
        x, y = read_export(path)  # bounded: a FIFO, a bomb, a huge header are one sentence
    elif not path.is_file():  # the server's own store is named, never its folder: a visitor's
        # training on the page reads it too
        raise MnistError(f"There is no drawings file at {path if source else path.name}: record "
                         "drawings on the page, or give an .npz written by `drawings export`.")
    else:
        x, y, _, _ = trusted_drawings(path)
    digits = y < NUM_CLASSES
    return x[digits], y[digits].astype(np.uint8)


def trusted_drawings(path):
    """The drawings of a database (a SQLite file or a `postgresql://` URL) whose labels are
    trusted, judged first (`trust.assess`).

    Returns:
        `(x, y, sessions, clients)` as `trust.trusted` gives them.

    Raises:
        MnistError: the file holds rows this app did not write (told from their declared
            sizes; none is read), or cannot be read as a drawings database.
    """
    from mnist_core.drawings.store import DrawingRefused, DrawingsDB, is_url
    from mnist_core.drawings.trust import assess, reference_predictor, trusted

    if not is_url(path):
        path = Path(path)
        check_sqlite(path, "a drawings database, nor an .npz written by `drawings export`")
    db = DrawingsDB(path)
    # A file by its name only, a server by no address: a visitor's training may say it.
    name = db.path.name if db.path else "The drawings server"
    try:
        if unsound := db.unsound():
            raise MnistError(
                f"{name} holds {unsound} row{'s' if unsound > 1 else ''} this app did not "
                "write (an image that is not 28x28 bytes, a label outside 0-10, or another value "
                "of the wrong type or size), so it was not read: train with a file the page "
                "recorded.")
        assess(db, reference_predictor())
        return trusted(db)
    except DrawingRefused:  # its sentence speaks of recording on a page
        raise MnistError(f"{name} cannot be read as a drawings database.") from None


def split(x, y, weight=DEFAULT_WEIGHT, heldout_share=HELDOUT_SHARE, sessions=None,
          clients=None):
    """Splits drawings into a training part and a held-out part (the same split every time);
    `sessions` and `clients` (who recorded each, or None) follow the training part.

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
    sources = {} if sessions is None else {
        "sessions": np.asarray(sessions, object)[kept], "clients": np.asarray(clients, object)[kept]}
    return DrawingsExtra(x[kept], y[kept], x[out], y[out], weight, **sources)


def drawings_extra(source=None, weight=DEFAULT_WEIGHT):
    """`split(*load_drawings(source), weight)`: what `jobs.train_and_score(drawings=...)` takes;
    from a database, the trusted drawings with who recorded them (for `mix_into`'s cap)."""
    from mnist_core.drawings.store import DrawingsDB, is_url, location

    path = source or location()
    if not is_url(path):
        path = Path(path)
        if path.suffix.lower() == ".npz" or not path.is_file():
            return split(*load_drawings(source), weight=weight)
    x, y, sessions, clients = trusted_drawings(path)
    if len(x) < MIN_DRAWINGS:
        db = DrawingsDB(path)
        untrusted = db.count(digits=True) - len(x)
        raise MnistError(f"There are {len(x)} drawings of digits with a trusted label in "
                         f"{db.path.name if db.path else 'the drawings server'} ({untrusted} disputed or not yet judged: `python -m "
                         "mnist_core drawings review`); training with drawings needs at least "
                         f"{MIN_DRAWINGS}.")
    return split(x, y, weight=weight, sessions=sessions, clients=clients)


def mix_into(x_train, y_train, extra):
    """MNIST's training arrays with the drawings' training part appended, repeated.

    Args:
        x_train: uint8 (N, 28, 28); y_train: (N,) labels.
        extra: a `DrawingsExtra`, or None (the arrays come back untouched).

    Returns:
        `(x, y, info)`: `info` is `{"drawings_trained": count, "drawings_weight": weight}` (empty
        for None), with `"drawings_capped"` when some were left out. The repeats are capped so
        they make at most `MAX_SHARE` of the result, and one session's or client address's
        drawings at most `MNIST_DRAWINGS_MAX_SHARE` of MNIST's images (their most recent).
    """
    if extra is None:
        return x_train, y_train, {}
    most = int(len(x_train) * MAX_SHARE / (1 - MAX_SHARE))
    repeats = max(1, min(extra.weight, most // max(1, len(extra.x_train))))
    x_extra, y_extra, left_out = extra.x_train, extra.y_train, 0
    if extra.sessions is not None:
        each = max(1, int(settings.get("MNIST_DRAWINGS_MAX_SHARE") * len(x_train) / repeats))
        keep = capped(extra.sessions, extra.clients, each)
        x_extra, y_extra, left_out = x_extra[keep], y_extra[keep], int((~keep).sum())
    count = min(len(x_extra) * repeats, max(most, len(x_extra)))
    x_more = np.tile(x_extra, (repeats, 1, 1))[:count]
    y_more = np.tile(y_extra, repeats)[:count]
    x = np.concatenate([np.asarray(x_train, np.uint8), x_more])
    y = np.concatenate([np.asarray(y_train), y_more.astype(np.asarray(y_train).dtype)])
    info = {"drawings_trained": int(len(x_extra)), "drawings_weight": int(repeats)}
    return x, y, info | ({"drawings_capped": left_out} if left_out else {})


def heldout_facts(model, extra):
    """`{"drawings_accuracy", "drawings_heldout"}` of a trained model (empty for None)."""
    if extra is None:
        return {}
    from mnist_core.reading.inference import Predictor

    predicted = Predictor(model).probabilities(extra.x_heldout / np.float32(255)).argmax(axis=1)
    accuracy = float((predicted == extra.y_heldout).mean())
    return {"drawings_accuracy": round(accuracy, 4), "drawings_heldout": int(len(extra.y_heldout))}
