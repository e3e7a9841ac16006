"""Visitors' drawings, kept in one SQLite file: its schema, its migrations and its limits.

Every visitor who says what they drew leaves a labelled real drawing: the 28x28 input the model
saw and the cropped ink at 56x56 (both uint8 bytes, ~4 KB a row), their label, the model's
answer, the model's file name, the page language, the time and a random per-session id; nothing
else about the visitor. The rows score every model on real visitors' digits
(`mnist_core.drawing_scores`) and can be mixed into the next training
(`mnist_core.drawings_training`).

The file is shared by every session of a server and by several server processes: WAL mode lets
readers and one writer work at once, `busy_timeout` makes a second writer wait its turn, and
each write checks the limits and inserts in one `BEGIN IMMEDIATE` transaction, so two processes
can never both take the last free row. A file SQLite cannot read (garbage, truncated, a
folder) is moved aside under a name that says so, a new one is started, and one log line says
where the old one went; the page never sees an exception from here.
"""

import contextlib
import logging
import os
import sqlite3
import time
from pathlib import Path

import numpy as np

from mnist_core import settings
from mnist_core.constants import IMAGE_SIZE
from mnist_core.drawing_row import ROW_BYTES, checked_row, digit
from mnist_core.errors import MnistError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
"""How long a writer waits for another (another session, another server process)."""
RATE_WINDOW_SECONDS = 60.0

MIGRATIONS = (
    # 1: the drawings themselves.
    """CREATE TABLE drawings (
        id INTEGER PRIMARY KEY,
        created REAL NOT NULL,
        session TEXT NOT NULL,
        language TEXT NOT NULL,
        model TEXT NOT NULL,
        predicted INTEGER NOT NULL CHECK (predicted BETWEEN 0 AND 9),
        probabilities BLOB NOT NULL,
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
        input BLOB NOT NULL,
        crop BLOB NOT NULL)""",
    # 2: a visitor's score and the rate limit read one session's recent rows.
    "CREATE INDEX drawings_by_session ON drawings (session, created)",
)
"""Migration n (1-based) takes a file from schema version n-1 to n; `PRAGMA user_version`
holds the version. Append only: a released migration is never edited."""
SCHEMA_VERSION = len(MIGRATIONS)

FULL = "This server keeps no more drawings (its store is full), so yours was not recorded."
TOO_FAST = ("You have recorded many drawings in the last minute; wait a moment before "
            "recording the next one.")
UNAVAILABLE = "Drawings cannot be recorded on this server right now; the page works as before."


class DrawingRefused(MnistError):
    """A drawing was not recorded: a limit was reached, or the store is unavailable. One
    sentence; `reason` ('full', 'too_fast' or 'unavailable') lets the page say it in its
    language."""

    def __init__(self, message):
        super().__init__(message)
        self.reason = {FULL: "full", TOO_FAST: "too_fast"}.get(message, "unavailable")


def db_path():
    """The `MNIST_DRAWINGS_DB` setting, else `data/drawings.sqlite` beside the app."""
    chosen = settings.get("MNIST_DRAWINGS_DB")
    return Path(chosen) if chosen else Path(__file__).resolve().parent.parent / "data" / "drawings.sqlite"


def collecting():
    """Whether the deployer lets visitors record drawings (`MNIST_COLLECT_DRAWINGS`)."""
    return settings.get("MNIST_COLLECT_DRAWINGS")


class DrawingsDB:
    """The drawings file: opened (and migrated, or replaced if unreadable) on first use.

    Each call opens its own short connection, so the object may be shared by every session's
    thread of a server process.

    Args:
        path: the SQLite file; its folder is created if missing.
        max_rows, max_bytes, per_minute: the limits; the deployer's settings when None.
    """

    def __init__(self, path=None, max_rows=None, max_bytes=None, per_minute=None):
        self.path = Path(path) if path is not None else db_path()
        self._limits = (max_rows, max_bytes, per_minute)
        self._checked = False
        self._keeper = None

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

    # ---- opening, migrating, replacing an unreadable file ----------------------------------

    @contextlib.contextmanager
    def _connect(self):
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                     isolation_level=None)
        try:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # In WAL mode NORMAL is still safe against a crashed process; only a power cut
            # may lose the last few drawings, and a write waits for no disk flush.
            connection.execute("PRAGMA synchronous = NORMAL")
            yield connection
        finally:
            connection.close()

    def _open(self):
        """Checks (once per object), migrates and returns a connection context."""
        if not self._checked:
            if self._keeper is not None:  # held open on a file since found damaged
                self._keeper.close()
                self._keeper = None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            seen = _identity(self.path)
            try:
                self._check_and_migrate()
            except sqlite3.DatabaseError as error:
                if not _unreadable(error):
                    raise  # busy beyond the timeout: not the file's fault, try again later
                self._move_aside(error, seen)
                self._check_and_migrate()
            self._checked = True
            # An idle connection held open: the last connection to close checkpoints the WAL
            # into the file and flushes it (~20 ms), which every short write would pay.
            self._keeper = sqlite3.connect(self.path, check_same_thread=False)
            self._keeper.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return self._connect()

    def _check_and_migrate(self):
        with self._connect() as db:
            if db.execute("PRAGMA user_version").fetchone()[0] > SCHEMA_VERSION:
                raise DrawingRefused(UNAVAILABLE)  # a newer app's file: leave it as it is
            if db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                raise sqlite3.DatabaseError("WAL mode refused")
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check found damage")
            db.execute("BEGIN IMMEDIATE")  # two processes migrating at once: one waits
            try:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:  # a newer app migrated it meanwhile
                    raise DrawingRefused(UNAVAILABLE)
                for number in range(version + 1, SCHEMA_VERSION + 1):
                    db.execute(MIGRATIONS[number - 1])
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _move_aside(self, error, seen):
        """Renames the unreadable file (and its WAL files) to `NAME.unreadable-STAMP`.

        Only the very file found unreadable (`seen`: its device and inode): should another
        process have moved it and started a new one meanwhile, the new one stays."""
        if _identity(self.path) != seen:
            return
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
        aside = self.path.with_name(f"{self.path.name}.unreadable-{stamp}")
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:
            return  # another process has just moved it
        except OSError as failure:
            log.warning("The drawings file %s is unreadable (%s) and could not be moved aside "
                        "(%s); drawings are not recorded.", self.path, error, failure)
            raise DrawingRefused(UNAVAILABLE) from None
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
        log.warning("The drawings file %s was unreadable (%s): moved aside to %s, a new one is "
                    "started.", self.path, error, aside.name)

    # ---- writing ---------------------------------------------------------------------------

    def record(self, *, session, label, predicted, probabilities, image, crop, model, language,
               now=None):
        """Records one labelled drawing, within the limits.

        Args:
            session: the anonymous per-session id (random, at most 64 characters).
            label: the digit the visitor says they drew, 0..9.
            predicted: the digit the model read, 0..9.
            probabilities: the model's ten probabilities.
            image: the 28x28 input the model saw: float in [0, 1] or uint8.
            crop: the cropped ink, (56, 56), float in [0, 1] or uint8.
            model: the model's file name; language: 'en' or 'fr'.
            now: the time (seconds since the epoch); the clock when None.

        Returns:
            The new row's id.

        Raises:
            DrawingRefused: one sentence: the store is full (rows or bytes), this session has
                recorded `per_minute` drawings in the last minute, or the file is unusable.
            ValueError: a value outside what the page produces.
        """
        row = checked_row(session, label, predicted, probabilities, image, crop, model, language)
        now = time.time() if now is None else float(now)
        try:
            with self._open() as db:
                db.execute("BEGIN IMMEDIATE")
                try:
                    self._check_limits(db, session, now)
                    cursor = db.execute(
                        "INSERT INTO drawings (created, session, language, model, predicted, "
                        "probabilities, label, input, crop) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        label = digit(label, "label")
        try:
            with self._open() as db:
                changed = db.execute("UPDATE drawings SET label = ? WHERE id = ? AND session = ?",
                                     (label, int(row_id), str(session))).rowcount
            return changed == 1
        except sqlite3.Error as error:
            return self._failed(error)

    def _failed(self, error):
        """A write or read the file refused mid-way: replaced next time, one sentence now."""
        log.warning("The drawings file %s failed (%s).", self.path, error)
        if isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError):
            self._checked = False  # corrupt since it was opened: checked (and moved) next time
        raise DrawingRefused(UNAVAILABLE) from None

    # ---- reading ---------------------------------------------------------------------------

    def count(self):
        """How many drawings are recorded."""
        rows = self._read("SELECT count(*) FROM drawings")
        return rows[0][0] if rows else 0

    def session_pairs(self, session):
        """`(labels, predicted)` int arrays of one session's drawings, oldest first."""
        rows = self._read("SELECT label, predicted FROM drawings WHERE session = ? ORDER BY id",
                          (str(session),))
        return _pair_arrays(rows)

    def pairs(self, last=None):
        """`(labels, predicted)` of every drawing (or the `last` ones), oldest first."""
        rows = self._read("SELECT label, predicted FROM drawings ORDER BY id DESC"
                          + (" LIMIT ?" if last else ""), (int(last),) if last else ())
        return _pair_arrays(rows[::-1])

    def images(self, last=None):
        """The labelled 28x28 inputs: `(x, y)`, uint8 (N, 28, 28) in [0, 255] and uint8 (N,),
        oldest first; only the `last` ones when given."""
        rows = self._read("SELECT input, label FROM drawings ORDER BY id DESC"
                          + (" LIMIT ?" if last else ""), (int(last),) if last else ())[::-1]
        x = np.zeros((len(rows), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
        for i, (data, _) in enumerate(rows):
            x[i] = np.frombuffer(data, np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE)
        return x, np.array([label for _, label in rows], np.uint8)

    def _read(self, query, parameters=()):
        if not self._checked and not self.path.exists():
            return []  # nothing recorded yet: reading creates no file
        try:
            with self._open() as db:
                return db.execute(query, parameters).fetchall()
        except sqlite3.Error as error:
            return self._failed(error)


def _identity(path):
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _unreadable(error):
    """Whether SQLite's error means the file itself is unusable (not a database, damaged, a
    folder), rather than busy."""
    if not isinstance(error, sqlite3.OperationalError):
        return True  # DatabaseError proper: "file is not a database", "malformed", ...
    message = str(error).lower()
    return "unable to open" in message or "malformed" in message or "damage" in message


def _pair_arrays(rows):
    labels = np.array([r[0] for r in rows], np.int64)
    return labels, np.array([r[1] for r in rows], np.int64)


__all__ = ["DrawingsDB", "DrawingRefused", "db_path", "collecting", "SCHEMA_VERSION", "MIGRATIONS"]
