"""Test-set reports kept on disk, beside the models they describe, so each is computed once.

A model's reading of the 10,000 test images (`evaluation.Report`) takes ~1 s for the tutorial's
CNN and ~6 s for `strong.keras` on a 2-core AVX2 CPU (289 GFLOP: more than this CPU's float32
peak allows in 2 s; bench/eval_test_set.py). A server process keeps reports in memory, but
Community Cloud restarts its process whenever the app sleeps; this store keeps them across
restarts, and the shipped models' reports ship with them. A report is named by the sha256 of
the bytes the model was loaded from (`storage.LoadedModel.digest`), so an edited or replaced
model file never meets a report of other bytes.

The store is `<models folder>/.reports/<sha256>.npz` (hidden: no model listing sees it), ~50 KB
a report. Each save removes the reports of models no longer in the folder, then keeps at most
`REPORTS_ON_DISK`, oldest first out. Only this project's own processes write it (the page's
server, its training process, `python -m mnist_core reports`), and only for models of their
models folder: a visitor's upload never reaches the disk. Every file is written whole or not at
all. Reading one is bounded before it is spent: it must be a regular file (a FIFO named like a
report would hold a server thread forever), then its size, then each zip entry's and each
array's declared size, shape and type, against the test set it is read for
(`data.npz_files`). One that does not fit counts as missing; a full or read-only folder costs a
log line, never the page.
"""

import hashlib
import logging
import math
import os
import time
from pathlib import Path

import numpy as np

from mnist_core.atomic_files import replaced_atomically
from mnist_core.constants import NUM_CLASSES
from mnist_core.data.npz_files import read_arrays
from mnist_core.evaluation.test_report import report_from_readings
from mnist_core.regular_files import open_regular
from mnist_core.storage import MODEL_SUFFIXES, file_digest

REPORTS_FOLDER = ".reports"
REPORTS_ON_DISK = 32
"""Reports kept, all models together (each ~50 KB): room for the shipped models, the
visitor-trained ones (`MNIST_MAX_TRAINED_MODELS`) and a deployer's own."""
MOST_REPORT_BYTES = 2**20
"""A report file larger than this is not a report of 10,000 images: it is not read."""
FORMAT = 1
STALE_TEMP_SECONDS = 600.0
"""A hidden temp file older than this was left by a killed writer; younger ones may be written."""

log = logging.getLogger(__name__)


def labels_digest(labels):
    """sha256 of the labels as int64: a report is only for the images it was computed on."""
    return hashlib.sha256(np.ascontiguousarray(labels, dtype=np.int64).tobytes()).hexdigest()


def report_path(model_path, digest):
    """Where the report of the model loaded from bytes `digest` lives: its folder's
    `.reports/<digest>.npz`."""
    return Path(model_path).parent / REPORTS_FOLDER / f"{digest}.npz"


def load_report(model_path, labels, digest):
    """The stored report of the model, or None when there is none that fits.

    Args:
        model_path: the model's file, in a models folder.
        labels: int array (N,), the true digits of the test images it is wanted for.
        digest: the sha256 of the bytes the model was loaded from (`LoadedModel.digest`).

    Returns:
        `(evaluation.Report, drawn)`, `drawn` the drawn-digit accuracy or None; None when no
        stored report matches these bytes and these labels, or the file is unreadable.
    """
    labels = np.asarray(labels)
    try:
        return _read(report_path(model_path, digest), labels)
    except FileNotFoundError:
        return None
    except Exception as error:  # noqa: BLE001 - EOFError, BadZipFile, a bad header...: a
        # damaged copy of a cache is computed again, whatever numpy makes of it
        log.warning("Report of %s unreadable (%s): it will be computed again.",
                    Path(model_path).name, error)
        return None


EXPECTED = {"format": ((), np.dtype(np.int64)), "labels_sha256": ((), np.dtype("<U64")),
            "drawn": ((), np.dtype(np.float64)), "predicted": (None, np.dtype(np.uint8)),
            "confidence": (None, np.dtype(np.float32))}
"""Each array of a report file: its shape (None: one value per test image) and its type."""


def _read(path, labels):
    with open_regular(path) as file:  # a FIFO named like a report is refused, never waited on
        if os.fstat(file.fileno()).st_size > MOST_REPORT_BYTES:
            raise ValueError("too large for a report")
        stored = read_arrays(file, list(EXPECTED), _most_bytes(labels.shape), "a report's array",
                             check=_expected(labels.shape), only=True)
    if int(stored["format"]) != FORMAT or str(stored["labels_sha256"]) != labels_digest(labels):
        return None  # another format, or another test set: not this report
    predicted, confidence = stored["predicted"], stored["confidence"]
    if predicted.size and (predicted.max() >= NUM_CLASSES
                           or not np.all((confidence >= 0) & (confidence <= 1))):
        raise ValueError("a digit or confidence out of range")
    drawn = float(stored["drawn"])
    drawn = drawn if 0 <= drawn <= 1 else None  # NaN: not known when it was stored
    return report_from_readings(predicted, confidence, labels), drawn


def _most_bytes(per_image):
    return {name: math.prod(per_image if shape is None else shape) * dtype.itemsize
            for name, (shape, dtype) in EXPECTED.items()}


def _expected(per_image):
    """The check of each array's declared header: exactly the shape and type of a report's
    (numpy allocates what a header declares before it reads a byte)."""

    def check(name, declared, declared_type):
        shape, dtype = EXPECTED[name]
        shape = per_image if shape is None else shape
        if declared != shape or declared_type != dtype:
            raise ValueError(f"{name} is {declared} {declared_type}, not {shape} {dtype}")

    return check


def save_report(model_path, report, drawn, digest):
    """Stores `report` for the model; never raises for a folder that cannot take it.

    Args:
        model_path: the model's file, in a models folder.
        report: its `evaluation.Report`.
        drawn: its drawn-digit accuracy, or None.
        digest: the sha256 of the bytes the model that made the report was loaded from
            (`LoadedModel.digest`), or that were saved from it.

    Returns:
        True when the report is on disk, False when it could not be written (logged).
    """
    model_path = Path(model_path)
    path = report_path(model_path, digest)
    try:
        path.parent.mkdir(exist_ok=True)
        with replaced_atomically(path) as temporary:
            with open(temporary, "wb") as file:
                np.savez(file, format=np.int64(FORMAT),
                         labels_sha256=np.str_(labels_digest(report.labels)),
                         predicted=report.predicted.astype(np.uint8),
                         confidence=report.confidence.astype(np.float32),
                         drawn=np.float64(np.nan if drawn is None else drawn))
    except OSError as error:  # a full disk, a read-only folder
        log.warning("Report of %s not stored (%s); it stays in memory.", model_path.name, error)
        return False
    try:
        _prune(path.parent, model_path.parent, keep=path)
    except OSError as error:  # another process pruning at the same moment, say
        log.info("Reports of %s not pruned this time (%s).", model_path.parent.name, error)
    return True


def _prune(folder, models, keep):
    """Removes the reports of models no longer in `models` and stale temp files, then keeps at
    most `REPORTS_ON_DISK` reports, oldest first out."""
    living = {_digest_or_none(path) for path in models.iterdir()
              if path.suffix in MODEL_SUFFIXES and not path.name.startswith(".")}
    reports, now = [], time.time()
    for entry in os.scandir(folder):
        try:
            modified = entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:
            continue  # removed by another process meanwhile
        if entry.name.startswith("."):
            if now - modified > STALE_TEMP_SECONDS and entry.is_file(follow_symlinks=False):
                Path(entry.path).unlink(missing_ok=True)
        elif entry.name.endswith(".npz") and entry.path != str(keep):
            if entry.name[:-4] in living:
                reports.append((modified, entry.path))
            else:
                Path(entry.path).unlink(missing_ok=True)  # its model is gone or was replaced
    for _, path in sorted(reports)[:max(0, len(reports) - (REPORTS_ON_DISK - 1))]:
        Path(path).unlink(missing_ok=True)


def _digest_or_none(path):
    try:
        return file_digest(path)
    except OSError:
        return None
