"""One background training at a time, in a child process, watched through snapshots.

The app's Train view drives this. Training runs in its own process, started from a thread of the
server, so it goes on while a visitor draws, switches view or reloads the page, and every page
asks `snapshot()` where it stands. A process rather than a thread because the server's own
housekeeping is not thread-safe for Keras: Streamlit calls `keras.backend.clear_session()` after
every script run, which resets Keras' global state under a training thread (two layers then get
the same name and the build fails). A process also runs at a lower priority, so drawing stays
quick while a model trains, and gives its memory back when it ends. Two cores cannot train two
models at once usefully, so a second `start()` while one runs is refused, not queued.
"""

import copy
import dataclasses
import datetime
import multiprocessing
import os
import queue
import threading
import time
import traceback
from pathlib import Path

from mnist_core.errors import MnistError, TrainingCancelled

IDLE, LOADING, RUNNING, SAVING, DONE, FAILED, CANCELLED = (
    "idle", "loading", "running", "saving", "done", "failed", "cancelled")
ACTIVE = (LOADING, RUNNING, SAVING)
CHILD_NICE = 5
"""The training process yields the CPU to the server, so a stroke is answered at once."""
KILL_AFTER_S = 15
"""A child that has not stopped this long after Cancel is terminated."""


@dataclasses.dataclass
class JobState:
    """Where the current (or last) training stands; `snapshot()` hands out copies.

    Attributes:
        status: one of idle, loading, running, saving, done, failed, cancelled.
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
    """

    status: str = IDLE
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

    @property
    def active(self):
        return self.status in ACTIVE

    @property
    def fraction(self):
        """Share of all batches of all epochs done, in [0, 1]."""
        if not self.epochs or not self.steps:
            return 0.0
        return min(1.0, ((self.epoch - 1) * self.steps + self.step) / (self.epochs * self.steps))


class TrainingJobs:
    """Runs at most one training at a time in a background thread, and saves what it trains.

    Args:
        models_dir: where finished models are saved (`RECIPE-YYYYmmdd-HHMMSS.keras` + `.json`).
        load_data: module-level function returning MNIST arrays, called in the child process
            (`mnist_core.data.load_data` by default; it must be picklable by reference).
        nice: how much lower the child's CPU priority is (0 to 19).

    Example:

    ```python
    jobs = TrainingJobs("models")
    jobs.start(recipe="tutorial", epochs=1, batch_size=64, limit=5000)
    while jobs.snapshot().active:
        time.sleep(1)
    ```
    """

    def __init__(self, models_dir, load_data=None, nice=CHILD_NICE):
        self.models_dir = Path(models_dir)
        self._load_data, self._nice = load_data, nice
        self._lock = threading.Lock()
        self._state = JobState()
        self._cancel = threading.Event()
        self._thread = None

    def snapshot(self):
        """A copy of the current `JobState`, safe to read while training goes on."""
        with self._lock:
            return copy.deepcopy(self._state)

    def start(self, recipe="tutorial", epochs=None, batch_size=None, limit=None, seed=None):
        """Starts a training in the background.

        Returns:
            True if it started; False if another training is still running.

        Raises:
            MnistError: a setting is out of range (checked before anything starts).
        """
        from mnist_core.constants import DEFAULT_SEED
        from mnist_core.recipes import get_recipe
        from mnist_core.training import check_settings

        chosen = get_recipe(recipe)
        settings = {"recipe": recipe, "epochs": epochs or chosen.epochs,
                    "batch_size": batch_size or chosen.batch_size, "limit": limit,
                    "seed": DEFAULT_SEED if seed is None else seed}
        check_settings(settings["epochs"], settings["batch_size"], limit)
        with self._lock:
            if self._state.active:
                return False
            self._cancel = threading.Event()
            self._state = JobState(status=LOADING, settings=settings, epochs=settings["epochs"],
                                   started=time.time(), job_id=self._state.job_id + 1)
            self._thread = threading.Thread(target=self._run, args=(settings, self._cancel),
                                            name="mnist-training", daemon=True)
            self._thread.start()
        return True

    def cancel(self):
        """Asks the running training to stop after its current batch; nothing is saved."""
        self._cancel.set()

    def wait(self, timeout=None):
        """Blocks until the background thread ends (for tests and scripts); returns the state."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.snapshot()

    def _update(self, **changes):
        with self._lock:
            for key, value in changes.items():
                setattr(self._state, key, value)

    def _apply(self, kind, payload):
        """Folds one event from the child into the state; True once the job has ended."""
        if kind == "begin":
            self._update(status=RUNNING, epochs=payload["epochs"], steps=payload["steps"] or 0,
                         epoch=1)
        elif kind == "batch":
            self._update(**payload)
        elif kind == "epoch":
            with self._lock:
                for key, value in payload.items():
                    self._state.history.setdefault(key, []).append(value)
        elif kind == "saving":
            self._update(status=SAVING)
        elif kind == "done":
            self._update(status=DONE, finished=time.time(), **payload)
        elif kind in (CANCELLED, FAILED):
            self._update(status=kind, message=payload, finished=time.time())
        return kind in ("done", CANCELLED, FAILED)

    def _run(self, settings, cancel):
        """Server-side thread: starts the child, relays its events, enforces cancel."""
        context = multiprocessing.get_context("spawn")  # a clean interpreter, no forked TF state
        events, stop = context.Queue(), context.Event()
        child = context.Process(target=_child, name="mnist-training", daemon=True,
                                args=(settings, str(self.models_dir), self._load_data,
                                      self._nice, events, stop))
        try:
            child.start()
            ended, asked = False, None
            while not ended:
                if cancel.is_set() and asked is None:
                    stop.set()
                    asked = time.time()
                if asked and time.time() - asked > KILL_AFTER_S and child.is_alive():
                    child.terminate()  # e.g. still importing TensorFlow; nothing was written
                try:
                    ended = self._apply(*events.get(timeout=0.1))
                except queue.Empty:
                    if not child.is_alive():
                        code = child.exitcode
                        if asked:
                            self._apply(CANCELLED, "Training was cancelled; nothing was saved.")
                        else:
                            self._apply(FAILED, f"The training process stopped unexpectedly "
                                                f"(exit code {code}, perhaps out of memory); "
                                                "nothing was saved, and you can try again.")
                        ended = True
        except Exception as error:  # the server must stay up; the log keeps the details
            traceback.print_exc()
            self._apply(FAILED, f"Training could not run ({type(error).__name__}: "
                                f"{str(error)[:200]}); the app still works, try again.")
        finally:
            child.join(5)
            if child.is_alive():
                child.kill()
            events.close()


def _child(settings, models_dir, load_data, nice, events, stop):
    """The training process: trains, saves, and reports everything as `(kind, payload)` events."""
    from mnist_core import storage
    from mnist_core.callbacks import ProgressCallback
    from mnist_core.training import train

    if nice:
        os.nice(nice)
    if load_data is None:
        from mnist_core.data import load_data
    try:
        data = load_data()
        if stop.is_set():
            raise TrainingCancelled("Training was cancelled; nothing was saved.")
        progress = ProgressCallback(
            on_begin=lambda epochs, steps: events.put(("begin", {"epochs": epochs, "steps": steps})),
            on_batch=lambda epoch, step, steps, logs: events.put(("batch", {
                "epoch": epoch, "step": step, "steps": steps or 0,
                "running": {k: logs[k] for k in ("loss", "accuracy") if k in logs}})),
            on_epoch=lambda epoch, epochs, logs: events.put(("epoch", logs)))
        result = train(settings["recipe"], data=data, epochs=settings["epochs"],
                       batch_size=settings["batch_size"], limit=settings["limit"],
                       seed=settings["seed"], callbacks=[progress], cancel_event=stop)
        events.put(("saving", None))
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = Path(models_dir) / f"{settings['recipe']}-{stamp}.keras"
        storage.save_model(result.model, path, result.metadata)
        events.put(("done", {"test_accuracy": result.test_accuracy, "model_path": str(path)}))
    except TrainingCancelled as stopped:
        events.put((CANCELLED, str(stopped)))
    except MnistError as error:
        events.put((FAILED, str(error)))
    except Exception as error:
        traceback.print_exc()
        events.put((FAILED, f"Training failed unexpectedly ({type(error).__name__}: "
                            f"{str(error)[:200]}); the app still works, try again."))
    finally:
        events.close()
        events.join_thread()  # make sure the last event is delivered before the process ends
