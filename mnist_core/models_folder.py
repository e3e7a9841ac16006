"""The shared models folder: one training lock, room checks, leftover clean-up, and pruning.

Several server processes (and a command-line run) may use one models folder. Whoever trains into
it holds an exclusive `flock` on `.training.lock` for its whole life, so at most one training
writes there at a time, and anything that removes files (leftovers of a killed save, old
visitor models) does so only while holding that lock. The kernel drops a `flock` when its
process ends, however it ends, so a killed server never leaves the folder locked.

Visitor-trained models carry `"trained_by_visitor": true` in their metadata; a model without
that mark (the shipped `tutorial.keras`, `strong.keras`, or one a deployer copied in) is never
removed here.
"""

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from mnist_core.errors import MnistError
from mnist_core.regular_files import read_regular
from mnist_core.storage import MAX_METADATA_BYTES

try:
    import fcntl
except ImportError:  # not on Linux or macOS: no lock, one server process is then assumed
    fcntl = None

LOCK_NAME = ".training.lock"
VISITOR_MARK = "trained_by_visitor"
"""Metadata key set to true on every model a visitor trained; only those are ever pruned."""
MIN_FREE_BYTES = 50 * 1024 * 1024
"""Room a training needs before it starts: a strong model is ~6 MB, its temp copy as much,
and the disk must not be filled to the last byte by a save."""
PROBE_PREFIX = ".write-probe-"
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
TEMP_SUFFIXES = (*MODEL_SUFFIXES, ".json")


class FolderLock:
    """An exclusive, non-blocking `flock` on a folder's `.training.lock`.

    Args:
        folder: the models folder (created if missing).

    Example:

    ```python
    lock = FolderLock("models")
    if lock.acquire():
        try:
            ...  # train and save
        finally:
            lock.release()
    ```
    """

    def __init__(self, folder):
        self.path = Path(folder) / LOCK_NAME
        self._fd = None

    def acquire(self):
        """Takes the lock; True if this object now holds it, False if another holder has it.

        Raises:
            OSError: the lock file cannot be created or opened (a read-only folder).
        """
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
        self._fd = fd
        return True

    def release(self):
        """Gives the lock back (closing the file releases the `flock`)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@contextlib.contextmanager
def locked(folder):
    """Holds the folder's lock for a `with` block; yields True if held, False if taken elsewhere."""
    lock = FolderLock(folder)
    held = lock.acquire()
    try:
        yield held
    finally:
        lock.release()


def check_room(folder, what="The models folder", deployer=True, min_free=MIN_FREE_BYTES):
    """Checks, before any training, that a model can be written into `folder`.

    Creates the folder if needed, writes and removes a probe file, and checks the free space.

    Args:
        folder: where the model will be saved.
        what: how the sentence names the folder; the page keeps the default so no server
            path is shown, the command line names the `--out` the user typed.
        deployer: the sentence tells the deployer what to do (the page), else the person
            who typed the command.
        min_free: bytes that must be free.

    Raises:
        MnistError: one sentence: not a folder, not writable, or too full.
    """
    folder = Path(folder)
    remedy = {"write": "the deployer must make it writable" if deployer
              else "choose a folder you can write to",
              "space": "the deployer must free some space" if deployer
              else "free some space or choose another folder"}
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise MnistError(f"{what} is a file, not a folder; choose a folder for the model.") \
            from None
    except OSError:
        raise MnistError(f"{what} cannot be created (a parent is a file or not writable); "
                         f"{remedy['write']}.") from None
    if not folder.is_dir():
        raise MnistError(f"{what} is a file, not a folder; choose a folder for the model.")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=PROBE_PREFIX)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)
            Path(probe).unlink(missing_ok=True)  # a clean-up elsewhere may have beaten us
    except OSError:
        raise MnistError(f"{what} is not writable, so no trained model could be saved; "
                         f"{remedy['write']}.") from None
    free = shutil.disk_usage(folder).free
    if free < min_free:
        raise MnistError(f"{what} has only {free // 2**20} MB free, less than the "
                         f"{min_free // 2**20} MB a training needs; {remedy['space']}.")


def _visitor_metadata(path):
    """The metadata in `path` if it is valid JSON marked as a visitor's model, else None."""
    try:  # bounded, and never waiting on a FIFO named like a model's metadata
        data = json.loads(read_regular(path, MAX_METADATA_BYTES) or b"")
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get(VISITOR_MARK) is True else None


def _model_files(json_path):
    return [p for p in (json_path.with_suffix(s) for s in MODEL_SUFFIXES) if p.exists()]


def remove_leftovers(folder):
    """Removes what an interrupted save left behind; call it only while holding the lock.

    Leftovers are hidden temp files (`.NAME-*.keras`, `.json`, `.h5`, write probes) and
    metadata of a visitor's model whose model file never arrived (see `storage.save_model`:
    the metadata is renamed into place first). Models without the visitor mark are kept.

    Returns:
        The list of paths removed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for path in folder.iterdir():
        hidden_temp = (path.name.startswith(".") and path.name != LOCK_NAME
                       and (path.suffix in TEMP_SUFFIXES or path.name.startswith(PROBE_PREFIX)))
        orphan = (not path.name.startswith(".") and path.suffix == ".json"
                  and not _model_files(path) and _visitor_metadata(path) is not None)
        if (hidden_temp or orphan) and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def visitor_models(folder):
    """Visitor-trained models in `folder`, oldest first, as `(json_path, [model files])`."""
    folder = Path(folder)
    found = []
    for path in folder.glob("*.json") if folder.is_dir() else []:
        metadata = _visitor_metadata(path)
        files = _model_files(path)
        if metadata is not None and files:
            found.append((str(metadata.get("date", "")), path.stat().st_mtime, path, files))
    found.sort(key=lambda entry: entry[:2])
    return [(path, files) for _, _, path, files in found]


def prune_visitor_models(folder, keep):
    """Removes the oldest visitor-trained models beyond `keep`; call it only holding the lock.

    Model files go before their metadata, so a crash half-way leaves at worst a metadata file
    alone, which `remove_leftovers` removes next time, never a listed model without metadata.

    Returns:
        The model paths removed.
    """
    models = visitor_models(folder)
    removed = []
    for json_path, files in models[:max(0, len(models) - keep)]:
        for path in files:
            path.unlink(missing_ok=True)
        json_path.unlink(missing_ok=True)
        removed.extend(files)
    return removed


__all__ = ["FolderLock", "locked", "check_room", "remove_leftovers", "visitor_models",
           "prune_visitor_models", "LOCK_NAME", "VISITOR_MARK", "MIN_FREE_BYTES"]
