"""Each model's report on the 10,000 test images (and on the project's drawn digits), computed
once per model in the background and kept for a few models.

The strong model reads the test set in several times the tutorial's time (bench/eval_test_set.py): a
page never waits for it. One background thread per model computes its report (one report at a time
per server, so a stranger uploading many models cannot put every core to it); the page shows that it
is reading and looks again every second. Reports of at most `REPORTS_KEPT` models are kept (each is
~200 KB); a model edited on disk gets a new one. A saved model's report is also kept on disk
(`mnist_core.evaluation.report_store`), so a restarted server reads it back in milliseconds instead
of computing it again; an upload's stays in memory.
"""

import dataclasses
import os
import threading

import streamlit as st

from mnist_core.evaluation import report_store
from mnist_core.evaluation.test_report import report_of
from mnist_core.reading.inference import let_readings_pass
from ui.mnist_loader import BackgroundLoad
from ui.visitor_upload import is_upload

REPORTS_KEPT = 4
SERVER_BATCH = 100
"""Images a report reads at a call in the server: a stroke arriving meanwhile waits for at most
one such batch's kernels (~60 ms for `strong.keras`), not one of 500."""
RETRY_SECONDS = 60.0
"""After a failed report (a bug: it is logged), when a page may try again."""


@dataclasses.dataclass(frozen=True)
class ModelReport:
    """A model's test-set `Report` (`mnist_core.evaluation`) and its drawn-digit accuracy."""

    test: object
    drawn: float


class _Shared:
    """What every report job of this server shares: one lock (one job at a time) and the
    prepared drawn-digit set (3 MB, made once: ~3 s)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.drawn_set = None


@st.cache_resource(show_spinner=False)
def _shared():
    return _Shared()


def report_key(model_key):
    """A key naming the model's current version: a saved model's path with its mtime, so a
    model replaced on disk gets a new report; an upload's key (its hash) as it is."""
    try:
        return f"{model_key}@{os.stat(model_key).st_mtime_ns}"
    except (OSError, ValueError, TypeError):
        return model_key


@st.cache_resource(show_spinner=False, max_entries=REPORTS_KEPT)
def _report_load(key, _model_key, _digest, _predictor, _known_drawn, _x_test, _y_test):
    shared = _shared()
    return BackgroundLoad(
        lambda: _evaluate(_model_key, _digest, _predictor, _known_drawn, _x_test, _y_test,
                          shared),
        lambda: RETRY_SECONDS)


def _evaluate(model_key, digest, predictor, known_drawn, x_test, y_test, shared):
    """The model's report: from the disk store when a saved model's is there (no lock: a
    stored report costs a file read), else computed, one model at a time, and stored.
    `digest` is None for an upload (a stranger's model never reaches the disk)."""
    if digest is not None:
        stored = report_store.load_report(model_key, y_test, digest)
        if stored is not None and (known_drawn is not None or stored[1] is not None):
            return ModelReport(stored[0], stored[1] if known_drawn is None else known_drawn)
    with shared.lock:
        # In small batches, each waiting for the strokes' readings under way: they share
        # TensorFlow's one thread of kernels with this report (bench/README.md).
        strokes_first = {"batch_size": SERVER_BATCH, "before_batch": let_readings_pass}
        test = report_of(predictor.probabilities, x_test, y_test, **strokes_first)
        drawn = known_drawn
        if drawn is None:  # an upload, or a model older than the figure
            from mnist_core.evaluation.drawn_score import prepared_drawn_set, share_read_right

            if shared.drawn_set is None:
                shared.drawn_set = prepared_drawn_set(x_test, y_test)
            drawn = share_read_right(predictor, shared.drawn_set, **strokes_first)
    if digest is not None:
        report_store.save_report(model_key, test, drawn, digest)
    return ModelReport(test, drawn)


def report_load(model_key, predictor, metadata, x_test, y_test, digest=None):
    """The server's `BackgroundLoad` of the model's `ModelReport`; its `get(wait)` starts the
    computation when none is under way, and `loading` tells whether one is.

    Args:
        model_key: the page's key for the model (a path, or `upload:<sha256>`).
        predictor: its `mnist_core.reading.inference.Predictor`.
        metadata: its metadata; a `drawn_accuracy` there is used as it is.
        x_test, y_test: MNIST's test split.
        digest: for a saved model, the sha256 of the bytes it was loaded from
            (`LoadedModel.digest`): its report is then kept on disk under that name, and kept
            in memory under it too. None for an upload, or a file replaced while it was read.
    """
    known = metadata.get("drawn_accuracy")
    known = float(known) if isinstance(known, (int, float)) and 0 <= known <= 1 else None
    if is_upload(model_key):
        digest = None
    key = f"{model_key}#{digest}" if digest else report_key(model_key)
    return _report_load(key, model_key, digest, predictor, known, x_test, y_test)
