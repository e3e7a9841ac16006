"""What the page keeps once per server process (models, data, the training manager), cached.

`st.cache_resource` keeps one copy per process for every visitor, so a rerun after a canvas
stroke reads no file and builds no model.
"""

import hashlib
import logging
import math
import os
import tempfile
import threading
import time
from pathlib import Path

import streamlit as st

from mnist_core import settings, storage
from mnist_core.errors import DataUnavailableError, MnistError
from mnist_core.inference import Predictor
from mnist_core.jobs import TrainingJobs

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_NAME = "tutorial.keras"
LOG = logging.getLogger(__name__)


def models_dir():
    """The model folder: the `MNIST_MODELS_DIR` setting, else `models/` beside the app."""
    return Path(settings.get("MNIST_MODELS_DIR") or ROOT / "models")


def default_model():
    return models_dir() / DEFAULT_MODEL_NAME


@st.cache_resource(show_spinner=False)
def training_jobs():
    """The one training manager of this server process (one training at a time)."""
    return TrainingJobs(models_dir())


def models_fingerprint(folder=None):
    """What the models folder holds, cheaply: its visible files' names, sizes and mtimes.

    One `os.scandir`, no file opened, so every page can call it every few seconds. Hidden
    files (a save in progress writes to one, then renames it) are left out.

    Returns:
        A hashable tuple, `(folder, ((name, size, mtime_ns), ...))`: equal for equal contents
        of the same folder; no entries when the folder is missing.
    """
    folder = str(folder or models_dir())
    try:
        with os.scandir(folder) as entries:
            found = []
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    info = entry.stat()
                except OSError:
                    continue  # removed between the listing and the stat
                found.append((entry.name, info.st_size, info.st_mtime_ns))
    except OSError:
        return folder, ()
    return folder, tuple(sorted(found))


@st.cache_resource(show_spinner=False, max_entries=4)
def model_list(fingerprint):
    """`[(path, metadata)]` of the models folder, read again whenever `fingerprint` (from
    `models_fingerprint()`) changes: a model added on disk appears, one removed disappears."""
    return storage.list_models(models_dir())


@st.cache_resource(show_spinner=False, max_entries=8)
def saved_model(path, modified):
    """`(LoadedModel, Predictor)` for a file in models/; `modified` (mtime) invalidates it."""
    loaded = storage.load_model(path)
    return loaded, Predictor(loaded.model)


@st.cache_resource(show_spinner=False, max_entries=4)
def uploaded_model(digest, name, _content):
    """`(LoadedModel, Predictor)` for an upload, keyed by its sha256; the file is checked first.

    Raises:
        ModelFileError: the upload is not a safe (28, 28, 1) -> 10 model.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in storage.MODEL_SUFFIXES:
        from mnist_core.errors import ModelFileError

        raise ModelFileError(f"{name} is not a .keras or .h5 file.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(_content)
        loaded = storage.load_model(path)
    loaded.path = Path(name)
    return loaded, Predictor(loaded.model)


def digest_of(content):
    return hashlib.sha256(content).hexdigest()


class MnistUnavailable(DataUnavailableError):
    """MNIST could not be loaded lately; no new attempt before `retry_in` seconds.

    Attributes:
        retry_in: seconds until the next attempt.
        minutes: the same in whole minutes, rounded up (at least 1), for a sentence.
    """

    def __init__(self, retry_in):
        self.retry_in = retry_in
        self.minutes = max(1, math.ceil(retry_in / 60))
        super().__init__(f"The MNIST test images could not be loaded; the next attempt is in "
                         f"about {self.minutes} min.")


class RememberedLoad:
    """Calls `load()` once and keeps its value; a failure is remembered for `retry_seconds`.

    Without this, every page run with MNIST unreachable went through the whole download
    chain again (~8 s each). Visitors share one instance; the lock makes a second visitor
    wait for the first one's attempt instead of starting its own.

    Args:
        load: function of no arguments returning the value, raising `MnistError`.
        retry_seconds: function of no arguments giving the wait after a failure (read at each
            failure, so a deployer's setting applies without a restart).
        clock: seconds, monotonic (a test passes its own).
    """

    def __init__(self, load, retry_seconds, clock=time.monotonic):
        self._load = load
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._value = None
        self._retry_at = None

    def get(self):
        """The loaded value.

        Raises:
            MnistUnavailable: the load failed, now or less than `retry_seconds` ago.
        """
        with self._lock:
            if self._value is not None:
                return self._value
            now = self._clock()
            if self._retry_at is not None and now < self._retry_at:
                raise MnistUnavailable(self._retry_at - now)
            try:
                self._value = self._load()
            except MnistError as error:
                # The reason (sources tried, what to set) is for the deployer: the log has it.
                LOG.warning("MNIST is unavailable: %s", error)
                wait = self._retry_seconds()
                self._retry_at = self._clock() + wait
                raise MnistUnavailable(wait) from None
            return self._value


def _load_test_split():
    """Only the test split is kept: the page shows test images, and training loads its own
    copy in its own process, so the 47 MB of training images would sit here unused."""
    from mnist_core.data import load_data

    return load_data()[1]


@st.cache_resource(show_spinner=False)
def _mnist_test_loader():
    return RememberedLoad(_load_test_split, lambda: settings.get("MNIST_DATA_RETRY_SECONDS"))


def mnist_test_data():
    """`(x_test, y_test)`, loaded and verified once per process.

    Raises:
        MnistUnavailable: MNIST could not be loaded, now or within the last
            `MNIST_DATA_RETRY_SECONDS` (no new attempt is made before then).
    """
    return _mnist_test_loader().get()
