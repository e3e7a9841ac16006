"""What the page keeps once per server process (models, the training manager), cached.

`st.cache_resource` keeps one copy per process for every visitor, so a rerun after a canvas
stroke reads no file and builds no model.
"""

import hashlib
import logging
import os

import streamlit as st

from mnist_core import settings, storage
from mnist_core.errors import MnistError
from mnist_core.jobs import limits as train_limits
from mnist_core.jobs.training_jobs import TrainingJobs
from mnist_core.reading.inference import Predictor
from mnist_core.untrusted.checked_load import load_model

LOG = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def training_jobs():
    """The one training manager of this server process (one training at a time); made with the
    first page, when every deployer setting the server cannot use gets a line in the log."""
    log_unusable_settings()
    try:
        spare = settings.get("MNIST_TRAINING_SPARE")
    except MnistError:  # logged just above; the page trains as it did before spares
        spare = False
    return TrainingJobs(storage.models_dir(), spare=spare)  # at MNIST_TRAINING_NICE


def log_unusable_settings():
    """One warning in the server's log for each setting it cannot use (the page says it where
    it matters: the Train tab, or no "What did you draw?"); returns the sentences."""
    said = []
    for name in settings.SETTINGS:
        try:
            settings.get(name)
        except MnistError as error:
            said.append(str(error))
    try:
        train_limits.allowed_recipes()
    except MnistError as error:
        said.append(str(error))
    for sentence in said:
        LOG.warning("%s", sentence)
    return said


def file_version(path):
    """Which content a file holds, told without reading it; None when it is missing.

    The inode, size and both times: the kernel sets the change time (ctime) at every write,
    rename or copy and nothing can set it back, so a model replaced by `cp -p` or `rsync -a`
    (same size, its old mtime restored) still reads as new, where an mtime alone did not.
    """
    try:
        return _version(os.stat(path))
    except OSError:
        return None


def _version(info):
    return info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def models_fingerprint(folder=None):
    """What the models folder holds, cheaply: its visible files' names and versions.

    One `os.scandir`, no file opened, so every page can call it every few seconds. Hidden
    files (a save in progress writes to one, then renames it) are left out.

    Returns:
        A hashable tuple, `(folder, ((name, file_version), ...))`: equal while nothing in the
        folder is written; no entries when the folder is missing.
    """
    folder = str(folder or storage.models_dir())
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
                found.append((entry.name, _version(info)))
    except OSError:
        return folder, ()
    return folder, tuple(sorted(found))


@st.cache_resource(show_spinner=False, max_entries=4)
def model_list(fingerprint):
    """`[(path, metadata)]` of the models folder, read again whenever `fingerprint` (from
    `models_fingerprint()`) changes: a model added on disk appears, one removed disappears."""
    return storage.list_models(storage.models_dir())


@st.cache_resource(show_spinner=False, max_entries=8)
def saved_model(path, version):
    """`(LoadedModel, Predictor)` for a file in models/; its `file_version` invalidates it.

    The predictor reads a stroke's one image compiled for LiteRT, compiled on the first such
    read (a model only scored or compared never is); an upload's predictor (`upload_check`)
    is not compiled, as converting a stranger's model in the server would hold it for
    seconds and hundreds of MB."""
    loaded = load_model(path)
    return loaded, Predictor(loaded.model, compiled=True)


def digest_of(content):
    return hashlib.sha256(content).hexdigest()
