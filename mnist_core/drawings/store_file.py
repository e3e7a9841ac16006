"""The drawings' SQLite file: its schema and migrations, and a file SQLite cannot read replaced.

The file is shared by every session of a server and by several server processes: WAL mode lets
readers and one writer work at once, and `busy_timeout` makes a second writer wait its turn. A
file SQLite cannot read (garbage, truncated, a folder) is moved aside under a name that says so,
a new one is started, and one log line says where the old one went; the page never sees an
exception from here. What a row holds, the limits and the queries are `store`'s.
"""

import contextlib
import logging
import os
import sqlite3
import time
from pathlib import Path

from mnist_core.drawings.row import ROW_BYTES, SOUND
from mnist_core.errors import MnistError
from mnist_core.regular_files import NotRegularFile, open_regular

# The drawings store's one logger: the file and the store (`store`) log under the store's name.
log = logging.getLogger("mnist_core.drawings.store")

BUSY_TIMEOUT_MS = 5000
"""How long a writer waits for another (another session, another server process)."""
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
    # 3: a visitor may answer "not a digit" (label 10, constants.NOT_A_DIGIT), and the row keeps
    # the gate's score when the page had one. SQLite cannot change a CHECK: the table is
    # rebuilt, every row and id kept (a session relabels its rows by id).
    ("""CREATE TABLE drawings_3 (
        id INTEGER PRIMARY KEY,
        created REAL NOT NULL,
        session TEXT NOT NULL,
        language TEXT NOT NULL,
        model TEXT NOT NULL,
        predicted INTEGER NOT NULL CHECK (predicted BETWEEN 0 AND 9),
        probabilities BLOB NOT NULL,
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 10),
        input BLOB NOT NULL,
        crop BLOB NOT NULL,
        not_digit_score REAL CHECK (not_digit_score BETWEEN 0 AND 1))""",
     "INSERT INTO drawings_3 (id, created, session, language, model, predicted, probabilities, "
     "label, input, crop) SELECT id, created, session, language, model, predicted, "
     "probabilities, label, input, crop FROM drawings",
     "DROP TABLE drawings",
     "ALTER TABLE drawings_3 RENAME TO drawings",
     "CREATE INDEX drawings_by_session ON drawings (session, created)"),
    # 4: visitors' labels are trusted only as far as they deserve (`trust`): each row's status,
    # the client address it came from, hashed with a key of this file's own (`client_key`),
    # when the server knew one; the per-client and per-hour limits read them by time.
    (("ALTER TABLE drawings ADD COLUMN status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN "
      "('pending', 'plausible', 'disputed', 'approved', 'rejected'))"),
     "ALTER TABLE drawings ADD COLUMN client TEXT CHECK (length(client) = 32)",
     "CREATE INDEX drawings_by_client ON drawings (client, created)",
     "CREATE INDEX drawings_by_time ON drawings (created)",
     "CREATE INDEX drawings_by_status ON drawings (status, label)",
     "CREATE TABLE client_key (key BLOB NOT NULL)",
     "INSERT INTO client_key VALUES (randomblob(32))"),
)
"""Migration n (1-based) takes a file from schema version n-1 to n, in one transaction: one
statement, or a tuple of them; `PRAGMA user_version` holds the version. Append only: a released
migration is never edited."""
SCHEMA_VERSION = len(MIGRATIONS)

FULL = "This server keeps no more drawings (its store is full), so yours was not recorded."
TOO_FAST = ("You have recorded many drawings in the last minute; wait a moment before "
            "recording the next one.")
UNAVAILABLE = "Drawings cannot be recorded on this server right now; the page works as before."
YOURS_FULL = ("You have recorded as many drawings as one visitor may keep on this server; thank "
              "you, yours are kept.")
BUSY = ("This server has recorded many drawings in the last hour; yours was not recorded, try "
        "again later.")
REASONS = {FULL: "full", TOO_FAST: "too_fast", YOURS_FULL: "yours_full", BUSY: "busy"}


class DrawingRefused(MnistError):
    """A drawing was not recorded: a limit was reached, or the store is unavailable. One
    sentence; `reason` ('full', 'too_fast', 'yours_full' (this session's or client address's
    share), 'busy' (the server's hour) or 'unavailable') lets the page say it in its language."""

    def __init__(self, message):
        super().__init__(message)
        self.reason = REASONS.get(message, "unavailable")


class DrawingsFile:
    """The drawings file: opened (and migrated, or replaced if unreadable) on first use;
    `store.DrawingsDB` writes and reads its rows (`store_server.DrawingsServer` is the same on a
    PostgreSQL server).

    Each call opens its own short connection, so the object may be shared by every session's
    thread of a server process.

    Args:
        path: the SQLite file; its folder is created if missing.
    """

    ERRORS = (sqlite3.Error,)
    sound = SOUND
    row_bytes = ROW_BYTES  # about what the next row adds to the pages in use

    def __init__(self, path):
        self.path = Path(path)
        self.location = self.path
        self.where = str(self.path)
        self._checked = False
        self._keeper = None

    def used_bytes(self, db, rows):
        """The bytes the file's pages in use take; pages freed by `drawings prune` are reused
        before the file grows."""
        pages, free, page_size = (db.execute(f"PRAGMA {p}").fetchone()[0]
                                  for p in ("page_count", "freelist_count", "page_size"))
        return (pages - free) * page_size

    def now(self, db):
        """The time a row is recorded at: this machine's clock (the file is one machine's)."""
        return time.time()

    @contextlib.contextmanager
    def locked(self, db):
        """A transaction that no other writer of this file runs at the same time."""
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def exists(self):
        """Whether there is a file to read (reading creates none)."""
        return self._checked or self.path.exists()

    # ---- opening, migrating, replacing an unreadable file ----------------------------------

    @contextlib.contextmanager
    def connection(self):
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

    def open(self):
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
        return self.connection()

    def _check_and_migrate(self):
        with self.connection() as db:
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
                    migration = MIGRATIONS[number - 1]
                    for statement in (migration,) if isinstance(migration, str) else migration:
                        db.execute(statement)
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

    def failed(self, error):
        """A write or read the file refused mid-way: replaced next time, one sentence now."""
        log.warning("The drawings file %s failed (%s).", self.path, error)
        if isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError):
            self._checked = False  # corrupt since it was opened: checked (and moved) next time
        raise DrawingRefused(UNAVAILABLE) from None


SQLITE_MAGIC = b"SQLite format 3\0"


def check_sqlite(path, what="a drawings database"):
    """Refuses a file that is no SQLite database before a store opens it: `DrawingsFile` moves a
    file it cannot read aside and starts a new one in its place, right for the server's own
    store when it records, wrong for a file named on the command line (a typo, an export named
    `D.NPZ`) or a dry run.

    Args:
        path: the file; what: what it should be, for the sentence.

    Raises:
        MnistError: one sentence naming the file.
    """
    try:
        with open_regular(path) as file:
            head = file.read(len(SQLITE_MAGIC))
    except NotRegularFile as error:
        raise MnistError(f"{path.name} is {error.kind}, not {what}.") from None
    except OSError as error:
        raise MnistError(f"{path.name} cannot be read ({error.strerror}).") from None
    if head != SQLITE_MAGIC:
        raise MnistError(f"{path.name} is not {what}; it was left as it is.")


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


__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "DrawingRefused", "DrawingsFile", "check_sqlite"]
