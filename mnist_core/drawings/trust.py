"""Which visitors' labels a training or a score may use: the trust rule, and each source's share.

Anyone may open the page and label a drawing, and a script may open fresh sessions by the
hundred: a label is a claim, not a fact. Every drawing is kept, with a status (`STATUSES`):

- `pending`: not judged yet; `assess` judges each once, before a training or a score reads the store;
- `plausible`: the reference model (`MNIST_TRUST_MODEL`, a shipped model, never a visitor's)
  gives the label a real probability (`MNIST_TRUST_MIN_PROBABILITY`); or, where there is no
  reference model, visitors from at least `AGREEING_CLIENTS` other client addresses gave the
  same label to a near-identical drawing (sessions are free to open, addresses are not, so
  sessions never count as agreement). Agreement never overrides the reference model: only
  copies are near-identical, and three addresses sending the same 300 '1's labelled 7 made
  7,200 of a training's images;
- `disputed`: neither (or no reference model and no agreement); kept, never used, shown to the
  deployer (`drawings review`), judged again only when a new drawing may agree with it;
- `approved`, `rejected`: the deployer's word (`drawings approve|reject`), which stands.

Only `TRUSTED` labels train or score, and no session and no client address contributes more
than `MNIST_DRAWINGS_MAX_SHARE` of them (`capped`).
"""

import logging

import numpy as np

from mnist_core import settings
from mnist_core.constants import IMAGE_SIZE, NUM_CLASSES
from mnist_core.drawings.row import TRUSTED_SQL
from mnist_core.errors import MnistError

log = logging.getLogger("mnist_core.drawings.store")

STATUSES = ("pending", "plausible", "disputed", "approved", "rejected")
TRUSTED = ("plausible", "approved")
AGREEING_CLIENTS = 2
"""Other client addresses whose same label on a near-identical drawing makes a label plausible."""
NEAR = 8.0
"""Mean absolute difference, in grey levels of 0..255, below which two 28x28 inputs are the
same drawing (a stroke drawn again by another hand differs by far more; a copy by less)."""
AGREEMENT_POOL = 5000
"""Agreement is sought among this many most recent rows with a known address: a bounded cost."""
BATCH = 1024  # rows judged per query: memory stays ~1 MB whatever the store holds


def reference_predictor(loader=None):
    """A `Predictor` of `MNIST_TRUST_MODEL` in the models folder, or None (the log says why):
    no such setting, no such file, or a model a visitor trained (it could have learned the very
    labels it would judge).

    Args:
        loader: `path -> (metadata, predictor)`, e.g. the page's cached one; by default the
            file is loaded (`untrusted.checked_load.load_model`).
    """
    from mnist_core import storage

    name = settings.get("MNIST_TRUST_MODEL")
    if not name:
        return None
    try:
        metadata, predictor = (loader or _load)(storage.models_dir() / name)
    except MnistError as error:
        _warn_once(f"Visitors' labels are judged by agreement and approval only: {error} "
                   "(MNIST_TRUST_MODEL).")
        return None
    if metadata.get("trained_by_visitor"):
        _warn_once(f"Visitors' labels are judged by agreement and approval only: {name} was "
                   "trained by a visitor; MNIST_TRUST_MODEL must name a shipped model.")
        return None
    return predictor


_warned = set()


def _warn_once(sentence):
    """The deployer's log says it once per process, not at every page's rerun."""
    if sentence not in _warned:
        _warned.add(sentence)
        log.warning("%s", sentence)


def _load(path):
    from mnist_core.reading.inference import Predictor
    from mnist_core.untrusted.checked_load import load_model

    loaded = load_model(path)
    return loaded.metadata, Predictor(loaded.model, gate=None)


def judged(probabilities, labels, least=None):
    """Whether the reference model gives each label a real probability.

    Args:
        probabilities: float (N, 10), the reference model's readings.
        labels: int (N,) digits 0..9.
        least: the probability needed; `MNIST_TRUST_MIN_PROBABILITY` when None.

    Returns:
        bool (N,).
    """
    least = settings.get("MNIST_TRUST_MIN_PROBABILITY") if least is None else least
    labels = np.asarray(labels, np.int64)
    return np.asarray(probabilities)[np.arange(len(labels)), labels] >= least


def agreed(images, labels, clients, pool_images, pool_labels, pool_clients):
    """Whether at least `AGREEING_CLIENTS` other client addresses gave each drawing's label to
    a near-identical drawing (`NEAR`). A row without an address has no agreement.

    Args:
        images, labels, clients: the rows judged: uint8 (N, 28, 28), int (N,), N str or None.
        pool_images, pool_labels, pool_clients: the rows they may agree with, alike.

    Returns:
        bool (N,).
    """
    found = np.zeros(len(labels), bool)
    pool_flat = np.asarray(pool_images, np.int16).reshape(len(pool_labels), IMAGE_SIZE ** 2)
    pool_labels, pool_clients = np.asarray(pool_labels), np.asarray(pool_clients, object)
    known = np.array([c is not None for c in pool_clients], bool)
    for i, (image, label, client) in enumerate(zip(images, labels, clients)):
        if client is None:
            continue
        same = (pool_labels == label) & (pool_clients != client) & known
        if len(set(pool_clients[same])) < AGREEING_CLIENTS:
            continue
        distance = np.abs(pool_flat[same] - np.asarray(image, np.int16).reshape(1, -1)).mean(1)
        found[i] = len(set(pool_clients[same][distance < NEAR])) >= AGREEING_CLIENTS
    return found


def assess(db, predictor):
    """Judges every pending drawing of a digit once: `plausible` or `disputed`, by the reference
    model, or without one (`predictor` None) by agreement, a label nobody agrees with disputed
    too, so that the deployer sees it in `drawings review`. Without a reference model, a
    drawing already disputed is asked for agreement again only when one just judged is near it
    with its label: the only news that could change its status. (Asking every disputed drawing at each new one, or every pending one at each
    page's rerun without a reference model, cost the server seconds per visitor for a few
    thousand drawings: a way for one script to stall the page.)

    Args:
        db: a `DrawingsDB`.
        predictor: the reference model's `Predictor` (`reference_predictor()`), or None.

    Returns:
        `{"plausible": n, "disputed": m}`: how many rows changed status.
    """
    changed = {"plausible": 0, "disputed": 0}
    if not pending(db):
        return changed  # nothing new: a page may call this at every rerun
    pool = _rows(db, f"client IS NOT NULL AND label < {NUM_CLASSES} AND status != 'rejected'",
                 "id DESC", AGREEMENT_POOL)
    near_fresh, last = np.zeros(len(pool[0]), bool), 0
    while True:
        ids, images, labels, clients, _ = _rows(
            db, f"status = 'pending' AND label < {NUM_CLASSES} AND id > {last}", "id", BATCH)
        if not len(ids):
            break
        last = int(ids[-1])
        if predictor is not None:  # its "no" is overridden by the deployer only
            ok = judged(predictor.probabilities(images.astype(np.float32) / 255.0), labels)
        else:
            ok = agreed(images, labels, clients, *pool[1:4])
            near_fresh |= _near(pool, images, labels, clients)
        changed["plausible"] += _mark(db, ids[ok], "plausible")
        changed["disputed"] += _mark(db, ids[~ok], "disputed")
        if len(ids) < BATCH:
            break
    if near_fresh.any():  # disputed ones the new drawings may agree with
        ids, images, labels, clients = (part[near_fresh] for part in pool[:4])
        changed["plausible"] += _mark(db, ids[agreed(images, labels, clients, *pool[1:4])],
                                      "plausible")
    return changed


def _near(pool, images, labels, clients):
    """bool (len(pool)): the pool's rows near-identical to one of `images` with its label, from
    another client address (those whose agreement the new rows may complete)."""
    _, pool_images, pool_labels, pool_clients, _ = pool
    flat = np.asarray(pool_images, np.int16).reshape(len(pool_labels), IMAGE_SIZE ** 2)
    near = np.zeros(len(pool_labels), bool)
    for image, label, client in zip(images, labels, clients):
        if client is None:
            continue
        rows = np.flatnonzero((pool_labels == label) & (pool_clients != client) & ~near)
        distance = np.abs(flat[rows] - np.asarray(image, np.int16).reshape(1, -1)).mean(1)
        near[rows[distance < NEAR]] = True
    return near


def pending(db):
    """Whether some drawing of a digit waits to be judged (a cheap query, for every rerun)."""
    return bool(db.read(f"SELECT 1 FROM drawings WHERE status = 'pending' AND label < "
                        f"{NUM_CLASSES} LIMIT 1"))


def _mark(db, ids, status):
    """Sets the status of rows still pending or disputed (a deployer's word stands)."""
    done, ids = 0, [int(i) for i in ids]
    for start in range(0, len(ids), 500):  # SQLite's bound on a statement's parameters
        part = ids[start:start + 500]
        done += db.write(f"UPDATE drawings SET status = ? WHERE id IN ({','.join('?' * len(part))})"
                         " AND status IN ('pending', 'disputed')", (status, *part))
    return done


def capped(sessions, clients, most):
    """Which rows to keep so that no session and no client address has more than `most`.

    Args:
        sessions, clients: N session ids and N client hashes (None: unknown), oldest first.
        most: rows kept per session and per client, at least 1.

    Returns:
        bool (N,): each source's most recent `most` rows.
    """
    keep = np.zeros(len(sessions), bool)
    per_session, per_client = {}, {}
    for i in range(len(sessions) - 1, -1, -1):
        session, client = sessions[i], clients[i]
        if per_session.get(session, 0) >= most or (
                client is not None and per_client.get(client, 0) >= most):
            continue
        keep[i] = True
        per_session[session] = per_session.get(session, 0) + 1
        if client is not None:
            per_client[client] = per_client.get(client, 0) + 1
    return keep


def trusted(db, last=None):
    """The trusted drawings of digits: `(x, y, sessions, clients)`, oldest first: uint8
    (N, 28, 28), uint8 (N,) digits, and N session ids and client hashes (None: unknown); only
    the `last` ones when given."""
    _, x, y, clients, sessions = (part[::-1] for part in _rows(
        db, TRUSTED_SQL + f" AND label < {NUM_CLASSES}", "id DESC", last))
    return x, y.astype(np.uint8), sessions, clients


def for_score(db, last):
    """The drawings a score is taken on: the last `last` trusted ones, each session and client
    address at most `MNIST_DRAWINGS_MAX_SHARE` of them (at least one drawing each).

    Returns:
        `(x, y)`: uint8 (N, 28, 28) and uint8 (N,) digits, oldest first.
    """
    x, y, sessions, clients = trusted(db, last)
    most = max(1, int(settings.get("MNIST_DRAWINGS_MAX_SHARE") * len(y)))
    keep = capped(sessions, clients, most)
    return x[keep], y[keep]


def readings_for_score(db, last):
    """`(labels, predicted)` int64 (N,) of the last `last` trusted drawings of digits, oldest
    first, capped as `for_score`: how the page's models read them when they were drawn."""
    rows = db.read(f"SELECT label, predicted, session, client FROM drawings WHERE {TRUSTED_SQL} "
                   f"AND label < {NUM_CLASSES} AND {db.sound} ORDER BY id DESC LIMIT ?",
                   (int(last),))[::-1]
    most = max(1, int(settings.get("MNIST_DRAWINGS_MAX_SHARE") * len(rows)))
    keep = capped([r[2] for r in rows], [r[3] for r in rows], most)
    labels, predicted = (np.array([r[i] for r in rows], np.int64) for i in (0, 1))
    return labels[keep], predicted[keep]


def _rows(db, where, order, limit):
    """`(ids, images, labels, clients, sessions)` of the sound rows matching `where`."""
    rows = db.read(f"SELECT id, input, label, client, session FROM drawings WHERE {where} AND {db.sound} "
                   f"ORDER BY {order}" + (f" LIMIT {int(limit)}" if limit else ""))
    images = np.frombuffer(b"".join(r[1] for r in rows), np.uint8)
    return (np.array([r[0] for r in rows], np.int64),
            images.reshape(len(rows), IMAGE_SIZE, IMAGE_SIZE),
            np.array([r[2] for r in rows], np.int64),
            np.array([r[3] for r in rows], object), np.array([r[4] for r in rows], object))


__all__ = ["AGREEING_CLIENTS", "STATUSES", "TRUSTED", "agreed", "assess", "capped", "for_score",
           "judged", "pending", "readings_for_score", "reference_predictor", "trusted"]
