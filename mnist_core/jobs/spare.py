"""The server's side of a training process kept ready (`spare_worker`): started, handed its
one job, replaced.

A `Spare` owns one child and the thread that started it. That thread lives as long as the child
(Linux signals the child when the thread that started it ends, `PR_SET_PDEATHSIG`): it waits
for the child's `ready` and for a job, then relays the job's events exactly as a fresh worker's
are (`process.watch_child`: cancel, the time limit, the owner's drawing), and reaps the child.
A spare whose child ends before it was given a job (killed, out of memory) says so through
`on_end`, and so does one whose job has ended: `TrainingJobs` then starts the next.
"""

import json
import logging
import queue
import sys
import threading

import mnist_core.jobs.process as job_process
from mnist_core.jobs.drawing_command import JOB_COMMAND
from mnist_core.paths import SPARE_WORKER

LOG = logging.getLogger(__name__)
POLL_S = 0.05


def spare_command(models_dir, recipes, nice, load_data, parent):
    """The spare's command line: `python -m mnist_core.jobs.spare_worker` with these settings
    (as `process.worker_command` takes them; `recipes` are traced beforehand)."""
    if callable(load_data):
        load_data = f"{load_data.__module__}:{load_data.__qualname__}"
    command = [sys.executable, "-m", SPARE_WORKER, "--models", str(models_dir),
               "--recipes", ",".join(recipes), "--nice", str(nice), "--parent", str(parent)]
    return command + (["--load-data", load_data] if load_data else [])


class Spare:
    """One training process started ahead of its job.

    Args:
        command: its command line (`spare_command`).
        on_end: `on_end(spare)`, called from its thread once the child has ended, with or
            without a job.

    Attributes:
        pid: the child's process id (None if it could not start).
        ready: set once the child has warmed up.
        thread: the thread that owns the child; it ends with it.
    """

    def __init__(self, command, on_end):
        self.pid, self.ready = None, threading.Event()
        self.given = False  # True once a job was handed over
        self._ended = threading.Event()
        self._jobs = queue.Queue(maxsize=1)
        self._handover = threading.Lock()  # a job is never handed to a child that has ended
        self._on_end = on_end
        self._child = None
        self.thread = threading.Thread(target=self._live, args=(command,), daemon=True,
                                       name="mnist-training-spare")
        self.thread.start()

    @property
    def alive(self):
        return not self._ended.is_set()

    def take(self, settings, **watch):
        """Hands the spare its job; False if it has ended (start a fresh worker instead).

        Args:
            settings: the worker's settings (recipe, epochs, ..., keep).
            **watch: `started`, then `process.watch_child`'s `max_seconds`, `commands`,
                `apply` and `due_drawing`.
        """
        with self._handover:
            if self._ended.is_set() or self.given:
                return False
            self.given = True
            self._jobs.put((settings, watch))
        return True

    def close(self):
        """Ends an idle spare (its input closes, so it exits at once); a job it runs goes on."""
        child = self._child
        if child is not None and not self.given:
            try:
                child.stdin.close()
            except OSError:
                pass

    def _live(self, command):
        try:
            self._child, lines = job_process.start_child(command)
            self.pid = self._child.pid
            job = self._wait_for_job(lines)
            if job is not None:
                settings, watch = job
                job_process.tell(self._child, f"{JOB_COMMAND} {json.dumps(settings)}\n".encode())
                watch.pop("started")(self.pid)
                job_process.watch_child(self._child, lines, **watch)
        except Exception:  # noqa: BLE001 - the server must stay up; the next start runs fresh
            LOG.exception("The spare training process failed")
        finally:
            if self._child is not None and not self.given:
                self.close()
                job_process.end_child(self._child)
            self._ended.set()
            self._on_end(self)

    def _wait_for_job(self, lines):
        """Reads the child's events until a job comes (returned) or the child ends (None)."""
        while True:
            try:
                return self._jobs.get(timeout=POLL_S)
            except queue.Empty:
                pass
            while True:
                try:
                    line = lines.get_nowait()
                except queue.Empty:
                    break
                if line is None:  # it ended before any job: killed, or out of memory
                    with self._handover:
                        self._ended.set()  # no job can be handed to it from now on
                        if not self.given:
                            LOG.warning("The spare training process %s ended (exit code %s)",
                                        self.pid, self._child.wait())
                            return None
                    lines.put(None)  # a job just came: its watcher reads the end and says so
                    return self._jobs.get()
                if line.startswith(b'["ready"'):
                    self.ready.set()
