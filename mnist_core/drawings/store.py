"""Visitors' drawings, kept in one SQLite file: recorded within the limits, relabelled, read back.

Every visitor who says what they drew leaves a labelled real drawing: the 28x28 input the model
saw and the cropped ink at 56x56 (both uint8 bytes, ~4 KB a row), their label (a digit, or
`NOT_A_DIGIT` for a drawing that is none), the model's answer, the gate's not-a-digit score when
the page had one, the model's file name, the page language, the time and a random per-session
id; nothing else about the visitor. The rows score every model on real visitors' digits
(`mnist_core.drawings.scores`) and can be mixed into the next training
(`mnist_core.drawings.training_mix`).

The file is shared by every session of a server and by several server processes (its schema,
its migrations and its replacement when unreadable are `store_file`'s): each write checks
the limits and inserts in one `BEGIN IMMEDIATE` transaction, so two processes can never both
take the last free row; the page never sees an exception from here.
"""

import logging
import sqlite3
import time
from pathlib import Path

import numpy as np

from mnist_core import settings
from mnist_core.constants import IMAGE_SIZE, NUM_CLASSES
from mnist_core.drawings.row import ROW_BYTES, checked_label, checked_row
from mnist_core.drawings.store_file import FULL, TOO_FAST, DrawingRefused, DrawingsFile
from mnist_core.paths import DEFAULT_DRAWINGS_DB

log = logging.getLogger(__name__)

RATE_WINDOW_SECONDS = 60.0
DIGITS_ONLY = f" WHERE label < {NUM_CLASSES}"  # leaves out the drawings labelled NOT_A_DIGIT


def db_path():
    """The `MNIST_DRAWINGS_DB` setting, else `data/drawings.sqlite` beside the app."""
    chosen = settings.get("MNIST_DRAWINGS_DB")
    return Path(chosen) if chosen else DEFAULT_DRAWINGS_DB


def collecting():
    """Whether the deployer lets visitors record drawings (`MNIST_COLLECT_DRAWINGS`)."""
    return settings.get("MNIST_COLLECT_DRAWINGS")


class DrawingsDB(DrawingsFile):
    """The drawings: recorded within the limits, relabelled, read; a `DrawingsFile`, opened
    (and migrated, or replaced if unreadable) on first use.

    Each call opens its own short connection, so the object may be shared by every session's
    thread of a server process.

    Args:
        path: the SQLite file (`db_path()` when None); its folder is created if missing.
        max_rows, max_bytes, per_minute: the limits; the deployer's settings when None.
    """

    def __init__(self, path=None, max_rows=None, max_bytes=None, per_minute=None):
        super().__init__(path if path is not None else db_path())
        self._limits = (max_rows, max_bytes, per_minute)

    # The deployer's limits are read at each write, so a changed setting applies at once.
    @property
    def max_rows(self):
        return self._limits[0] or settings.get("MNIST_DRAWINGS_MAX_ROWS")

    @property
    def max_bytes(self):
        return self._limits[1] or int(settings.get("MNIST_DRAWINGS_MAX_MB") * 1e6)

    @property
    def per_minute(self):
        return self._limits[2] or settings.get("MNIST_DRAWINGS_PER_MINUTE")

    # ---- writing ---------------------------------------------------------------------------

    def record(self, *, session, label, predicted, probabilities, image, crop, model, language,
               not_digit_score=None, now=None):
        """Records one labelled drawing, within the limits.

        Args:
            session: the anonymous per-session id (random, at most 64 characters).
            label: the digit the visitor says they drew, 0..9, or `NOT_A_DIGIT` (none).
            predicted: the digit the model read, 0..9.
            probabilities: the model's ten probabilities.
            image: the 28x28 input the model saw: float in [0, 1] or uint8.
            crop: the cropped ink, (56, 56), float in [0, 1] or uint8.
            model: the model's file name; language: 'en' or 'fr'.
            not_digit_score: the gate's score in [0, 1] (`Prediction.not_digit_score`), or
                None when the page had no gate.
            now: the time (seconds since the epoch); the clock when None.

        Returns:
            The new row's id.

        Raises:
            DrawingRefused: one sentence: the store is full (rows or bytes), this session has
                recorded `per_minute` drawings in the last minute, or the file is unusable.
            ValueError: a value outside what the page produces.
        """
        row = checked_row(session, label, predicted, probabilities, image, crop, model, language,
                          not_digit_score)
        now = time.time() if now is None else float(now)
        try:
            with self._open() as db:
                db.execute("BEGIN IMMEDIATE")
                try:
                    self._check_limits(db, session, now)
                    cursor = db.execute(
                        "INSERT INTO drawings (created, session, language, model, predicted, "
                        "probabilities, label, input, crop, not_digit_score) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (now, *row))
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                return cursor.lastrowid
        except sqlite3.Error as error:
            return self._failed(error)

    def _check_limits(self, db, session, now):
        recent = db.execute("SELECT count(*) FROM drawings WHERE session = ? AND created > ?",
                            (session, now - RATE_WINDOW_SECONDS)).fetchone()[0]
        if recent >= self.per_minute:
            raise DrawingRefused(TOO_FAST)
        rows = db.execute("SELECT count(*) FROM drawings").fetchone()[0]
        pages, page_size = (db.execute(f"PRAGMA {p}").fetchone()[0]
                            for p in ("page_count", "page_size"))
        if rows >= self.max_rows or pages * page_size + ROW_BYTES > self.max_bytes:
            raise DrawingRefused(FULL)

    def relabel(self, row_id, session, label):
        """Changes the label of a drawing this session recorded (a visitor's second thought).

        Returns:
            True if a row of this session had that id (another session's row is never touched).
        """
        label = checked_label(label)
        try:
            with self._open() as db:
                changed = db.execute("UPDATE drawings SET label = ? WHERE id = ? AND session = ?",
                                     (label, int(row_id), str(session))).rowcount
            return changed == 1
        except sqlite3.Error as error:
            return self._failed(error)

    # ---- reading ---------------------------------------------------------------------------

    def count(self, digits=False):
        """How many drawings are recorded (only those labelled a digit when `digits`)."""
        rows = self._read("SELECT count(*) FROM drawings" + (DIGITS_ONLY if digits else ""))
        return rows[0][0] if rows else 0

    def session_pairs(self, session):
        """`(labels, predicted)` int arrays of one session's drawings, oldest first (a label
        may be `NOT_A_DIGIT`)."""
        rows = self._read("SELECT label, predicted FROM drawings WHERE session = ? ORDER BY id",
                          (str(session),))
        return _pair_arrays(rows)

    def pairs(self, last=None):
        """`(labels, predicted)` of every drawing (or the `last` ones), oldest first (a label
        may be `NOT_A_DIGIT`)."""
        rows = self._read("SELECT label, predicted FROM drawings ORDER BY id DESC"
                          + (" LIMIT ?" if last else ""), (int(last),) if last else ())
        return _pair_arrays(rows[::-1])

    def images(self, last=None, digits=False):
        """The labelled 28x28 inputs: `(x, y)`, uint8 (N, 28, 28) in [0, 255] and uint8 (N,)
        labels 0..9 or `NOT_A_DIGIT`, oldest first; only the `last` ones when given, only those
        labelled a digit when `digits`."""
        rows = self._read("SELECT input, label FROM drawings" + (DIGITS_ONLY if digits else "")
                          + " ORDER BY id DESC"
                          + (" LIMIT ?" if last else ""), (int(last),) if last else ())[::-1]
        x = np.zeros((len(rows), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
        for i, (data, _) in enumerate(rows):
            x[i] = np.frombuffer(data, np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE)
        return x, np.array([label for _, label in rows], np.uint8)


def _pair_arrays(rows):
    labels = np.array([r[0] for r in rows], np.int64)
    return labels, np.array([r[1] for r in rows], np.int64)


__all__ = ["DrawingsDB", "DrawingRefused", "db_path", "collecting"]
