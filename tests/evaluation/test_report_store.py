"""Test-set reports kept on disk: read back exactly, only for the very model file and test set
they were computed on, bounded in count and size, and never a reason for the page to fail."""

import logging
import os
import time

import numpy as np
import pytest

from mnist_core.evaluation import report_store
from mnist_core.evaluation.test_report import make_report
from mnist_core.storage import file_digest
from tests.hang_guard import within


def probabilities(n, seed=0):
    p = np.random.default_rng(seed).random((n, 10)).astype(np.float32)
    return p / p.sum(axis=1, keepdims=True)


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "models" / "some.keras"
    path.parent.mkdir()
    path.write_bytes(b"the model's bytes")
    return path


def save(model, report, drawn=0.9):
    return report_store.save_report(model, report, drawn, file_digest(model))


def load(model, labels):
    return report_store.load_report(model, labels, file_digest(model))


def stored_path(model):
    return report_store.report_path(model, file_digest(model))


@pytest.fixture
def report():
    return make_report(probabilities(50), np.arange(50) % 10)


def test_a_stored_report_reads_back_as_it_was(model_file, report):
    assert save(model_file, report, drawn=0.975)
    again, drawn = load(model_file, report.labels)
    assert drawn == pytest.approx(0.975)
    assert np.array_equal(again.predicted, report.predicted)
    assert np.array_equal(again.confidence, report.confidence)
    assert np.array_equal(again.confusion, report.confusion)
    assert again.accuracy == report.accuracy
    assert list(again.misclassified()) == list(report.misclassified())


def test_an_unknown_drawn_figure_reads_back_as_unknown(model_file, report):
    save(model_file, report, drawn=None)
    assert load(model_file, report.labels)[1] is None


def test_a_model_file_changed_on_disk_has_no_stored_report(model_file, report):
    save(model_file, report)
    model_file.write_bytes(b"a retrained model's bytes")
    assert load(model_file, report.labels) is None


def test_a_report_is_only_for_the_test_set_it_was_computed_on(model_file, report):
    save(model_file, report)
    other = report.labels.copy()
    other[0] = (other[0] + 1) % 10
    assert load(model_file, other) is None
    assert load(model_file, report.labels[:49]) is None


def test_no_report_is_none(model_file, report):
    assert load(model_file, report.labels) is None


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04 truncated"])
def test_a_garbage_report_counts_as_missing_and_is_replaced(model_file, report, content, caplog):
    path = stored_path(model_file)
    path.parent.mkdir()
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="mnist_core.evaluation.report_store"):
        assert load(model_file, report.labels) is None
    assert "some.keras" in caplog.text and str(model_file.parent) not in caplog.text
    assert save(model_file, report)
    assert load(model_file, report.labels) is not None


def test_a_report_out_of_range_is_not_believed(model_file, report):
    path = stored_path(model_file)
    save(model_file, report)
    with np.load(path) as stored:
        fields = dict(stored)
    fields["predicted"] = np.full_like(fields["predicted"], 11)  # no such digit
    with open(path, "wb") as file:
        np.savez(file, **fields)
    assert load(model_file, report.labels) is None


def test_a_file_too_large_for_a_report_is_not_read(model_file, report, monkeypatch):
    path = stored_path(model_file)
    path.parent.mkdir()
    with open(path, "wb") as file:  # sparse: a gigabyte that costs no disk
        file.truncate(2**30)
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("a huge file was opened"))
    assert load(model_file, report.labels) is None


def test_a_folder_that_cannot_take_reports_costs_a_log_line(model_file, report, caplog):
    (model_file.parent / report_store.REPORTS_FOLDER).write_text("a file where the folder goes")
    with caplog.at_level(logging.WARNING, logger="mnist_core.evaluation.report_store"):
        assert save(model_file, report) is False
    assert "not stored" in caplog.text
    assert load(model_file, report.labels) is None


def test_a_full_disk_leaves_no_half_written_report(model_file, report, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", full)
    assert save(model_file, report) is False
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
        save(model, report)
        written = stored_path(model)
        os.utime(written, (time.time() - 100 + i, time.time() - 100 + i))  # in saving order
        paths.append(model)
    kept = sorted((folder / report_store.REPORTS_FOLDER).glob("*.npz"))
    assert len(kept) == 3
    assert [load(m, report.labels) is not None for m in paths] == [
        False, False, True, True, True]


def test_a_killed_writers_temp_file_goes_and_a_fresh_one_stays(model_file, report):
    folder = model_file.parent / report_store.REPORTS_FOLDER
    folder.mkdir()
    stale, fresh = folder / ".abc-old.npz", folder / ".abc-new.npz"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"being written")
    long_ago = time.time() - 2 * report_store.STALE_TEMP_SECONDS
    os.utime(stale, (long_ago, long_ago))
    save(model_file, report)
    assert not stale.exists() and fresh.exists()


def test_a_removed_or_replaced_models_report_goes_at_the_next_save(tmp_path, report):
    folder = tmp_path / "models"
    folder.mkdir()
    gone, replaced, kept = (folder / f"{name}.keras" for name in ("gone", "replaced", "kept"))
    for model in (gone, replaced, kept):
        model.write_bytes(model.name.encode())
        save(model, report)
    old = stored_path(replaced)
    gone_report = stored_path(gone)
    gone.unlink()
    replaced.write_bytes(b"retrained")
    save(kept, report)
    left = {p.name for p in (folder / report_store.REPORTS_FOLDER).glob("*.npz")}
    assert left == {stored_path(kept).name}, "reports of models no longer there were kept"
    assert not old.exists() and not gone_report.exists()


def write_report_file(path, arrays):
    """A report file whose arrays are `arrays` (name -> array, or name -> raw .npy bytes)."""
    import io
    import zipfile

    path.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, value in arrays.items():
            if isinstance(value, bytes):
                archive.writestr(f"{name}.npy", value)
            else:
                buffer = io.BytesIO()
                np.save(buffer, value)
                archive.writestr(f"{name}.npy", buffer.getvalue())


def good_arrays(report):
    return {"format": np.int64(report_store.FORMAT),
            "labels_sha256": np.str_(report_store.labels_digest(report.labels)),
            "drawn": np.float64(0.9), "predicted": report.predicted.astype(np.uint8),
            "confidence": report.confidence.astype(np.float32)}


def test_a_header_declaring_a_huge_array_is_refused_before_numpy_allocates_it(
        model_file, report):
    import io
    import tracemalloc

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": (2 * 10**9,)})
    arrays = {**good_arrays(report), "predicted": header.getvalue() + b"\x01" * 50}
    write_report_file(stored_path(model_file), arrays)
    assert stored_path(model_file).stat().st_size < 10_000
    tracemalloc.start()
    try:
        assert load(model_file, report.labels) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20, f"reading a 10 KB report file took {peak / 2**20:.0f} MB"


def test_the_hand_written_reference_file_reads_back(model_file, report):
    write_report_file(stored_path(model_file), good_arrays(report))
    assert load(model_file, report.labels)[0].accuracy == report.accuracy


@pytest.mark.parametrize("change", [
    {"confidence": "nan"}, {"format": np.int64(report_store.FORMAT + 1)},
    {"predicted": "int64"}, {"extra": np.zeros(3)}])
def test_a_report_of_another_format_or_with_impossible_values_is_not_believed(
        model_file, report, change):
    arrays = good_arrays(report)
    if change.get("confidence") == "nan":
        arrays["confidence"] = np.full_like(arrays["confidence"], np.nan)
    elif change.get("predicted") == "int64":
        arrays["predicted"] = arrays["predicted"].astype(np.int64)
    else:
        arrays.update(change)
    write_report_file(stored_path(model_file), arrays)
    assert load(model_file, report.labels) is None


def test_a_prune_that_meets_another_process_still_says_the_report_is_stored(
        model_file, report, monkeypatch):
    def racing(*args, **kwargs):
        raise FileNotFoundError(2, "removed by another process")

    monkeypatch.setattr(report_store, "_prune", racing)
    assert save(model_file, report) is True
    assert load(model_file, report.labels) is not None


# issue 22 (B2): a FIFO named as a stored report hung Explore for every visitor.
def test_a_fifo_named_as_a_stored_report_counts_as_missing_without_waiting(model_file, report,
                                                                           caplog):
    stored_path(model_file).parent.mkdir()
    os.mkfifo(stored_path(model_file))  # opening it for reading would wait for a writer forever
    with caplog.at_level(logging.WARNING):
        found = within(5, load, model_file, report.labels, fifos=[stored_path(model_file)])
    assert found is None
    assert "some.keras" in caplog.text and str(model_file.parent) not in caplog.text
    assert within(5, save, model_file, report)  # the report replaces the FIFO
    assert load(model_file, report.labels) is not None


def test_a_fifo_named_as_a_model_does_not_hold_the_reports_prune(model_file, report):
    os.mkfifo(model_file.parent / "pipe.keras")  # the prune reads every model's bytes
    assert within(5, save, model_file, report, fifos=[model_file.parent / "pipe.keras"])
    assert load(model_file, report.labels) is not None
