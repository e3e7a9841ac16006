"""What a training job's snapshot says: its status, its stage, progress, owner and the time left."""

import dataclasses

IDLE, LOADING, RUNNING, SAVING, DONE, FAILED, CANCELLED = (
    "idle", "loading", "running", "saving", "done", "failed", "cancelled")
ACTIVE = (LOADING, RUNNING, SAVING)
PREPARING, TRAINING, VALIDATING = "preparing", "training", "validating"
"""The stages of `running`: building and compiling the model until the first batches are done
(the first call traces the training step, seconds on a busy CPU), the batches, and each epoch's
pass over the validation images."""
MAX_CURVE_POINTS = 200
"""Points of the live batch curve per training: the page redraws it every second, on every
watching page, so it must stay small however long the training. Here, not beside the Keras
callback that draws it (`batch_curve`), so the server's side reads it without importing Keras."""


@dataclasses.dataclass
class JobState:
    """Where the current (or last) training stands; `snapshot()` hands out copies.

    Attributes:
        status: one of idle, loading, running, saving, done, failed, cancelled. `loading` is
            the setup (the process starting, MNIST loading); `saving` the end (the model scored
            on the test and drawn sets, then saved).
        stage: while `running`: `preparing` (the model built and its first step compiled,
            until the first batches report), `training` or `validating`.
        settings: recipe, epochs, batch_size, limit, seed of this job.
        epoch, epochs: epoch in progress (from 1) and how many in all.
        step, steps: batches done in this epoch, and batches per epoch.
        history: per finished epoch, lists of loss, accuracy, val_loss, val_accuracy.
        running: the current epoch's running loss and accuracy.
        test_accuracy: set when done.
        model_path: the saved model, set when done.
        message: one sentence for a failure or a cancel.
        started, finished: `time.time()` stamps.
        job_id: increases with every start, so a page can tell jobs apart.
        owner: the token of whoever started it (only they may cancel it); never show it.
        seconds_left: estimated seconds of training left (`estimate_seconds_left`; None
            until two batch reports were measured, and outside `running`).
        pid: the training process's id, once it started (for logs and tests).
        trained_since, progressed: when the first batch report came (the compile before it
            is setup, not a batch), when the last one came.
        steps_at_first: batches of the whole training done at that first report.
        validation_seconds: how long the last epoch's validation took (None before one ended).
        validated: epochs whose validation has ended.
        curve: the smoothed loss and accuracy batch by batch, at most `MAX_CURVE_POINTS`
            points `{"x": epochs done, "loss", "accuracy"}` (`mnist_core.jobs.batch_curve`).
        grid: the fixed test digits of the live view, `{"images": base64 of N*784 grey
            levels, "labels": [N digits]}` (`mnist_core.jobs.epoch_snapshot`), once training began.
        latest: what the last finished epoch's model made of them: `{"epoch", "answers",
            "filters", "drawing"}`; `drawing` is the owner's, for the owner's page only.
    """

    status: str = IDLE
    stage: str = ""
    settings: dict = dataclasses.field(default_factory=dict)
    epoch: int = 0
    epochs: int = 0
    step: int = 0
    steps: int = 0
    history: dict = dataclasses.field(default_factory=dict)
    running: dict = dataclasses.field(default_factory=dict)
    test_accuracy: float = None
    model_path: str = None
    message: str = ""
    started: float = None
    finished: float = None
    job_id: int = 0
    owner: str = None
    seconds_left: float = None
    pid: int = None
    trained_since: float = None
    progressed: float = None
    steps_at_first: int = 0
    validation_seconds: float = None
    validated: int = 0
    curve: list = dataclasses.field(default_factory=list)
    grid: dict = None
    latest: dict = None

    @property
    def active(self):
        return self.status in ACTIVE

    @property
    def steps_done(self):
        return max(0, (self.epoch - 1) * self.steps + self.step) if self.steps else 0

    @property
    def fraction(self):
        """Share of all batches of all epochs done, in [0, 1]."""
        if not self.epochs or not self.steps:
            return 0.0
        return min(1.0, self.steps_done / (self.epochs * self.steps))

    def estimate_seconds_left(self, now):
        """Seconds left at `now`: the batches left at the rate measured since the first batch
        report, plus the validations left at the last one's measured time; None if unknown.

        The setup (loading, compiling, the first call's trace) is left out of the rate: counting
        it as batch time made the first estimates several times too long, then jump.
        """
        done = self.steps_done
        if (self.status != RUNNING or self.trained_since is None or self.progressed is None
                or done <= self.steps_at_first):
            return None
        per_step = (self.progressed - self.trained_since) / (done - self.steps_at_first)
        left = (self.epochs * self.steps - done) * per_step - (now - self.progressed)
        if self.validation_seconds is not None:
            left += (self.epochs - self.validated) * self.validation_seconds
        return max(0.0, left)


def epochs_done(epoch, step, steps):
    """Where a batch stands on the live charts' axis, in epochs: batch `step` of `steps` in
    epoch `epoch` (from 1) is `epoch - 1 + step / steps`, so epoch 2's end is 2.0, as the
    per-epoch points are drawn.

    Args:
        epoch: the epoch in progress, from 1.
        step: batches done in it, 0 to `steps`.
        steps: batches per epoch (0 when unknown: the epoch's start is given).

    Returns:
        A float >= 0.
    """
    return epoch - 1 + (min(step, steps) / steps if steps else 0.0)
