"""The one training process a `TrainingJobs` keeps ready (`spare`): started when none is there
and no training runs, handed to the next job, replaced after that job or after its death."""

import threading
import time

from mnist_core.jobs.spare import Spare

RESPAWN_S = 60
"""An idle spare that died is replaced at once, but at most once in this many seconds: one
killed at every start (out of memory) must not keep a core busy importing TensorFlow."""


class SpareKeeper:
    """Holds at most one `Spare`.

    Args:
        command: `command()` gives the spare's command line now, or None when no visitor may
            train (nothing to keep ready).
        busy: `busy()` is True while a training runs: its end starts the next spare, since a
            spare beside a training would double the memory the two hold.
    """

    def __init__(self, command, busy):
        self._command, self._busy = command, busy
        self._lock = threading.Lock()
        self._spare, self._closed, self._lost_at = None, False, None

    def state(self):
        """`(pid, ready)` of the spare, or None."""
        spare = self._spare
        return None if spare is None or not spare.alive else (spare.pid, spare.ready.is_set())

    def take(self):
        """The spare, for a job, or None; the next starts once that job has ended."""
        with self._lock:
            spare, self._spare = self._spare, None
        return spare

    def close(self):
        """Ends the idle spare and starts no other."""
        with self._lock:
            self._closed, spare, self._spare = True, self._spare, None
        if spare is not None:
            spare.close()

    def replenish(self):
        """Starts a spare unless one is there, a training runs, or none may."""
        if self._busy():
            return
        command = self._command()
        if command is None:
            return
        with self._lock:
            if self._closed or (self._spare is not None and self._spare.alive):
                return
            self._spare = Spare(command, self._ended)

    def _ended(self, spare):
        """From a spare's thread once its child ended: after its job, or dead while idle."""
        with self._lock:
            if self._spare is spare:
                self._spare = None
            if not spare.given:
                now = time.monotonic()
                if self._lost_at is not None and now - self._lost_at < RESPAWN_S:
                    return  # the next training's end starts one
                self._lost_at = now
        self.replenish()
