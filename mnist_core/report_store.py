"""Test-set reports kept on disk, beside the models they describe, so each is computed once.

A model's reading of the 10,000 test images (`evaluation.Report`) takes ~2.5 s for the
tutorial's CNN and ~5 s for `strong.keras` on a 2-core AVX2 CPU (about 290 GFLOP: more than
this CPU's float32 peak allows in 2 s). A server process keeps reports in memory, but Community
Cloud restarts its process whenever the app sleeps; this store keeps them across restarts, and
the shipped models' reports ship with them. A report is named by the sha256 of the model file
it was computed from, so an edited or replaced model never gets a stale one.

The store is `<models folder>/.reports/<sha256>.npz` (hidden: no model listing sees it), at
most `REPORTS_ON_DISK` files of ~60 KB, oldest removed first. Only the server writes it, and
only for models of its own folder: a visitor's upload is never written to disk. Every file is
written whole or not at all; one that cannot be read, or does not fit the test set it is read
for, counts as missing. A full or read-only folder costs a log line, never the page.
"""

import hashlib
import logging
import os
import time
from pathlib import Path

import numpy as np

from mnist_core.atomic_files import replaced_atomically
from mnist_core.constants import NUM_CLASSES
from mnist_core.evaluation import report_from_readings

REPORTS_FOLDER = ".reports"
REPORTS_ON_DISK = 32
"""Reports kept, all models together (each ~60 KB): room for the shipped models, the
visitor-trained ones (`MNIST_MAX_TRAINED_MODELS`) and a deployer's own."""
MOST_REPORT_BYTES = 2**20
"""A report file larger than this is not a report of 10,000 images: it is not read."""
FORMAT = 1
STALE_TEMP_SECONDS = 600.0
"""A hidden temp file older than this was left by a killed writer; younger ones may be written."""

log = logging.getLogger(__name__)


def file_digest(path):
    """sha256 of a file's bytes, read in 1 MB pieces (a 6 MB model: ~15 ms)."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for piece in iter(lambda: file.read(2**20), b""):
            digest.update(piece)
    return digest.hexdigest()


def labels_digest(labels):
    """sha256 of the labels as int64: a report is only for the images it was computed on."""
    return hashlib.sha256(np.ascontiguousarray(labels, dtype=np.int64).tobytes()).hexdigest()


def report_path(model_path, digest=None):
    """Where the report of `model_path` lives (its folder's `.reports/<sha256 of the file>.npz`)."""
    model_path = Path(model_path)
    return model_path.parent / REPORTS_FOLDER / f"{digest or file_digest(model_path)}.npz"


def load_report(model_path, labels, digest=None):
    """The stored report of the model file, or None when there is none that fits.

    Args:
        model_path: a model file of a models folder.
        labels: int array (N,), the true digits of the test images it is wanted for.
        digest: the file's `file_digest()`, when known (else it is read now).

    Returns:
        `(evaluation.Report, drawn)`, `drawn` the drawn-digit accuracy or None; None when no
        stored report matches this file's bytes and these labels, or the file is unreadable.
    """
    try:
        path = report_path(model_path, digest)
        if path.stat().st_size > MOST_REPORT_BYTES:
            raise ValueError("too large for a report")
        with np.load(path, allow_pickle=False) as stored:
            return _checked(stored, np.asarray(labels))
    except FileNotFoundError:
        return None
    except Exception as error:  # noqa: BLE001 - EOFError, BadZipFile...: a damaged copy of a
        # cache is recomputed, whatever numpy makes of it
        log.warning("Report of %s unreadable (%s): it will be computed again.",
                    Path(model_path).name, error)
        return None


def _checked(stored, labels):
    if int(stored["format"]) != FORMAT or str(stored["labels_sha256"]) != labels_digest(labels):
        return None  # another format, or another test set: not this report
    predicted, confidence = stored["predicted"], stored["confidence"]
    if predicted.dtype != np.uint8 or predicted.shape != labels.shape:
        raise ValueError("predicted digits of the wrong type or count")
    if confidence.dtype != np.float32 or confidence.shape != labels.shape:
        raise ValueError("confidences of the wrong type or count")
    if predicted.size and (predicted.max() >= NUM_CLASSES
                           or not np.all((confidence >= 0) & (confidence <= 1))):
        raise ValueError("a digit or confidence out of range")
    drawn = float(stored["drawn"])
    drawn = drawn if 0 <= drawn <= 1 else None  # NaN: not known when it was stored
    return report_from_readings(predicted, confidence, labels), drawn


def save_report(model_path, report, drawn=None, digest=None):
    """Stores `report` for the model file; never raises for a folder that cannot take it.

    Args:
        model_path: the model file the report was computed from (a models folder's).
        report: its `evaluation.Report`.
        drawn: its drawn-digit accuracy, or None.
        digest: the `file_digest()` of the file as it was when the report was computed (else
            it is read now).

    Returns:
        True when the report is on disk, False when it could not be written (logged).
    """
    model_path = Path(model_path)
    try:
        path = report_path(model_path, digest)
        path.parent.mkdir(exist_ok=True)
        with replaced_atomically(path) as temporary:
            with open(temporary, "wb") as file:
                np.savez(file, format=np.int64(FORMAT),
                         labels_sha256=np.str_(labels_digest(report.labels)),
                         predicted=report.predicted.astype(np.uint8),
                         confidence=report.confidence.astype(np.float32),
                         drawn=np.float64(np.nan if drawn is None else drawn))
        _prune(path.parent, keep=path)
        return True
    except OSError as error:  # a full disk, a read-only folder, a vanished model
        log.warning("Report of %s not stored (%s); it stays in memory.", model_path.name, error)
        return False


def _prune(folder, keep):
    """At most `REPORTS_ON_DISK` reports (oldest go first) and no stale temp file."""
    reports, now = [], time.time()
    with os.scandir(folder) as entries:
        for entry in entries:
            stat = entry.stat(follow_symlinks=False)
            if entry.name.startswith("."):
                if entry.is_file(follow_symlinks=False) and now - stat.st_mtime > STALE_TEMP_SECONDS:
                    Path(entry.path).unlink(missing_ok=True)
            elif entry.name.endswith(".npz") and entry.path != str(keep):
                reports.append((stat.st_mtime, entry.path))
    for _, path in sorted(reports)[:max(0, len(reports) - (REPORTS_ON_DISK - 1))]:
        Path(path).unlink(missing_ok=True)
