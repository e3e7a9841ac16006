"""One background training at a time, watched through snapshots: what the app's Train view drives.

Training runs in a thread of the server process, so it goes on while a visitor draws, switches
view or reloads the page; every page asks `snapshot()` for where it stands. Two cores cannot train
two models at once usefully, so a second `start()` while one runs is refused, not queued.
"""

import copy
import dataclasses
import datetime
import threading
import time
import traceback
from pathlib import Path

from mnist_core.errors import MnistError, TrainingCancelled

IDLE, LOADING, RUNNING, SAVING, DONE, FAILED, CANCELLED = (
    "idle", "loading", "running", "saving", "done", "failed", "cancelled")
ACTIVE = (LOADING, RUNNING, SAVING)


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
        load_data: function returning MNIST arrays (`mnist_core.data.load_data` by default).
        train: the training function (`mnist_core.training.train` by default).

    Example:

    ```python
    jobs = TrainingJobs("models")
    jobs.start(recipe="tutorial", epochs=1, batch_size=64, limit=5000)
    while jobs.snapshot().active:
        time.sleep(1)
    ```
    """

    def __init__(self, models_dir, load_data=None, train=None):
        self.models_dir = Path(models_dir)
        self._load_data, self._train = load_data, train
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

    def _on_begin(self, epochs, steps):
        self._update(status=RUNNING, epochs=epochs, steps=steps or 0, epoch=1)

    def _on_batch(self, epoch, step, steps, logs):
        self._update(epoch=epoch, step=step, steps=steps or 0,
                     running={k: logs[k] for k in ("loss", "accuracy") if k in logs})

    def _on_epoch(self, epoch, epochs, logs):
        with self._lock:
            for key, value in logs.items():
                self._state.history.setdefault(key, []).append(value)

    def _run(self, settings, cancel):
        from mnist_core import storage
        from mnist_core.callbacks import ProgressCallback

        load_data = self._load_data
        train = self._train
        if load_data is None:
            from mnist_core.data import load_data
        if train is None:
            from mnist_core.training import train
        try:
            data = load_data()
            if cancel.is_set():
                raise TrainingCancelled("Training was cancelled; nothing was saved.")
            progress = ProgressCallback(on_batch=self._on_batch, on_epoch=self._on_epoch,
                                        on_begin=self._on_begin)
            result = train(settings["recipe"], data=data, epochs=settings["epochs"],
                           batch_size=settings["batch_size"], limit=settings["limit"],
                           seed=settings["seed"], callbacks=[progress], cancel_event=cancel)
            self._update(status=SAVING)
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            path = self.models_dir / f"{settings['recipe']}-{stamp}.keras"
            storage.save_model(result.model, path, result.metadata)
            self._update(status=DONE, test_accuracy=result.test_accuracy, model_path=str(path),
                         finished=time.time())
        except TrainingCancelled as stopped:
            self._update(status=CANCELLED, message=str(stopped), finished=time.time())
        except MnistError as error:
            self._update(status=FAILED, message=str(error), finished=time.time())
        except Exception as error:  # the server must stay up; the log keeps the details
            traceback.print_exc()
            self._update(status=FAILED, finished=time.time(),
                         message=f"Training failed unexpectedly ({type(error).__name__}: "
                                 f"{str(error)[:200]}); the app still works, try again.")
