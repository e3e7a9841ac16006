"""The training process: `python -m mnist_core.jobs.worker`, started and watched by
`process.run_child` for `jobs`.

A fresh interpreter running this module only, so it imports what training needs and nothing of
the page (multiprocessing's spawn would import the Streamlit script as the child's `__main__`).

Protocol: events go to the parent as JSON lines `[kind, payload]` on stdout (loaded, begin, batch, curve,
grid, validating, epoch, snapshot, saving, done, cancelled, failed); the parent writes `cancel` on
stdin to stop it, and `drawing BASE64` or `drawing none` for the one drawing to read at each
epoch's end (`mnist_core.jobs.epoch_snapshot`; a line longer than a drawing is dropped unread). End
of stdin means the parent (the server) is gone, even killed with SIGKILL: the worker then exits at
once and saves nothing. Linux also sends it SIGTERM when the parent's thread that started it dies
(`PR_SET_PDEATHSIG`), a second barrier should a stray copy of the pipe keep stdin open.

The worker holds the models folder's lock (`models_folder.FolderLock`) from its first moment to
its exit, so at most one training writes into a folder, whichever server process started it.
"""

import argparse
import datetime
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from mnist_core import models_folder
from mnist_core.jobs.drawing_command import (DRAWING_COMMAND, JOB_COMMAND, MAX_COMMAND_CHARS,
                                            decode_drawing)
from mnist_core.errors import DataUnavailableError, MnistError, TrainingCancelled

EXIT_ORPHANED = 3
"""Exit status when the parent went away: nothing was saved."""
EXIT_BUSY = 4
"""Exit status when another process holds the models folder's lock."""
BATCH_EVENTS_PER_SECOND = 20
"""Batch events are thinned to this rate (the last of an epoch always goes): a page polls once
a second, and a line per batch of one image would keep the server parsing JSON."""
PR_SET_PDEATHSIG = 1
BUSY = "Another training is already using this models folder; try again when it has finished."
CANCELLED = "Training was cancelled; nothing was saved."
NO_DATA = ("MNIST could not be downloaded for this training, so nothing was trained; try again "
           "in a few minutes.")
"""What the page says when the data is unreachable; the reasons (sources tried, the `--data`
advice meant for the command line) go to the server's log."""


def die_with_parent(parent_pid):
    """Asks Linux to send SIGTERM when the parent dies; exits at once if it already has.

    A no-op where `prctl` is missing (not Linux): end of stdin still stops the worker.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if parent_pid and os.getppid() != parent_pid:  # died before prctl took effect
        os._exit(EXIT_ORPHANED)


class Events:
    """Writes `[kind, payload]` JSON lines on a private copy of stdout.

    File descriptor 1 is then pointed at stderr, so whatever a library prints (TensorFlow's C++
    code included) lands in the server's log and can never be mistaken for an event.
    """

    def __init__(self):
        self._out = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        self._last_batch = 0.0

    def send(self, kind, payload=None):
        self._out.write(json.dumps([kind, payload]) + "\n")
        self._out.flush()

    def batch(self, epoch, step, steps, logs):
        now = time.monotonic()
        if step != steps and now - self._last_batch < 1 / BATCH_EVENTS_PER_SECOND:
            return
        self._last_batch = now
        self.send("batch", {"epoch": epoch, "step": step, "steps": steps or 0,
                            "running": {k: logs[k] for k in ("loss", "accuracy") if k in logs}})


class Drawing:
    """The latest drawing the parent asked about (`drawing` commands), for `EpochSnapshot`."""

    def __init__(self):
        self.image = None  # replaced whole, never changed in place: no lock needed

    def __call__(self):
        return self.image

    def command(self, argument):
        """`none` forgets the drawing; anything that is not a drawing is ignored."""
        if argument == "none":
            self.image = None
        elif (image := decode_drawing(argument)) is not None:
            self.image = image


def listen(fd, stop, drawing=None, job=None):
    """Reads the parent's commands: `cancel` sets `stop`, `drawing ...` goes to `drawing`,
    `job ...` to `job` (a ready spare's one job, `spare_worker`); end of input exits the
    process now.

    Reads the raw descriptor, not `sys.stdin`: a thread blocked inside a buffered reader would
    make the interpreter's shutdown abort. A line longer than any command is dropped, so
    memory stays bounded whatever arrives.
    """
    pending, overlong = b"", False
    while chunk := os.read(fd, 4096):
        *lines, pending = (pending + chunk).split(b"\n")
        if overlong and lines:  # the rest of a dropped line
            lines, overlong = lines[1:], False
        if len(pending) > MAX_COMMAND_CHARS:
            pending, overlong = b"", True
        for line in lines:
            word, _, argument = line.strip().decode("ascii", "replace").partition(" ")
            if word == "cancel":
                stop.set()
            elif word == DRAWING_COMMAND and drawing is not None and len(line) <= MAX_COMMAND_CHARS:
                drawing.command(argument)
            elif word == JOB_COMMAND and job is not None:
                job(argument)
    os._exit(EXIT_ORPHANED)  # the server is gone: no one would list what we would save


def load_function(spec):
    """`module:function` -> the function (how tests hand in tiny data); None -> MNIST's loader."""
    if not spec:
        from mnist_core.data.mnist import load_data

        return load_data
    import importlib

    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def train_and_save(settings, folder, load_data, stop, events, drawing=None, data=None,
                   test_set=None, ready=None):
    """Loads the data (unless a ready spare has: `data`, `test_set` its test split as the
    network takes it, and `ready` its traced models), trains, saves beside a visitor mark and
    prunes old visitor models."""
    data = load_data() if data is None else data
    if stop.is_set():
        raise TrainingCancelled(CANCELLED)
    from mnist_core import storage
    from mnist_core.jobs.batch_curve import BatchCurve
    from mnist_core.training.callbacks import ProgressCallback
    from mnist_core.jobs.epoch_snapshot import EpochSnapshot, grid_indices
    from mnist_core.jobs.scored_training import train_and_score

    # Data and TensorFlow are here (at once in a spare): the page's setup step 2/2 begins.
    events.send("loaded")

    # `saving` goes as fit returns: the scoring on the drawn set and the test report take
    # seconds after the last epoch, and the page names that step rather than show "0 s left".
    progress = ProgressCallback(
        on_begin=lambda epochs, steps: events.send("begin", {"epochs": epochs, "steps": steps}),
        on_batch=events.batch,
        on_validate=lambda epoch: events.send("validating", {"epoch": epoch}),
        on_epoch=lambda epoch, epochs, logs: events.send("epoch", logs),
        on_end=lambda: None if stop.is_set() else events.send("saving"))
    (_, _), (x_test, y_test) = data
    chosen = grid_indices(y_test)
    live = [BatchCurve(lambda point: events.send("curve", point)),
            EpochSnapshot(x_test[chosen], y_test[chosen], events.send, drawing)]
    extra = None
    if settings.get("with_drawings"):  # the visitors' drawings of $MNIST_DRAWINGS_DB
        from mnist_core.drawings.training_mix import drawings_extra

        extra = drawings_extra()
    result = train_and_score(settings["recipe"], data=data, drawings=extra,
                             epochs=settings["epochs"], batch_size=settings["batch_size"],
                             limit=settings["limit"], seed=settings["seed"],
                             callbacks=[progress, *live], cancel_event=stop, test_set=test_set,
                             ready=ready)
    if stop.is_set():
        raise TrainingCancelled(CANCELLED)
    report = _test_report(result.model, x_test, y_test)
    if stop.is_set():  # a cancel while the report was read: nothing is saved yet
        raise TrainingCancelled(CANCELLED)
    path = _new_model_path(folder, settings["recipe"])
    metadata = {**result.metadata, models_folder.VISITOR_MARK: True}
    try:
        storage.save_model(result.model, path, metadata)
    except OSError:
        raise MnistError("The model could not be saved: the models folder is full or not "
                         "writable, and nothing was kept; the deployer must free space.") from None
    if report is not None:  # a few milliseconds; a folder that takes none costs a log line
        from mnist_core.evaluation.report_store import save_report

        save_report(path, report, metadata.get("drawn_accuracy"), storage.file_digest(path))
    models_folder.prune_visitor_models(folder, settings["keep"])
    events.send("done", {"test_accuracy": result.test_accuracy, "model_path": str(path)})


def _test_report(model, x_test, y_test):
    """The new model's test-set report, for the page's Explore (`report_store`): the model and
    the test images are at hand here (~1 s for the tutorial's CNN), where the page would spend
    longer on its first visit. Read before the model is saved, so a cancel meanwhile saves
    nothing; a failure here costs the report only (logged), never the model."""
    from mnist_core.evaluation.test_report import report_of
    from mnist_core.reading.inference import Predictor

    try:
        return report_of(Predictor(model, gate=None).probabilities, x_test, y_test)  # no gate
    except Exception:  # noqa: BLE001 - the model matters, its report does not
        logging.getLogger(__name__).exception("The new model's test-set report failed")
        return None


def _new_model_path(folder, recipe):
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path, n = Path(folder) / f"{recipe}-{stamp}.keras", 1
    while path.exists() or path.with_suffix(".json").exists():
        n += 1
        path = Path(folder) / f"{recipe}-{stamp}-{n}.keras"
    return path


def child_arguments(prog, argv, *options):
    """Parses a training process's command line: the options both kinds take (`--models`,
    `--load-data`, `--nice`, `--parent`), plus `options`, each `(flag, keywords)`."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--models", required=True, help="the models folder")
    for flag, keywords in options:
        parser.add_argument(flag, **keywords)
    parser.add_argument("--load-data", default=None, metavar="MODULE:FUNCTION")
    parser.add_argument("--nice", type=int, default=0)
    parser.add_argument("--parent", type=int, default=0, help="the parent's process id")
    return parser.parse_args(argv)


def start_listening(parent, job=None):
    """Ties this process to its parent (`die_with_parent`) and starts reading its commands
    (`listen`) on a thread; returns the process's `(Events, stop, Drawing)`."""
    die_with_parent(parent)
    stop, drawing = threading.Event(), Drawing()
    threading.Thread(target=listen, args=(sys.stdin.fileno(), stop, drawing, job), daemon=True,
                     name="parent-commands").start()
    return Events(), stop, drawing


def main(argv=None):
    """Runs one training for `jobs`; returns the exit status (0 once an outcome was reported)."""
    args = child_arguments("python -m mnist_core.jobs.worker", argv, ("--settings", {
        "required": True, "help": "JSON: recipe, epochs, batch_size, limit, seed, keep, "
                                  "with_drawings"}))
    events, stop, drawing = start_listening(args.parent)
    return run_job(args.models, json.loads(args.settings), load_function(args.load_data),
                   events, stop, drawing, nice=args.nice)


def run_job(models, settings, load_data, events, stop, drawing, nice=0, **ready):
    """Takes the models folder's lock, then trains and saves, reporting the outcome as one
    event; returns the exit status (0 once an outcome was reported).

    Args:
        models: the models folder.
        settings: the worker's settings (recipe, epochs, ..., keep).
        load_data: the function that gives the MNIST arrays.
        events, stop, drawing: the process's `Events`, cancel flag and `Drawing`.
        nice: how much to lower the CPU priority first (0: not at all).
        **ready: `data`, `test_set` and `ready`, when a spare made them beforehand.
    """
    lock = models_folder.FolderLock(models)
    try:
        if not lock.acquire():
            events.send("failed", BUSY)
            return EXIT_BUSY
        if nice:
            os.nice(nice)  # the server answers strokes first
        train_and_save(settings, models, load_data, stop, events, drawing, **ready)
    except TrainingCancelled as stopped:
        events.send("cancelled", str(stopped))
    except DataUnavailableError as error:
        print(f"MNIST is unavailable: {error}", file=sys.stderr, flush=True)
        events.send("no_data")
        events.send("failed", NO_DATA)
    except MnistError as error:
        events.send("failed", str(error))
    except Exception as error:  # the log keeps the traceback; the page gets one sentence
        traceback.print_exc()
        events.send("failed", f"Training failed unexpectedly ({type(error).__name__}: "
                              f"{str(error)[:200]}); the app still works, try again.")
    finally:
        lock.release()
    return 0


if __name__ == "__main__":
    from mnist_core.lean_process import freeze_before_exit, leave_out_pandas

    leave_out_pandas()  # before Keras is imported: ~0.4 s and ~64 MB less
    sys.exit(freeze_before_exit(main()))
