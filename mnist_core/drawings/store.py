"""Visitors' drawings, kept in one SQLite file: recorded within the limits, relabelled, read back.

Every visitor who says what they drew leaves a labelled real drawing: the 28x28 input the model
saw and the cropped ink at 56x56 (both uint8 bytes, ~4 KB a row), their label (a digit, or
`NOT_A_DIGIT` for a drawing that is none), the model's answer, the gate's not-a-digit score when
the page had one, the model's file name, the page language, the time and a random per-session
id; nothing else about the visitor. The rows score every model on real visitors' digits
(`mnist_core.drawings.scores`) and can be mixed into the next training
(`mnist_core.drawings.training_mix`).

The rows live in a SQLite file (`MNIST_DRAWINGS_DB`, the default; its schema, its migrations
and its replacement when unreadable are `store_file`'s) or, for a deploy over several machines,
in a PostgreSQL database (`MNIST_DRAWINGS_URL`; `store_server`): `location()` says which, and
`DrawingsDB` takes either, the one SQL of this package's queries run on both. The store is
shared by every session of a server and by several server processes: each write checks the
limits and inserts in one transaction that no other writer runs at the same time (`BEGIN
IMMEDIATE` in the file, an advisory lock on the server), so two processes can never both take
the last free row; the page never sees an exception from here.
"""

import logging
from pathlib import Path

import numpy as np

from mnist_core import settings
from mnist_core.constants import IMAGE_SIZE, NUM_CLASSES
from mnist_core.drawings.clients import client_group, client_hash
from mnist_core.drawings.row import TRUSTED_SQL, checked_label, checked_row
from mnist_core.drawings.store_file import (
    BUSY,
    FULL,
    TOO_FAST,
    YOURS_FULL,
    DrawingRefused,
    DrawingsFile,
)
from mnist_core.paths import DEFAULT_DRAWINGS_DB

log = logging.getLogger(__name__)

RATE_WINDOW_SECONDS = 60.0
HOUR_SECONDS = 3600.0
DIGITS_ONLY = f" AND label < {NUM_CLASSES}"  # leaves out the drawings labelled NOT_A_DIGIT
TRUSTED_ONLY = (f" AND ({TRUSTED_SQL} OR (label >= "
                f"{NUM_CLASSES} AND status != 'rejected'))")  # "not a digit" is never judged
PRUNE_HINT = ("`python -m mnist_core drawings prune --disputed` (or --older-than DAYS, "
              "--session S; add --dry-run to see what would go) frees room")


def db_path():
    """The `MNIST_DRAWINGS_DB` setting, else `data/drawings.sqlite` beside the app."""
    chosen = settings.get("MNIST_DRAWINGS_DB")
    return Path(chosen) if chosen else DEFAULT_DRAWINGS_DB


def location():
    """Where the drawings are kept: the `MNIST_DRAWINGS_URL` setting (a `postgresql://` URL),
    else the SQLite file of `db_path()`. The page, its trainings and the command line all ask
    here.

    Raises:
        MnistError: an unusable setting, one sentence naming it (never a password).
    """
    return settings.get("MNIST_DRAWINGS_URL") or db_path()


def is_url(where):
    """Whether a location names a database server rather than a file."""
    return isinstance(where, str) and where.startswith(settings.URL_SCHEMES)


def backend(where):
    """The store behind a location: a `store_server.DrawingsServer` for a URL, else a
    `store_file.DrawingsFile`."""
    if is_url(where):
        from mnist_core.drawings.store_server import DrawingsServer  # only deploys with one

        return DrawingsServer(where)
    return DrawingsFile(where)


def collecting():
    """Whether the deployer lets visitors record drawings (`MNIST_COLLECT_DRAWINGS`)."""
    return settings.get("MNIST_COLLECT_DRAWINGS")


class DrawingsDB:
    """The drawings: recorded within the limits, relabelled, read; in a SQLite file or on a
    PostgreSQL server (`backend`), opened (and migrated) on first use.

    Each call takes its own short connection, so the object may be shared by every session's
    thread of a server process.

    Args:
        where: the SQLite file (its folder is created if missing) or a `postgresql://` URL;
            `location()` when None.
        max_rows, max_bytes, per_minute: the limits; the deployer's settings when None.

    Attributes:
        location: the file's `Path` or the URL; path: the file's `Path`, None on a server;
        where: what a log line or the terminal says (a URL without its password);
        sound: SQL, a row as `checked_row` writes it, in the backend's dialect (`row.SOUND`).
    """

    def __init__(self, where=None, max_rows=None, max_bytes=None, per_minute=None):
        self.backend = backend(where if where is not None else location())
        self.location, self.path = self.backend.location, self.backend.path
        self.where, self.sound = self.backend.where, self.backend.sound
        self._limits = (max_rows, max_bytes, per_minute)
        self._told = set()  # the refusals the deployer's log has been told of

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

    @property
    def per_session(self):
        return settings.get("MNIST_DRAWINGS_PER_SESSION")

    @property
    def per_client(self):
        return settings.get("MNIST_DRAWINGS_PER_CLIENT")

    @property
    def per_hour(self):
        return settings.get("MNIST_DRAWINGS_PER_HOUR")

    @property
    def per_client_hour(self):
        return settings.get("MNIST_DRAWINGS_PER_CLIENT_HOUR")

    # ---- writing ---------------------------------------------------------------------------

    def record(self, *, session, label, predicted, probabilities, image, crop, model, language,
               not_digit_score=None, client=None, now=None):
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
            client: the visitor's address as the server knows it (a plain string), or None;
                only a keyed hash of it is stored (`client_hash`).
            now: the time (seconds since the epoch); the store's clock when None (the
                server's: machines sharing it count each hour alike whatever their clocks).

        Returns:
            The new row's id.

        Raises:
            DrawingRefused: one sentence: the store is full (rows or bytes), this session has
                recorded `per_minute` drawings in the last minute, this session or client
                address has `per_session` or `per_client` drawings kept, or the address has
                recorded `per_client_hour` in the last hour, the server has recorded
                `per_hour` in the last hour, or the file is unusable.
            ValueError: a value outside what the page produces.
        """
        row = checked_row(session, label, predicted, probabilities, image, crop, model, language,
                          not_digit_score)
        try:
            with self.backend.open() as db, self.backend.locked(db):
                now = self.backend.now(db) if now is None else float(now)
                hashed = None if client is None else client_hash(db, client)
                self._check_limits(db, session, hashed, now)
                return db.execute(
                    "INSERT INTO drawings (created, session, language, model, predicted, "
                    "probabilities, label, input, crop, not_digit_score, client) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (now, *row, hashed)).fetchall()[0][0]  # every row: the statement done
        except self.backend.ERRORS as error:
            return self.backend.failed(error)

    def _check_limits(self, db, session, client, now):
        def count(where, *values):
            return db.execute(f"SELECT count(*) FROM drawings WHERE {where}", values).fetchone()[0]

        if count("session = ? AND created > ?", session, now - RATE_WINDOW_SECONDS) >= self.per_minute:
            raise DrawingRefused(TOO_FAST)
        # One address opening fresh sessions would otherwise take the whole server's hour, and
        # every other visitor would be refused until it passed.
        if client is not None and count("client = ? AND created > ?", client,
                                        now - HOUR_SECONDS) >= self.per_client_hour:
            raise DrawingRefused(TOO_FAST)
        if count("session = ?", session) >= self.per_session or (
                client is not None and count("client = ?", client) >= self.per_client):
            raise DrawingRefused(YOURS_FULL)
        if count("created > ?", now - HOUR_SECONDS) >= self.per_hour:
            self._tell_deployer("busy", f"The drawings store {self.where} has recorded "
                                f"{self.per_hour} drawings in the last hour "
                                "(MNIST_DRAWINGS_PER_HOUR), so it refuses more for now; if "
                                f"one visitor did this, {PRUNE_HINT}.")
            raise DrawingRefused(BUSY)
        rows = db.execute("SELECT count(*) FROM drawings").fetchone()[0]
        used = self.backend.used_bytes(db, rows)
        if rows >= self.max_rows or used + self.backend.row_bytes > self.max_bytes:
            self._tell_deployer("full", f"The drawings store {self.where} is full ({rows} rows; "
                                "MNIST_DRAWINGS_MAX_ROWS, MNIST_DRAWINGS_MAX_MB) and refuses new "
                                f"drawings: {PRUNE_HINT}.")
            raise DrawingRefused(FULL)

    def _tell_deployer(self, what, sentence):
        """One log line per server process and kind of refusal, not one per visitor's click."""
        if what not in self._told:
            self._told.add(what)
            log.warning("%s", sentence)

    def relabel(self, row_id, session, label):
        """Changes the label of a drawing this session recorded (a visitor's second thought).

        Returns:
            True if a row of this session had that id (another session's row is never touched).
        """
        label = checked_label(label)
        # A new label is judged anew (`trust`); a deployer's rejection stays.
        return self.write("UPDATE drawings SET label = ?, status = CASE status WHEN 'rejected' "
                          "THEN 'rejected' ELSE 'pending' END WHERE id = ? AND session = ?",
                          (label, int(row_id), str(session))) == 1

    # ---- one query, for this package's modules ---------------------------------------------

    def read(self, query, parameters=()):
        """The rows of one query (none when no file exists yet: reading creates none), for
        this package's modules; a failure is `DrawingRefused`."""
        if not self.backend.exists():
            return []
        try:
            with self.backend.open() as db:
                return db.execute(query, parameters).fetchall()
        except self.backend.ERRORS as error:
            return self.backend.failed(error)

    def write(self, query, parameters=()):
        """Runs one statement in a transaction of its own; returns how many rows it changed."""
        try:
            with self.backend.open() as db:
                return db.execute(query, parameters).rowcount
        except self.backend.ERRORS as error:
            return self.backend.failed(error)

    # ---- reading ---------------------------------------------------------------------------

    def count(self, digits=False, trusted=False):
        """How many drawings are recorded (only those labelled a digit when `digits`; only
        those whose label is trusted, `trust.TRUSTED`, when `trusted`)."""
        rows = self.read("SELECT count(*) FROM drawings WHERE TRUE"
                         + (DIGITS_ONLY if digits or trusted else "")
                         + (f" AND {TRUSTED_SQL}" if trusted else ""))
        return rows[0][0] if rows else 0

    def unsound(self):
        """How many rows this app did not write (a file made by hand: an image of the wrong
        size, a label outside 0..10, ...), told from their declared sizes; never read."""
        rows = self.read(f"SELECT count(*) FROM drawings WHERE NOT ({self.sound})")
        return rows[0][0] if rows else 0

    def session_pairs(self, session):
        """`(labels, predicted)` int arrays of one session's drawings, oldest first (a label
        may be `NOT_A_DIGIT`)."""
        rows = self.read("SELECT label, predicted FROM drawings WHERE session = ? AND "
                         f"{self.sound} ORDER BY id", (str(session),))
        return _pair_arrays(rows)

    def pairs(self, last=None):
        """`(labels, predicted)` of every drawing (or the `last` ones), oldest first (a label
        may be `NOT_A_DIGIT`)."""
        rows = self.read(f"SELECT label, predicted FROM drawings WHERE {self.sound} "
                         "ORDER BY id DESC" + (" LIMIT ?" if last else ""),
                         (int(last),) if last else ())
        return _pair_arrays(rows[::-1])

    def images(self, last=None, digits=False, trusted=False):
        """The labelled 28x28 inputs: `(x, y)`, uint8 (N, 28, 28) in [0, 255] and uint8 (N,)
        labels 0..9 or `NOT_A_DIGIT`, oldest first; only the `last` ones when given, only those
        labelled a digit when `digits`; when `trusted`, a digit only if its label is trusted
        (`trust.TRUSTED`), and "not a digit" unless rejected. Rows this app did not write
        (`unsound`) are left out."""
        rows = self.read(f"SELECT input, label FROM drawings WHERE {self.sound}"
                         + (DIGITS_ONLY if digits else "")
                         + (TRUSTED_ONLY if trusted else "")
                         + " ORDER BY id DESC"
                         + (" LIMIT ?" if last else ""), (int(last),) if last else ())[::-1]
        x = np.zeros((len(rows), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
        for i, (data, _) in enumerate(rows):
            x[i] = np.frombuffer(data, np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE)
        return x, np.array([label for _, label in rows], np.uint8)


def _pair_arrays(rows):
    labels = np.array([r[0] for r in rows], np.int64)
    return labels, np.array([r[1] for r in rows], np.int64)


__all__ = ["DrawingRefused", "DrawingsDB", "backend", "client_group", "collecting", "db_path",
           "is_url", "location"]
