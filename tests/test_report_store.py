"""Test-set reports kept on disk: read back exactly, only for the very model file and test set
they were computed on, bounded in count and size, and never a reason for the page to fail."""

import logging
import os
import time

import numpy as np
import pytest

from mnist_core import report_store
from mnist_core.evaluation import make_report


def probabilities(n, seed=0):
    p = np.random.default_rng(seed).random((n, 10)).astype(np.float32)
    return p / p.sum(axis=1, keepdims=True)


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "models" / "some.keras"
    path.parent.mkdir()
    path.write_bytes(b"the model's bytes")
    return path


@pytest.fixture
def report():
    return make_report(probabilities(50), np.arange(50) % 10)


def test_a_stored_report_reads_back_as_it_was(model_file, report):
    assert report_store.save_report(model_file, report, drawn=0.975)
    again, drawn = report_store.load_report(model_file, report.labels)
    assert drawn == pytest.approx(0.975)
    assert np.array_equal(again.predicted, report.predicted)
    assert np.array_equal(again.confidence, report.confidence)
    assert np.array_equal(again.confusion, report.confusion)
    assert again.accuracy == report.accuracy
    assert list(again.misclassified()) == list(report.misclassified())


def test_an_unknown_drawn_figure_reads_back_as_unknown(model_file, report):
    report_store.save_report(model_file, report)
    assert report_store.load_report(model_file, report.labels)[1] is None


def test_a_model_file_changed_on_disk_has_no_stored_report(model_file, report):
    report_store.save_report(model_file, report, 0.9)
    model_file.write_bytes(b"a retrained model's bytes")
    assert report_store.load_report(model_file, report.labels) is None


def test_a_report_is_only_for_the_test_set_it_was_computed_on(model_file, report):
    report_store.save_report(model_file, report, 0.9)
    other = report.labels.copy()
    other[0] = (other[0] + 1) % 10
    assert report_store.load_report(model_file, other) is None
    assert report_store.load_report(model_file, report.labels[:49]) is None


def test_no_report_is_none(model_file, report):
    assert report_store.load_report(model_file, report.labels) is None


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04 truncated"])
def test_a_garbage_report_counts_as_missing_and_is_replaced(model_file, report, content, caplog):
    path = report_store.report_path(model_file)
    path.parent.mkdir()
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="mnist_core.report_store"):
        assert report_store.load_report(model_file, report.labels) is None
    assert "some.keras" in caplog.text and str(model_file.parent) not in caplog.text
    assert report_store.save_report(model_file, report, 0.9)
    assert report_store.load_report(model_file, report.labels) is not None


def test_a_report_out_of_range_is_not_believed(model_file, report):
    path = report_store.report_path(model_file)
    report_store.save_report(model_file, report, 0.9)
    with np.load(path) as stored:
        fields = dict(stored)
    fields["predicted"] = np.full_like(fields["predicted"], 11)  # no such digit
    with open(path, "wb") as file:
        np.savez(file, **fields)
    assert report_store.load_report(model_file, report.labels) is None


def test_a_file_too_large_for_a_report_is_not_read(model_file, report, monkeypatch):
    path = report_store.report_path(model_file)
    path.parent.mkdir()
    with open(path, "wb") as file:  # sparse: a gigabyte that costs no disk
        file.truncate(2**30)
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("a huge file was opened"))
    assert report_store.load_report(model_file, report.labels) is None


def test_a_folder_that_cannot_take_reports_costs_a_log_line(model_file, report, caplog):
    (model_file.parent / report_store.REPORTS_FOLDER).write_text("a file where the folder goes")
    with caplog.at_level(logging.WARNING, logger="mnist_core.report_store"):
        assert report_store.save_report(model_file, report, 0.9) is False
    assert "not stored" in caplog.text
    assert report_store.load_report(model_file, report.labels) is None


def test_a_full_disk_leaves_no_half_written_report(model_file, report, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", full)
    assert report_store.save_report(model_file, report, 0.9) is False
    folder = model_file.parent / report_store.REPORTS_FOLDER
    assert list(folder.iterdir()) == []


def test_the_store_keeps_a_bounded_number_of_reports_newest_last(tmp_path, report, monkeypatch):
    monkeypatch.setattr(report_store, "REPORTS_ON_DISK", 3)
    folder = tmp_path / "models"
    folder.mkdir()
    paths = []
    for i in range(5):
        model = folder / f"m{i}.keras"
        model.write_bytes(f"model {i}".encode())
        report_store.save_report(model, report, 0.9)
        written = report_store.report_path(model)
        os.utime(written, (time.time() - 100 + i, time.time() - 100 + i))  # in saving order
        paths.append(model)
    kept = sorted((folder / report_store.REPORTS_FOLDER).glob("*.npz"))
    assert len(kept) == 3
    assert [report_store.load_report(m, report.labels) is not None for m in paths] == [
        False, False, True, True, True]


def test_a_killed_writers_temp_file_goes_and_a_fresh_one_stays(model_file, report):
    folder = model_file.parent / report_store.REPORTS_FOLDER
    folder.mkdir()
    stale, fresh = folder / ".abc-old.npz", folder / ".abc-new.npz"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"being written")
    long_ago = time.time() - 2 * report_store.STALE_TEMP_SECONDS
    os.utime(stale, (long_ago, long_ago))
    report_store.save_report(model_file, report, 0.9)
    assert not stale.exists() and fresh.exists()
