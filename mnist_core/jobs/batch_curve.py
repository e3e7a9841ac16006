"""The loss and accuracy batch by batch, smoothed and thinned to a bounded number of points.

Keras reports, after each batch (or each group of `steps_per_execution` batches), the running
mean of the loss and accuracy since the epoch began. That mean hides what the last batches did,
so `BatchCurve` takes the mean of the batches between two reports back out of it, smooths it
exponentially, and keeps at most `max_points` points for the whole training, evenly spread over
its batches, whatever the epochs and the batch size (batch 8 for 50 epochs is 375,000 batches).
"""

import keras

from mnist_core.jobs.state import MAX_CURVE_POINTS, epochs_done
SMOOTHING_SPACINGS = 2.0
"""The exponential smoothing's time constant, in spacings between two kept points."""
METRICS = ("loss", "accuracy")


class BatchCurve(keras.callbacks.Callback):
    """Sends the smoothed per-batch loss and accuracy, at most `max_points` times per training.

    Costs a few arithmetic operations per report: Keras has already turned the logs into
    Python floats for all callbacks (`CallbackList` does it once), so this adds no device sync.

    Args:
        send: `send(point)` with `point = {"x": epochs done (a float: 1.5 is the middle of the
            second epoch), "loss": ..., "accuracy": ...}`, both smoothed.
        max_points: most points sent in one training.

    Example:

    ```python
    points = []
    model.fit(x, y, epochs=3, callbacks=[BatchCurve(points.append)])
    assert len(points) <= MAX_CURVE_POINTS
    ```
    """

    def __init__(self, send, max_points=MAX_CURVE_POINTS):
        super().__init__()
        self._send, self._max_points = send, max_points
        self._epoch, self._steps, self._spacing = 0, None, 1.0
        self._smoothed, self._sent, self._next = {}, 0, 0.0
        self._done, self._means = 0, {}

    def on_train_begin(self, logs=None):
        epochs, self._steps = self.params.get("epochs") or 1, self.params.get("steps")
        total = epochs * (self._steps or 0)
        self._spacing = max(1.0, total / self._max_points)
        self._next, self._sent, self._smoothed = self._spacing, 0, {}

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._done, self._means = epoch, 0, {}

    def on_train_batch_end(self, batch, logs=None):
        if not self._steps:  # an unknown epoch length: no even spreading, so no curve
            return
        done = min(batch + 1, self._steps)
        fresh = done - self._done
        if fresh <= 0:
            return
        weight = 1.0 - (1.0 - 1.0 / (SMOOTHING_SPACINGS * self._spacing)) ** fresh
        for key in METRICS:
            if key not in (logs or {}):
                continue
            mean = float(logs[key])
            recent = batch_mean(self._means.get(key, 0.0), self._done, mean, done)
            self._means[key] = mean
            last = self._smoothed.get(key)
            self._smoothed[key] = recent if last is None else last + weight * (recent - last)
        self._done = done
        position = self._epoch * self._steps + done  # batches done in the whole training
        if position >= self._next and self._sent < self._max_points and self._smoothed:
            self._sent += 1
            # One point, however many spacings this report spans.
            self._next = (position // self._spacing + 1) * self._spacing
            self._send({"x": round(epochs_done(self._epoch + 1, done, self._steps), 4),
                        **{key: round(value, 5) for key, value in self._smoothed.items()}})


def batch_mean(mean_before, batches_before, mean_now, batches_now):
    """The mean over batches `batches_before + 1 .. batches_now`, from two running means.

    Args:
        mean_before: running mean over the epoch's first `batches_before` batches (any value
            when `batches_before` is 0).
        batches_before, batches_now: batch counts, `batches_now > batches_before >= 0`.
        mean_now: running mean over the first `batches_now` batches.

    Returns:
        A float. (Keras weighs by images, and only an epoch's last batch may be smaller, so
        this is exact but for that batch.)
    """
    total = mean_now * batches_now - mean_before * batches_before
    return total / (batches_now - batches_before)
