"""Background training: one at a time, progress visible, cancel leaves nothing, failures reported."""

import threading

import pytest

from mnist_core.errors import MnistError
from mnist_core.jobs import TrainingJobs


def test_runs_in_the_background_and_saves_the_model_with_metadata(tmp_path, tiny_data):
    jobs = TrainingJobs(tmp_path, load_data=lambda: tiny_data)
    assert jobs.start(epochs=2, batch_size=16)
    state = jobs.wait(120)
    assert state.status == "done", state.message
    assert state.history["val_accuracy"] and len(state.history["loss"]) == 2
    assert state.epoch == 2 and state.step == state.steps == 4 and state.fraction == 1.0
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert len(saved) == 2 and saved[0].startswith("tutorial-") and saved[0].endswith(".json")


def test_a_second_start_is_refused_while_one_runs(tmp_path, tiny_data):
    release = threading.Event()

    def slow_data():
        release.wait(30)
        return tiny_data

    jobs = TrainingJobs(tmp_path, load_data=slow_data)
    assert jobs.start(epochs=1)
    assert not jobs.start(epochs=1)
    assert jobs.snapshot().job_id == 1
    release.set()
    assert jobs.wait(120).status == "done"
    assert jobs.start(epochs=1)  # free again once finished
    jobs.wait(120)


def test_cancel_stops_soon_and_writes_no_file(tmp_path, tiny_data):
    jobs = TrainingJobs(tmp_path, load_data=lambda: tiny_data)
    assert jobs.start(epochs=200, batch_size=1)
    while jobs.snapshot().step == 0 and jobs.snapshot().active:
        threading.Event().wait(0.05)
    jobs.cancel()
    state = jobs.wait(30)
    assert state.status == "cancelled" and "nothing was saved" in state.message
    assert state.epoch < 200
    assert list(tmp_path.iterdir()) == []


def test_a_failure_is_one_sentence_and_the_manager_stays_usable(tmp_path, tiny_data):
    def broken():
        raise RuntimeError("disk on fire")

    jobs = TrainingJobs(tmp_path, load_data=broken)
    assert jobs.start(epochs=1)
    state = jobs.wait(30)
    assert state.status == "failed" and "disk on fire" in state.message
    jobs._load_data = lambda: tiny_data
    assert jobs.start(epochs=1) and jobs.wait(120).status == "done"


def test_bad_settings_are_refused_before_starting(tmp_path):
    jobs = TrainingJobs(tmp_path, load_data=lambda: None)
    with pytest.raises(MnistError, match="Batch size"):
        jobs.start(batch_size=0 or -5)
    assert jobs.snapshot().status == "idle"
