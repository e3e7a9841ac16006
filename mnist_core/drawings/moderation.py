"""The deployer's word on visitors' drawings: the disputed ones shown, approved or rejected, and
rows pruned to free room (`python -m mnist_core drawings review|approve|reject|prune`)."""

import dataclasses
import time

import numpy as np

from mnist_core.constants import IMAGE_SIZE, NUM_CLASSES

REVIEW_MOST = 120
"""Disputed drawings shown at once (oldest first): 20 rows of the grid's 6 tiles."""
DAY_SECONDS = 86400.0


@dataclasses.dataclass(frozen=True)
class Disputed:
    """Disputed drawings, oldest first.

    Attributes:
        ids: int64 (N,), the rows' ids (what `approve` and `reject` take).
        images: uint8 (N, 28, 28), the inputs the page's model saw.
        labels: int64 (N,), the visitors' labels.
        predicted: int64 (N,), what the page's model read when the drawing was recorded.
        sessions: object (N,), who recorded each; created: float64 (N,), when (epoch seconds).
    """

    ids: np.ndarray
    images: np.ndarray
    labels: np.ndarray
    predicted: np.ndarray
    sessions: np.ndarray
    created: np.ndarray


def disputed(db, most=REVIEW_MOST):
    """The oldest `most` disputed drawings of `db` (a `DrawingsDB`) as a `Disputed`."""
    rows = db.read("SELECT id, input, label, predicted, session, created FROM drawings WHERE "
                   f"status = 'disputed' AND label < {NUM_CLASSES} AND {db.sound} ORDER BY id "
                   "LIMIT ?", (int(most),))
    images = np.frombuffer(b"".join(r[1] for r in rows), np.uint8)
    return Disputed(np.array([r[0] for r in rows], np.int64),
                    images.reshape(len(rows), IMAGE_SIZE, IMAGE_SIZE),
                    np.array([r[2] for r in rows], np.int64),
                    np.array([r[3] for r in rows], np.int64),
                    np.array([r[4] for r in rows], object),
                    np.array([r[5] for r in rows], np.float64))


def set_status(db, ids, status):
    """The deployer's word on rows `ids`: 'approved' (trained on and scored whatever the
    reference model says) or 'rejected' (never, even after a relabel).

    Returns:
        The ids that are not in the file (nothing done for them).
    """
    if status not in ("approved", "rejected"):
        raise ValueError(f"A deployer approves or rejects, not {status!r}.")
    missing = []
    for row_id in dict.fromkeys(int(i) for i in ids):
        # An id beyond SQLite's integers names no row (and must not raise OverflowError).
        if not 0 < row_id < 2 ** 63 or not db.write(
                "UPDATE drawings SET status = ? WHERE id = ?", (status, row_id)):
            missing.append(row_id)
    return missing


def prune(db, sessions=(), older_than_days=None, disputed_only=False, dry_run=False, now=None):
    """Deletes the rows matching every criterion given (at least one must be).

    Args:
        db: a `DrawingsDB`.
        sessions: session ids whose rows go.
        older_than_days: rows recorded more than this many days ago go.
        disputed_only: only disputed rows (and rejected ones) go.
        dry_run: count, delete nothing.
        now: the time (epoch seconds); the clock when None.

    Returns:
        `{status: count}` of the rows deleted (or that would be).

    Raises:
        ValueError: no criterion, or a negative age.
    """
    where, values = [], []
    if sessions:
        where.append(f"session IN ({','.join('?' * len(sessions))})")
        values += [str(s) for s in sessions]
    if older_than_days is not None:
        if not older_than_days >= 0:
            raise ValueError("--older-than takes a number of days, 0 or more.")
        where.append("created < ?")
        values.append((time.time() if now is None else now) - older_than_days * DAY_SECONDS)
    if disputed_only:
        where.append("status IN ('disputed', 'rejected')")
    if not where:
        raise ValueError("Say which drawings to prune: --session S, --older-than DAYS or "
                         "--disputed (together: those matching all).")
    condition = " AND ".join(where)
    counts = dict(db.read(f"SELECT status, count(*) FROM drawings WHERE {condition} "
                          "GROUP BY status", tuple(values)))
    if not dry_run and counts:
        db.write(f"DELETE FROM drawings WHERE {condition}", tuple(values))
    return counts


__all__ = ["REVIEW_MOST", "Disputed", "disputed", "prune", "set_status"]
