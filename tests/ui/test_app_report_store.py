"""The page's test-set reports go through the disk store: a saved model's report survives a
server restart, and a visitor's upload never reaches the disk."""

import os

import numpy as np
import pytest
import streamlit as st

import ui.test_reports
from mnist_core.evaluation import report_store
from mnist_core.storage import file_digest


class CountingPredictor:
    """Reads every image as 1; counts the images it was asked to read."""

    def __init__(self):
        self.images = 0

    def probabilities(self, images):
        self.images += len(images)
        out = np.zeros((len(images), 10), np.float32)
        out[:, 1] = 1
        return out


@pytest.fixture
def fresh_caches():
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def tiny_set(n=20):
    return np.zeros((n, 28, 28), np.uint8), np.arange(n) % 10


def test_a_saved_models_report_is_read_back_after_a_restart(tmp_path, fresh_caches):
    model = tmp_path / "saved.keras"
    model.write_bytes(b"a saved model")
    x, y = tiny_set()
    first = CountingPredictor()
    computed = ui.test_reports.report_load(str(model), first, {"drawn_accuracy": 0.5},
                                           x, y, file_digest(model)).get(wait=30)
    assert first.images == len(x)
    assert report_store.report_path(model, file_digest(model)).is_file()

    st.cache_resource.clear()  # what a restarted server holds
    second = CountingPredictor()
    again = ui.test_reports.report_load(str(model), second, {"drawn_accuracy": 0.5},
                                        x, y, file_digest(model)).get(wait=30)
    assert second.images == 0, "the stored report was computed again"
    assert again.test.accuracy == computed.test.accuracy == pytest.approx(0.1)
    assert again.drawn == 0.5


def test_a_model_without_the_figure_keeps_its_drawn_score_on_disk(tmp_path, fresh_caches):
    model = tmp_path / "old.keras"
    model.write_bytes(b"an older model")
    shared = ui.test_reports._shared()
    shared.drawn_set = (np.zeros((4, 28, 28), np.float32), np.array([1, 1, 1, 2]))
    x, y = tiny_set()
    ui.test_reports.report_load(str(model), CountingPredictor(), {}, x, y,
                                file_digest(model)).get(wait=30)
    st.cache_resource.clear()
    later = CountingPredictor()
    report = ui.test_reports.report_load(str(model), later, {}, x, y,
                                         file_digest(model)).get(wait=30)
    assert later.images == 0 and report.drawn == pytest.approx(0.75)


def test_an_uploads_report_never_reaches_the_disk(tmp_path, fresh_caches, monkeypatch):
    written = []
    monkeypatch.setattr(report_store, "save_report", lambda *args, **kw: written.append(args))
    x, y = tiny_set()
    digest = "0" * 64  # as if it had one: only its being an upload keeps it off the disk
    report = ui.test_reports.report_load("upload:" + digest, CountingPredictor(),
                                         {"drawn_accuracy": 0.5}, x, y, digest).get(wait=30)
    assert report.test.accuracy == pytest.approx(0.1)
    assert written == []


def test_a_folder_that_takes_no_report_still_shows_one(tmp_path, fresh_caches):
    model = tmp_path / "saved.keras"
    model.write_bytes(b"a saved model")
    (tmp_path / report_store.REPORTS_FOLDER).write_text("not a folder")
    x, y = tiny_set()
    report = ui.test_reports.report_load(str(model), CountingPredictor(),
                                         {"drawn_accuracy": 0.5}, x, y,
                                         file_digest(model)).get(wait=30)
    assert report.test.accuracy == pytest.approx(0.1)


def test_a_model_without_a_known_digest_is_reported_but_never_stored(tmp_path, fresh_caches,
                                                                      monkeypatch):
    """A file replaced while it was loaded has no digest: its report is not written under
    the name of bytes it was not read from."""
    written = []
    monkeypatch.setattr(report_store, "save_report", lambda *args, **kw: written.append(args))
    model = tmp_path / "changing.keras"
    model.write_bytes(b"bytes being replaced")
    x, y = tiny_set()
    report = ui.test_reports.report_load(str(model), CountingPredictor(),
                                         {"drawn_accuracy": 0.5}, x, y, None).get(wait=30)
    assert report.test.accuracy == pytest.approx(0.1) and written == []


def test_a_fifo_named_as_the_stored_report_does_not_hang_explore(tmp_path, fresh_caches):
    # issue 22 (B2): "Reading the 10,000 test images..." forever, and a server thread held.
    model = tmp_path / "saved.keras"
    model.write_bytes(b"a saved model")
    fifo = report_store.report_path(model, file_digest(model))
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    x, y = tiny_set()
    try:
        report = ui.test_reports.report_load(str(model), CountingPredictor(), {"drawn_accuracy": 0.5},
                                             x, y, file_digest(model)).get(wait=5)
        assert report is not None and report.test.accuracy == pytest.approx(0.1)
    finally:  # were a reading thread waiting on the FIFO, a writer's open releases it
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:  # no reader: nothing waits
            pass
