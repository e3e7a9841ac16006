"""What the live training view costs the training: the same short training with and without its
callbacks (`BatchCurve`, `EpochSnapshot` with a drawing to read), in one process, same run.

    .venv/bin/python bench/live_view.py [--images 6000] [--epochs 3] [--batch-size 64]
                                        [--repeats 3]

Both arms run `mnist_core.training.trainer.train` with a `ProgressCallback` feeding the worker's own
thinned batch events, as the training process does; the live arm adds the two callbacks, whose
events are serialised to JSON as the worker would send them. Runs alternate (reference, live,
reference, live, ...) so the machine's drift hits both, and the minimum of each is compared.
Timed from the first batch to the end of the last epoch (a callback placed first), so what
`train()` does around `fit` (preparing arrays) is left out.
"""

import argparse
import io
import json
import sys
import time
from pathlib import Path

import keras
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(callback, spent):
    """Adds the seconds `callback`'s hooks take to `spent[0]`: the overhead itself, which
    the machine's noise cannot hide the way it hides a small difference of two trainings."""
    for name in ("on_train_begin", "on_epoch_begin", "on_train_batch_end", "on_epoch_end"):
        hook = getattr(callback, name)

        def wrapper(*args, hook=hook, **kwargs):
            started = time.perf_counter()
            hook(*args, **kwargs)
            spent[0] += time.perf_counter() - started

        setattr(callback, name, wrapper)
    return callback


class FitClock(keras.callbacks.Callback):
    """Seconds from the start of training to its end, validation included."""

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_train_end(self, logs=None):
        self.seconds = time.perf_counter() - self.started


class Sink:
    """The worker's event writer, writing into memory: the JSON cost is paid, nothing is sent."""

    def __init__(self):
        self.out, self.lines, self.bytes = io.StringIO(), 0, 0

    def send(self, kind, payload=None):
        line = json.dumps([kind, payload]) + "\n"
        self.out.write(line)
        self.lines, self.bytes = self.lines + 1, self.bytes + len(line)


def one_training(data, args, live):
    from mnist_core.jobs.batch_curve import BatchCurve
    from mnist_core.training.callbacks import ProgressCallback
    from mnist_core.jobs.epoch_snapshot import EpochSnapshot, grid_indices
    from mnist_core.jobs.worker import BATCH_EVENTS_PER_SECOND
    from mnist_core.training.trainer import train

    sink, last, spent = Sink(), [0.0], [0.0]

    def batch(epoch, step, steps, logs):  # the worker's thinning (jobs.worker.Events.batch)
        now = time.monotonic()
        if step != steps and now - last[0] < 1 / BATCH_EVENTS_PER_SECOND:
            return
        last[0] = now
        sink.send("batch", {"epoch": epoch, "step": step, "steps": steps, "running": logs})

    clock = FitClock()
    callbacks = [clock, ProgressCallback(on_batch=batch,
                                  on_epoch=lambda e, n, logs: sink.send("epoch", logs))]
    if live:
        (_, _), (x_test, y_test) = data
        chosen = grid_indices(y_test)
        drawing = x_test[0].astype(np.float32) / 255
        callbacks += [timed(BatchCurve(lambda point: sink.send("curve", point)), spent),
                      timed(EpochSnapshot(x_test[chosen], y_test[chosen], sink.send,
                                          lambda: drawing), spent)]
    result = train("tutorial", data=data, epochs=args.epochs, batch_size=args.batch_size,
                   limit=args.images, callbacks=callbacks)
    sink.spent = spent[0]
    return clock.seconds, result.test_accuracy, sink


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=6_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from mnist_core.data.mnist import load_data

    (x_train, y_train), (x_test, y_test) = load_data()
    # `train()` alone: the drawn-set score (`train_and_score`) would be most of a short run.
    data = (x_train, y_train), (x_test, y_test)
    one_training(data, args, live=True)  # warm-up: imports, first traces
    times, shares = {False: [], True: []}, []
    for _ in range(args.repeats):
        for live in (False, True):
            seconds, accuracy, sink = one_training(data, args, live)
            times[live].append(seconds)
            inside = f", {sink.spent:.3f} s inside the live callbacks" if live else ""
            shares += [sink.spent / seconds] if live else []
            print(f"  {'live     ' if live else 'reference'} {seconds:6.2f} s  test acc. "
                  f"{accuracy:.4f}  events {sink.lines} lines, {sink.bytes / 1024:.1f} KiB"
                  f"{inside}")
    reference, live = min(times[False]), min(times[True])
    print(f"tutorial recipe, {args.images} images x {args.epochs} epochs, batch "
          f"{args.batch_size}, min of {args.repeats}:")
    print(f"  reference (progress only) {reference:.2f} s; with the live view's callbacks "
          f"{live:.2f} s; ratio {live / reference:.3f}")
    print(f"  time inside the live callbacks / its training's time: {min(shares):.4f} to "
          f"{max(shares):.4f}")


if __name__ == "__main__":
    main()
