"""Take it home: the chosen model as `.keras` and as the tutorial's `mnist_model.h5`.

A file is made only when its button is pressed (Streamlit calls the button's function then, on
a thread of its own), and the bytes of the last few are kept, so a rerun costs nothing and a
second download of the same model makes nothing again. A model of the models folder hands out
its `.keras` file as it is; an upload hands out the model as rebuilt on the server.
"""

import collections
import re
import threading
from pathlib import Path

import streamlit as st

from mnist_core import storage
from ui.session_keys import DOWNLOAD_PREFIX
from ui.texts import text
from ui.visitor_upload import is_upload

DOWNLOADS_KEPT_BYTES = 24 * 2**20
"""Bytes of downloads kept in memory, all files together (the strong model's `.keras` is
5.8 MB, its `.h5` 2 MB): strangers' uploads cannot make the server hold more. A file larger
than this is made again at each download."""
H5_NAME = "mnist_model.h5"  # what the tutorial's `model.save('mnist_model.h5')` writes


class DownloadCache:
    """The bytes of the last downloads, by (model key, suffix), at most `max_bytes` in all;
    safe across threads.

    Args:
        max_bytes: how many bytes to keep, the files' sizes added up.
    """

    def __init__(self, max_bytes=DOWNLOADS_KEPT_BYTES):
        self._max_bytes = max_bytes
        self._files = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, make):
        """The bytes under `key`, made with `make()` (no arguments) when not kept."""
        with self._lock:
            if key in self._files:
                self._files.move_to_end(key)
                return self._files[key]
        content = make()
        if len(content) > self._max_bytes:
            return content
        with self._lock:
            self._files[key] = content
            self._files.move_to_end(key)
            while sum(len(kept) for kept in self._files.values()) > self._max_bytes:
                self._files.popitem(last=False)
        return content


@st.cache_resource(show_spinner=False)
def download_cache():
    """The server's one `DownloadCache`."""
    return DownloadCache()


def file_maker(model, path, suffix):
    """A function of no arguments giving the file's bytes: a saved `.keras` read as it is,
    anything else saved from the model in memory."""
    if path is not None and Path(path).suffix == suffix:
        return lambda: storage.saved_file_bytes(path)
    return lambda: storage.model_bytes(model, suffix)


def download_buttons(language, container, loaded, model_key, name):
    """Two buttons that download the chosen model, as `<name>.keras` and as `mnist_model.h5`.

    Args:
        language: 'en' or 'fr'.
        container: where the buttons go.
        loaded: the model's `LoadedModel`.
        model_key: the page's key for the model (a path, or `upload:<sha256>`).
        name: the model's file name (the upload's own for an upload).
    """
    cache = download_cache()
    path = None if is_upload(model_key) else loaded.path
    version = _version(path)
    container.caption(text(language, "download_title"))
    left, right = container.columns(2)
    for column, suffix, file_name in ((left, ".keras", safe_stem(name) + ".keras"),
                                      (right, ".h5", H5_NAME)):
        make = file_maker(loaded.model, path, suffix)
        column.download_button(
            text(language, f"download{suffix.replace('.', '_')}"),
            lambda key=(model_key, version, suffix), make=make: cache.get(key, make),
            file_name=file_name, mime="application/octet-stream", on_click="ignore",
            icon=":material/download:", key=DOWNLOAD_PREFIX + suffix, width="stretch")


def safe_stem(name):
    """A file name's stem fit for a download: an upload's name is the visitor's own text, so
    only letters, digits, dots, dashes and underscores are kept, at most 64 of them."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(str(name)).stem)[:64].strip("._")
    return stem or "model"


def _version(path):
    try:
        return Path(path).stat().st_mtime_ns if path is not None else None
    except OSError:
        return None
