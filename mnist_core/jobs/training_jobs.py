"""One background training at a time, in a child process, watched through snapshots.

The app's Train view drives this. Training runs in its own process, `python -m
mnist_core.jobs.worker` (started and watched by `mnist_core.jobs.process`, which says why a
process), so it goes on while a visitor draws, switches view or reloads the page, and every
page asks `snapshot()` where it stands.

Who may do what: `start()` checks the deployer's limits (`limits`) and that the models
folder has room before anything runs; one training per models folder, even across server
processes (the worker holds the folder's lock); only the visitor whose `owner` token started a
training can cancel it; the server stops it at the deployer's time limit. When the server ends,
however it ends, the worker stops and saves nothing (see `worker`).

What a page shows live is bounded whatever the settings: the batch curve has at most
`MAX_CURVE_POINTS` points, the grid and the filters are those of the latest epoch only, and the
one drawing read at each epoch's end is the owner's latest (`read_drawing()`), checked here and
again in the training process (`mnist_core.jobs.epoch_snapshot`).
"""

import copy
import math
import os
import queue
import threading
import time
from pathlib import Path

from mnist_core import models_folder, settings
import mnist_core.jobs.process as job_process
import mnist_core.jobs.limits as train_limits
from mnist_core.jobs.drawing_command import DRAWING_COMMAND, encode_drawing
from mnist_core.jobs.spare import spare_command
from mnist_core.jobs.spare_keeper import SpareKeeper
from mnist_core.errors import MnistError
from mnist_core.jobs.state import (CANCELLED, DONE, FAILED, LOADING, MAX_CURVE_POINTS, PREPARING,
                                   RUNNING, SAVING, TRAINING, VALIDATING, JobState)

CHILD_NICE = 19
"""The training process yields the CPU to the server, so a stroke is answered at once, and to
a visitor's upload being checked (`untrusted.sandbox_worker.NICE`): on 2 busy cores a hundred
visitors' strokes and one visitor's short check come before one visitor's training
(bench/README.md, "Who yields to whom"). Alone on the machine it trains at full speed."""


def _nice():
    try:
        return settings.get("MNIST_TRAINING_NICE")
    except MnistError:
        return CHILD_NICE


class TrainingJobs:
    """Runs at most one training at a time in a child process, and saves what it trains.

    Args:
        models_dir: where finished models are saved (`RECIPE-YYYYmmdd-HHMMSS.keras` + `.json`).
        load_data: what the child calls for the MNIST arrays: None for
            `mnist_core.data.mnist.load_data`, a `"module:function"` string, or a module-level
            function (passed by its name).
        nice: how much lower the child's CPU priority is (0 to 19); None: the deployer's
            `MNIST_TRAINING_NICE`, or `CHILD_NICE` where that is unusable (the server's log
            says so).
        spare: keep a training process ready (`jobs.spare`): started now and after each
            training, it has imported TensorFlow, loaded MNIST and built and traced each
            recipe's model before Train is pressed, so the first batch comes within ~2 s. It
            holds ~0.8 GB while it waits (docs/settings.md, `MNIST_TRAINING_SPARE`); `close()`
            ends it.

    Creating it removes what an interrupted save left in `models_dir` when no training holds
    the folder.

    Example:

    ```python
    jobs = TrainingJobs("models")
    jobs.start(recipe="tutorial", epochs=1, batch_size=64, limit=5000, owner=token)
    while jobs.snapshot().active:
        time.sleep(1)
    ```
    """

    def __init__(self, models_dir, load_data=None, nice=None, spare=False):
        self.models_dir = Path(models_dir)
        self._load_data, self._nice = load_data, _nice() if nice is None else nice
        self._lock = threading.Lock()
        self._state = JobState()
        self._commands = queue.Queue()
        self._thread = None
        self._no_data_at = None  # time.monotonic() when a training last found MNIST unreachable
        self._drawing = None  # the owner's drawing last passed on (encoded), or None
        self._drawing_due = False  # True while `_drawing` waits to be written to the child
        self._validating_since = None  # time.time() when the running validation began
        self._spare_on = spare
        # Read without the lock: a job's state is replaced whole, and the lock is held here
        # while a spare is taken.
        self._spares = SpareKeeper(self._spare_command, lambda: self._state.active)
        self._clean_if_free()
        self._spares.replenish()

    def _clean_if_free(self):
        """Removes leftovers of an interrupted save, only while no training holds the folder;
        returns False if one does."""
        if not self.models_dir.is_dir():
            return True  # nothing to clean, and no training can hold a folder not yet made
        try:
            with models_folder.locked(self.models_dir) as held:
                if held:
                    models_folder.remove_leftovers(self.models_dir)
                return held
        except OSError:  # a read-only folder: start() says so in one sentence
            return True

    def snapshot(self):
        """A copy of the current `JobState` (with `seconds_left` now), safe to read any time.

        Its `grid`, `latest` and the points of `curve` are shared, not copied: the job replaces
        them whole and never changes them in place, so a reader must not either. Copying them
        deeply took ~2-5 ms a snapshot, and every watching page takes several a second.
        """
        with self._lock:
            state = copy.copy(self._state)
            state.settings, state.running = dict(state.settings), dict(state.running)
            state.history = {key: list(values) for key, values in state.history.items()}
            state.curve = list(state.curve)
        state.seconds_left = state.estimate_seconds_left(time.time())
        return state

    def start(self, recipe="tutorial", epochs=None, batch_size=None, limit=None, seed=None,
              owner=None, with_drawings=False):
        """Starts a training in the background, if the deployer's limits allow it.

        Args:
            recipe, epochs, batch_size, limit, seed: as `training.train` takes them.
            with_drawings: mix the visitors' recorded drawings in (`drawings.training_mix`).
            owner: a token of the visitor starting it; `cancel(owner)` with the same token is
                the only way to cancel it (a job started with none is cancelled by `cancel()`).

        Returns:
            True if it started; False if a training already runs in this models folder (here
            or in another server process).

        Raises:
            MnistError: one sentence: a setting out of range, a recipe or a size over the
                deployer's limits, or a models folder that is full or not writable. Checked
                before anything starts.
        """
        from mnist_core.constants import DEFAULT_SEED
        from mnist_core.training.recipes import get_recipe
        from mnist_core.training.trainer import check_settings

        chosen = get_recipe(recipe)
        settings = {"recipe": recipe, "epochs": epochs or chosen.epochs,
                    "batch_size": batch_size or chosen.batch_size, "limit": limit,
                    "seed": DEFAULT_SEED if seed is None else seed,
                    **({"with_drawings": True} if with_drawings else {})}
        check_settings(settings["epochs"], settings["batch_size"], limit)
        limits = train_limits.current()
        train_limits.check(limits, recipe, settings["epochs"], limit)
        self._check_data_reachable()
        with self._lock:
            if self._state.active:
                return False
            models_folder.check_room(self.models_dir)
            if not self._clean_if_free():
                return False
            self._commands = queue.Queue()
            self._drawing, self._drawing_due = None, False
            self._state = JobState(status=LOADING, settings=settings, epochs=settings["epochs"],
                                   started=time.time(), job_id=self._state.job_id + 1,
                                   owner=owner)
            worker = {**settings, "keep": limits.max_trained_models}
            spare = self._spares.take()
            if spare is not None and spare.take(
                    worker, started=self._started, max_seconds=limits.max_minutes * 60,
                    commands=self._commands, apply=self._apply, due_drawing=self._due_drawing):
                self._thread = spare.thread  # still warming, it is further on than a new one
            else:
                if spare is not None:
                    spare.close()
                self._thread = threading.Thread(
                    target=self._run, args=(worker, limits.max_minutes * 60, self._commands),
                    name="mnist-training", daemon=True)
                self._thread.start()
        return True

    def spare(self):
        """`(pid, ready)` of the training process kept ready, or None (for tests and benches)."""
        return self._spares.state()

    def close(self):
        """Ends the idle spare and starts no other; a running training goes on."""
        self._spares.close()

    def _spare_command(self):
        if not self._spare_on:
            return None
        try:
            limits = train_limits.current()
        except MnistError:  # the Train tab says it; no visitor can train, so nothing to warm
            return None
        if not limits.training_allowed:
            return None
        return spare_command(self.models_dir, limits.recipes, self._nice, self._load_data,
                             os.getpid())

    def _started(self, pid):
        self._update(pid=pid)

    def cancel(self, owner=None):
        """Asks the running training to stop after its current batch; nothing is saved.

        Args:
            owner: the token given to `start()`; any other token is ignored.

        Returns:
            True if the cancel was passed on, False if `owner` does not own an active training.
        """
        with self._lock:
            if not self._state.active or owner != self._state.owner:
                return False
            self._commands.put("cancel")
        return True

    def read_drawing(self, owner, image):
        """Has the running training read `image` with each epoch's model, for its owner only.

        Only the latest drawing is kept: each call replaces the last, and one equal to it
        costs nothing. The answer comes back in `snapshot().latest["drawing"]`.

        Args:
            owner: the token given to `start()`; any other token is ignored.
            image: float array (28, 28) in [0, 1] (what the model sees), or None to stop.

        Returns:
            True if it was passed on; False for another visitor, no active training, the same
            drawing again, or anything that is not such an array.
        """
        try:
            encoded = None if image is None else encode_drawing(image)
        except ValueError:
            return False
        with self._lock:
            if (not self._state.active or owner is None or owner != self._state.owner
                    or encoded == self._drawing):
                return False
            self._drawing, self._drawing_due = encoded, True
        return True

    def _due_drawing(self):
        """The drawing command to write to the child now, or None."""
        with self._lock:
            if not self._drawing_due:
                return None
            self._drawing_due = False
            return f"{DRAWING_COMMAND} {self._drawing or 'none'}\n".encode("ascii")

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

    def _check_data_reachable(self):
        """Refuses a start while MNIST was unreachable for the last training, not long ago.

        Each attempt costs a visitor the whole download chain (~20 s) before failing again;
        after `MNIST_DATA_RETRY_SECONDS` the next start tries once more.
        """
        if self._no_data_at is None:
            return
        wait = settings.get("MNIST_DATA_RETRY_SECONDS") - (time.monotonic() - self._no_data_at)
        if wait > 0:
            raise MnistError(f"MNIST could not be downloaded for the last training; training "
                             f"can start again in about {max(1, math.ceil(wait / 60))} min.")

    def _apply(self, kind, payload):
        """Folds one event from the child into the state; True once the job has ended."""
        now = time.time()
        if kind == "loaded":  # the data is there (a spare had it): the model's setup is next
            self._update(status=RUNNING, stage=PREPARING)
        elif kind == "begin":
            self._update(status=RUNNING, stage=PREPARING, epochs=payload["epochs"],
                         steps=payload["steps"] or 0, epoch=1)
        elif kind == "batch":
            with self._lock:
                state = self._state
                for key, value in payload.items():
                    setattr(state, key, value)
                state.stage, state.progressed = TRAINING, now
                if state.trained_since is None:
                    # The rate is measured from the first report on: the compile before it is
                    # setup, and counted as a batch it made the first estimates far too long.
                    state.trained_since, state.steps_at_first = now, state.steps_done
        elif kind == "validating":
            self._validating_since = now
            self._update(stage=VALIDATING)
        elif kind == "epoch":
            with self._lock:
                state = self._state
                for key, value in payload.items():
                    state.history.setdefault(key, []).append(value)
                state.validated, state.stage = len(state.history.get("loss", [])), TRAINING
                if state.epoch < state.epochs and state.steps and state.step >= state.steps:
                    # The next epoch has begun: "batch 0" of it, not the last one's end.
                    state.epoch, state.step = state.epoch + 1, 0
                if self._validating_since is not None:
                    state.validation_seconds = now - self._validating_since
                self._validating_since = None
                if state.trained_since is not None:
                    # The validation is no batch: the batch rate leaves its time out.
                    state.trained_since += now - state.progressed
                    state.progressed = now
        elif kind == "curve":
            with self._lock:
                if len(self._state.curve) < MAX_CURVE_POINTS:
                    self._state.curve.append(payload)
        elif kind == "grid":
            self._update(grid=payload)
        elif kind == "snapshot":
            self._update(latest=payload)
        elif kind == "saving":
            self._update(status=SAVING)
        elif kind == "done":
            self._update(status=DONE, finished=now, **payload)
        elif kind in (CANCELLED, FAILED):
            self._update(status=kind, message=payload, finished=now)
        elif kind == "no_data":
            self._no_data_at = time.monotonic()
        return kind in (DONE, CANCELLED, FAILED)

    def _run(self, settings, max_seconds, commands):
        """Server-side thread: runs the child (`process.run_child`) until it ends, folding
        its events into the state."""
        job_process.run_child(
            self.models_dir, settings, nice=self._nice, load_data=self._load_data,
            max_seconds=max_seconds, commands=commands, apply=self._apply,
            started=self._started, due_drawing=self._due_drawing)
        self._spares.replenish()
