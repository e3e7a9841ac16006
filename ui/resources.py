"""What the page loads once per server process (models, data, the training manager), cached.

`st.cache_resource` keeps one copy per process for every visitor, so a rerun after a canvas
stroke reads no file and builds no model.
"""

import hashlib
import os
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
    """`(LoadedModel, Predictor)` for an upload, keyed by its sha256 and name.

    The file is checked, then loaded in a limited child process (`mnist_core.untrusted`). A
    refusal is not cached here (Streamlit caches no exception) but remembered by hash there, so
    a rerun of the page after a refused upload costs a hash, not a load.

    Raises:
        ModelFileError: one sentence naming the visitor's file: not a safe (28, 28, 1) -> 10
            model, or one that needs more memory or time than a model file may take.
    """
    from mnist_core.untrusted import load_untrusted

    loaded = load_untrusted(_content, display_name=name)
    return loaded, Predictor(loaded.model)


def digest_of(content):
    return hashlib.sha256(content).hexdigest()
