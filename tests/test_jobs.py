"""Background training: one at a time, progress visible, cancel leaves nothing, failures reported.

The loaders below are module-level functions because the training runs in a child process,
which receives them by reference.
"""

import time

import pytest

from mnist_core.errors import DataUnavailableError, MnistError
from mnist_core.jobs import TrainingJobs
from tests.conftest import make_tiny_data


def tiny_loader():
    return make_tiny_data()


def slow_tiny_loader():
    time.sleep(3)
    return make_tiny_data()


def broken_loader():
    raise RuntimeError("disk on fire")


def offline_loader():
    raise DataUnavailableError("Could not load MNIST: everything failed.")


def test_runs_in_the_background_and_saves_the_model_with_metadata(tmp_path):
    jobs = TrainingJobs(tmp_path, load_data=tiny_loader)
    assert jobs.start(epochs=2, batch_size=16)
    state = jobs.wait(180)
    assert state.status == "done", state.message
    assert state.history["val_accuracy"] and len(state.history["loss"]) == 2
    assert state.epoch == 2 and state.step == state.steps == 4 and state.fraction == 1.0
    assert 0 <= state.test_accuracy <= 1 and state.model_path.endswith(".keras")
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert len(saved) == 2 and saved[0].startswith("tutorial-") and saved[0].endswith(".json")


def test_a_second_start_is_refused_while_one_runs(tmp_path):
    jobs = TrainingJobs(tmp_path, load_data=slow_tiny_loader)
    assert jobs.start(epochs=1)
    assert not jobs.start(epochs=1)
    assert jobs.snapshot().job_id == 1 and jobs.snapshot().active
    assert jobs.wait(180).status == "done"
    assert jobs.start(epochs=1)  # free again once finished
    assert jobs.wait(180).job_id == 2


def test_cancel_stops_soon_and_writes_no_file(tmp_path):
    jobs = TrainingJobs(tmp_path, load_data=tiny_loader)
    assert jobs.start(epochs=500, batch_size=1)
    deadline = time.time() + 120
    while jobs.snapshot().step == 0 and jobs.snapshot().active and time.time() < deadline:
        time.sleep(0.05)
    asked = time.time()
    jobs.cancel()
    state = jobs.wait(60)
    assert state.status == "cancelled" and "nothing was saved" in state.message
    assert time.time() - asked < 5 and state.epoch < 500
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("loader, words", [
    (broken_loader, "failed unexpectedly (RuntimeError: disk on fire)"),
    (offline_loader, "Could not load MNIST: everything failed."),
])
def test_a_failure_is_one_sentence_and_the_manager_stays_usable(tmp_path, loader, words):
    jobs = TrainingJobs(tmp_path, load_data=loader)
    assert jobs.start(epochs=1)
    state = jobs.wait(120)
    assert state.status == "failed" and words in state.message and "\n" not in state.message
    jobs._load_data = tiny_loader
    assert jobs.start(epochs=1) and jobs.wait(180).status == "done"


def test_bad_settings_are_refused_before_starting(tmp_path):
    jobs = TrainingJobs(tmp_path, load_data=tiny_loader)
    with pytest.raises(MnistError, match="Batch size"):
        jobs.start(batch_size=-5)
    assert jobs.snapshot().status == "idle"
