"""The live view's truth from the first batch: where a batch sits on the epochs axis, the stages
a job passes through (setup, batches, validation, the end), and a time left that leaves the
setup out and converges on the real one; short epochs report often enough to watch."""

import pytest

from mnist_core.jobs import training_jobs
from mnist_core.jobs.state import PREPARING, TRAINING, VALIDATING, JobState, epochs_done
from mnist_core.jobs.training_jobs import TrainingJobs
from mnist_core.training.callbacks import ProgressCallback
from mnist_core.training.recipes import steps_per_execution

SETUP, PER_BATCH, VALIDATION = 8.0, 0.1, 2.0
"""A fake training's seconds: the first call's compile, one batch, one epoch's validation."""


def test_a_batch_sits_at_its_fraction_of_its_epoch_on_the_epochs_axis():
    assert epochs_done(1, 0, 47) == 0.0
    assert epochs_done(1, 47, 47) == 1.0  # where epoch 1's point is drawn
    assert epochs_done(2, 10, 20) == pytest.approx(1.5)
    assert epochs_done(3, 40, 32) == 3.0  # a group's last index past a short epoch's end
    assert epochs_done(2, 5, 0) == 1.0  # an unknown epoch length: its start


def test_a_short_epoch_reports_often_and_a_long_one_in_groups_of_32():
    assert steps_per_execution(47) == 2  # 6,000 images of 128: 23 reports, not 2
    assert steps_per_execution(5) == 1
    assert steps_per_execution(938) == 32  # the tutorial's epoch: as fast as before
    assert steps_per_execution(469) == 29


class FakeChild:
    """Feeds a `TrainingJobs` the events a worker sends, on a clock the test moves."""

    def __init__(self, monkeypatch, epochs, steps):
        self.now, self.epochs, self.steps = 1000.0, epochs, steps
        monkeypatch.setattr(training_jobs.time, "time", lambda: self.now)
        self.jobs = TrainingJobs("/nonexistent/models")  # no process: the events' folding only
        self.jobs._state = JobState(status="loading", epochs=epochs, started=self.now)

    def send(self, kind, payload=None, after=0.0):
        self.now += after
        self.jobs._apply(kind, payload)
        return self.jobs.snapshot()

    def true_left(self, epoch, step):
        batches_left = (self.epochs - epoch + 1) * self.steps - step
        validations_left = self.epochs - epoch + 1
        return batches_left * PER_BATCH + validations_left * VALIDATION


def test_the_stages_go_setup_batches_validation_and_the_time_left_converges(monkeypatch):
    child = FakeChild(monkeypatch, epochs=2, steps=40)
    # issue 24: once the data is there (at once from a spare), the setup's second step shows.
    state = child.send("loaded", after=1.0)
    assert (state.status, state.stage, state.seconds_left) == ("running", PREPARING, None)
    state = child.send("begin", {"epochs": 2, "steps": 40}, after=3.0)
    assert (state.status, state.stage, state.seconds_left) == ("running", PREPARING, None)
    errors = []
    for epoch in (1, 2):
        for step in range(2, 41, 2):  # groups of 2 batches; the first call also compiles
            after = 2 * PER_BATCH + (SETUP if (epoch, step) == (1, 2) else 0.0)
            state = child.send("batch", {"epoch": epoch, "step": step, "steps": 40,
                                         "running": {}}, after=after)
            assert state.stage == TRAINING
            if (epoch, step) == (1, 2):
                assert state.seconds_left is None  # one report measures no rate
            elif epoch == 2:  # the first validation has been measured
                errors.append(abs(state.seconds_left - child.true_left(epoch, step)))
            else:
                # The setup is not counted as batch time: the first estimates were ~5 times
                # too long when it was.
                batches = child.true_left(epoch, step) - 2 * VALIDATION
                assert state.seconds_left == pytest.approx(batches, rel=0.01)
        state = child.send("validating", {"epoch": epoch})
        assert state.stage == VALIDATING and state.step == 40
        state = child.send("epoch", {"loss": 0.1}, after=VALIDATION)
        assert state.validation_seconds == pytest.approx(VALIDATION)
        assert state.stage == TRAINING and state.validated == epoch
        assert (state.epoch, state.step) == ((2, 0) if epoch == 1 else (2, 40))
    assert max(errors) < 0.01
    state = child.send("saving", after=0.5)
    assert state.status == "saving" and state.seconds_left is None


def test_the_progress_callback_names_the_validation_and_the_end_of_fit(tiny_data):
    from mnist_core.training.trainer import train

    events = []
    progress = ProgressCallback(
        on_begin=lambda epochs, steps: events.append(("begin", epochs, steps)),
        on_batch=lambda epoch, step, steps, logs: events.append(("batch", epoch, step)),
        on_validate=lambda epoch: events.append(("validate", epoch)),
        on_epoch=lambda epoch, epochs, logs: events.append(("epoch", epoch)),
        on_end=lambda: events.append(("end",)))
    # 64 images in batches of 16: 4 batches an epoch, reported one by one.
    train("tutorial", data=tiny_data, epochs=2, batch_size=16, callbacks=[progress])
    batches = [("batch", e, s) for e in (1, 2) for s in (1, 2, 3, 4)]
    assert events == [("begin", 2, 4), *batches[:4], ("validate", 1), ("epoch", 1),
                      *batches[4:], ("validate", 2), ("epoch", 2), ("end",)]
