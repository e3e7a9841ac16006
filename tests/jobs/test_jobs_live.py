"""The live view through a real training process on tiny data: the snapshot carries the grid,
each epoch's answers and filters, a bounded batch curve, and the owner's drawing read by each
epoch's model; nobody else's drawing, and nothing but a drawing, reaches the worker."""

import base64

import numpy as np
import pytest

from mnist_core.jobs.drawing_command import decode_drawing
from mnist_core.jobs.state import MAX_CURVE_POINTS, JobState
from mnist_core.jobs.training_jobs import TrainingJobs
from tests.jobs.test_jobs import TINY, wait_until


@pytest.mark.process
def test_the_snapshot_carries_the_grid_the_epochs_pictures_and_a_curve(tmp_path):
    jobs = TrainingJobs(tmp_path, load_data=TINY)
    assert jobs.start(epochs=3, batch_size=4, limit=64)
    state = jobs.wait(180)
    assert state.status == "done", state.message
    labels = state.grid["labels"]
    assert len(labels) == 32 and labels == sorted(labels)  # tiny test set: 3-4 of each class
    images = np.frombuffer(base64.b64decode(state.grid["images"]), np.uint8)
    assert images.shape == (32 * 784,)
    assert state.latest["epoch"] == 3 and len(state.latest["answers"]) == 32
    assert np.shape(state.latest["filters"]) == (32, 3, 3)
    assert state.latest["drawing"] is None  # nobody asked
    assert 1 <= len(state.curve) <= MAX_CURVE_POINTS
    xs = [point["x"] for point in state.curve]
    assert xs == sorted(xs) and xs[-1] == 3.0 and set(state.curve[0]) == {"x", "loss", "accuracy"}


@pytest.mark.process
def test_the_owners_drawing_is_read_at_each_epoch_and_a_strangers_is_refused(tmp_path):
    jobs = TrainingJobs(tmp_path, load_data=TINY)
    assert not jobs.read_drawing("visitor-a", np.zeros((28, 28), np.float32))  # nothing runs
    assert jobs.start(epochs=400, batch_size=1, limit=64, owner="visitor-a")
    image = np.zeros((28, 28), np.float32)
    image[6:8, 4:24] = 1.0  # the tiny data's digit 2: a bright bar at rows 6-7
    stranger = np.ones((28, 28), np.float32)
    assert not jobs.read_drawing("visitor-b", stranger) and not jobs.read_drawing(None, stranger)
    for hostile in (np.full((28, 28), np.nan, np.float32), np.zeros((2800, 2800), np.float32),
                    "drawing " + "A" * 1048, np.full((28, 28), 2.0)):
        assert not jobs.read_drawing("visitor-a", hostile)
    assert jobs.read_drawing("visitor-a", image)
    assert not jobs.read_drawing("visitor-a", image.copy())  # the same again costs nothing

    def read_back():
        latest = jobs.snapshot().latest
        return latest and latest["drawing"]

    wait_until(read_back, 120, "an epoch to read the drawing")
    read = jobs.snapshot().latest["drawing"]
    assert np.array_equal(decode_drawing(read["image"]), image)  # the owner's, not the stranger's
    assert len(read["probabilities"]) == 10
    assert jobs.read_drawing("visitor-a", None)  # the canvas was cleared
    epoch = jobs.snapshot().latest["epoch"]
    wait_until(lambda: jobs.snapshot().latest["epoch"] > epoch + 1, 120, "two more epochs")
    assert jobs.snapshot().latest["drawing"] is None
    assert jobs.cancel("visitor-a") and jobs.wait(60).status == "cancelled"


def test_the_snapshot_is_bounded_whatever_the_worker_sends_and_a_copy_to_its_reader(tmp_path):
    jobs = TrainingJobs(tmp_path)
    jobs._state = JobState(status="running")
    for i in range(5 * MAX_CURVE_POINTS):
        jobs._apply("curve", {"x": i, "loss": 1.0, "accuracy": 0.5})
    for epoch in range(1, 60):
        jobs._apply("snapshot", {"epoch": epoch, "answers": [0] * 40, "filters": None,
                                 "drawing": None})
    state = jobs.snapshot()
    assert len(state.curve) == MAX_CURVE_POINTS and state.latest["epoch"] == 59
    state.curve.clear()
    state.history.setdefault("loss", []).append(1.0)
    assert len(jobs.snapshot().curve) == MAX_CURVE_POINTS and not jobs.snapshot().history
