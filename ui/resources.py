"""What the page loads once per server process (models, data, the training manager), cached.

`st.cache_resource` keeps one copy per process for every visitor, so a rerun after a canvas
stroke reads no file and builds no model.
"""

import hashlib
import os
import tempfile
from pathlib import Path

import streamlit as st

from mnist_core import storage
from mnist_core.inference import Predictor
from mnist_core.jobs import TrainingJobs

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_NAME = "tutorial.keras"


def models_dir():
    """The model folder: `$MNIST_MODELS_DIR`, else `models/` beside the app."""
    return Path(os.environ.get("MNIST_MODELS_DIR") or ROOT / "models")


def default_model():
    return models_dir() / DEFAULT_MODEL_NAME


@st.cache_resource(show_spinner=False)
def training_jobs():
    """The one training manager of this server process (one training at a time)."""
    return TrainingJobs(models_dir())


@st.cache_resource(show_spinner=False)
def mnist_test_data():
    """`(x_test, y_test)`, loaded and verified once per process (MnistError is not cached).

    Only the test split is kept: the page shows test images, and training loads its own copy
    in its own process, so the 47 MB of training images would sit here unused.
    """
    from mnist_core.data import load_data

    return load_data()[1]


@st.cache_resource(show_spinner=False)
def model_list(version):
    """`[(path, metadata)]` of models/; `version` changes when a training saves a new model."""
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
