"""The training process's test-set report for Explore: read before the model is saved, so a
cancel meanwhile saves nothing, and a failed report never costs the model."""

import threading

import pytest

import mnist_core.jobs.worker as worker
from mnist_core.evaluation import report_store
from mnist_core.errors import TrainingCancelled
from mnist_core.storage import file_digest
from tests.conftest import make_tiny_data

SETTINGS = {"recipe": "tutorial", "epochs": 1, "batch_size": 16, "limit": None, "seed": 1,
            "keep": 10}


class Events:
    def __init__(self):
        self.kinds = []

    def send(self, kind, payload=None):
        self.kinds.append(kind)

    def batch(self, *args):
        pass


def run(tmp_path):
    events = Events()
    worker.train_and_save(SETTINGS, tmp_path, make_tiny_data, threading.Event(), events)
    return events


def visible(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


@pytest.mark.slow  # a one-epoch training on tiny data (~10 s here)
def test_a_cancel_while_the_report_is_read_saves_nothing(tmp_path, monkeypatch):
    real = worker._test_report

    def cancelled_meanwhile(model, x_test, y_test):
        report = real(model, x_test, y_test)
        stop.set()
        return report

    stop = threading.Event()
    monkeypatch.setattr(worker, "_test_report", cancelled_meanwhile)
    with pytest.raises(TrainingCancelled):
        worker.train_and_save(SETTINGS, tmp_path, make_tiny_data, stop, Events())
    assert visible(tmp_path) == [], "a model was saved after its training was cancelled"


@pytest.mark.slow
def test_a_failed_report_costs_the_report_only(tmp_path, monkeypatch):
    def broken(*args):
        raise RuntimeError("out of memory, say")

    monkeypatch.setattr("mnist_core.evaluation.test_report.report_of", broken)
    events = run(tmp_path)
    assert events.kinds[-1] == "done"
    saved = [p for p in tmp_path.glob("*.keras")]
    assert len(saved) == 1
    (_, _), (_, y_test) = make_tiny_data()
    assert report_store.load_report(saved[0], y_test, file_digest(saved[0])) is None


@pytest.mark.slow
def test_the_saved_models_report_is_stored_under_its_bytes(tmp_path):
    events = run(tmp_path)
    assert events.kinds[-1] == "done"
    (saved,) = tmp_path.glob("*.keras")
    (_, _), (_, y_test) = make_tiny_data()
    assert report_store.load_report(saved, y_test, file_digest(saved)) is not None
