"""Keras callbacks through which a caller watches training and can stop it.

Everything that happens during training (live charts, progress bars, cancel) is a callback,
not code woven into a loop, so the app, the command line and the tests share one training path.
"""

import keras


class ProgressCallback(keras.callbacks.Callback):
    """Reports per-batch and per-epoch metrics to plain functions.

    Args:
        on_batch: `on_batch(epoch, step, steps, logs)`, after each batch (or each group of
            `steps_per_execution` batches); `epoch` counts from 1, `step` is the number of
            batches done in this epoch, `logs` holds the running `loss` and `accuracy`.
        on_epoch: `on_epoch(epoch, epochs, logs)` after each epoch; `logs` holds `loss`,
            `accuracy`, `val_loss`, `val_accuracy`.
        on_begin: `on_begin(epochs, steps)` once, before the first batch (and before the
            first call compiles the training step: the setup is not over yet).
        on_validate: `on_validate(epoch)` when an epoch's batches are done and its validation
            pass begins (Keras runs it inside `fit`, before `on_epoch`).
        on_end: `on_end()` once, when `fit` returns (a stopped training included).

    Example:

    ```python
    seen = []
    model.fit(x, y, callbacks=[ProgressCallback(on_epoch=lambda e, n, logs: seen.append(logs))])
    ```
    """

    def __init__(self, on_batch=None, on_epoch=None, on_begin=None, on_validate=None,
                 on_end=None):
        super().__init__()
        self._on_batch, self._on_epoch, self._on_begin = on_batch, on_epoch, on_begin
        self._on_validate, self._on_end = on_validate, on_end
        self._epoch = 0

    def on_train_begin(self, logs=None):
        if self._on_begin:
            self._on_begin(self.params.get("epochs"), self.params.get("steps"))

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        if self._on_batch:
            steps = self.params.get("steps")
            # With steps_per_execution, Keras reports the group's last index, which can run past
            # the end of a short epoch.
            done = min(batch + 1, steps) if steps else batch + 1
            self._on_batch(self._epoch, done, steps, _floats(logs))

    def on_test_begin(self, logs=None):
        # Called here only by fit's validation: this callback is given to fit alone.
        if self._on_validate:
            self._on_validate(self._epoch)

    def on_epoch_end(self, epoch, logs=None):
        if self._on_epoch:
            self._on_epoch(epoch + 1, self.params.get("epochs"), _floats(logs))

    def on_train_end(self, logs=None):
        if self._on_end:
            self._on_end()


class StopOnEvent(keras.callbacks.Callback):
    """Stops training at the next batch once `event` is set (Keras checks after every batch).

    Args:
        event: a `threading.Event` another thread sets to ask for a stop.
    """

    def __init__(self, event):
        super().__init__()
        self.event = event

    def on_train_batch_end(self, batch, logs=None):
        if self.event.is_set():
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.on_train_batch_end(None)


class EpochProgbar(keras.callbacks.ProgbarLogger):
    """Keras' own progress bar (`fit(verbose=1)`, the command line's), its count capped at the
    epoch's batches: with `steps_per_execution`, Keras reports a group's last index, and a
    469-batch epoch in groups of 29 ended on "493/469". Given to `fit`, it stands in for the
    bar Keras would add."""

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(min(batch, self.target - 1) if self.target else batch, logs)


def _floats(logs):
    return {key: float(value) for key, value in (logs or {}).items()}
