"""Model checks on a background thread, one at a time, so that no page waits on one.

A stranger's model file takes seconds to check (a child process starts TensorFlow, then loads
it): a page that waited greyed out for all that time. Here a page hands the file to the
server's one `CheckQueue` and goes on with the model it had; it looks at the check's `stage`
every second until the check is `ready` or `refused`. One thread checks one file at a time
(each check costs a child's Keras import in memory); the same file sent by two visitors is
checked once. What waits is bounded: each owner (a page session) has at most one file waiting,
a newer one taking its place, and at most `max_waiting` files wait in all. Finished checks are
kept for `max_kept` files, least recently asked for forgotten first.
"""

import collections
import dataclasses
import logging
import statistics
import threading
import time

from mnist_core.errors import ModelFileError
from mnist_core.untrusted.sandbox import NotCheckedNow

_log = logging.getLogger(__name__)

WAITING, CHECKING, READY, REFUSED = "waiting", "checking", "ready", "refused"
RETRY_SECONDS = 60.0
"""After the server could not check a file (busy, out of processes), when it may try again."""
REMEMBERED_DURATIONS = 8
"""Checks whose durations tell the next visitor how long theirs will take (their median)."""


class QueueFull(NotCheckedNow):
    """Too many files wait for a check: the file is not to blame, so nothing is remembered."""


@dataclasses.dataclass
class Check:
    """One file's check, as the pages see it; the queue's thread updates it.

    Attributes:
        key: what names the file (its sha256).
        name: the visitor's file name, for messages.
        stage: WAITING, CHECKING, READY or REFUSED.
        step: what the check is doing now (the `progress` word the check function last gave).
        started: `time.monotonic()` when the check began (None while it waits).
        value: what the check function returned, once READY.
        error: the refusal's sentence, once REFUSED.
        ended: `time.monotonic()` when it finished (None before).
        transient: REFUSED for the server's trouble, not the file's: asked for again after
            `RETRY_SECONDS`, the file is checked again.
    """

    key: str
    name: str
    stage: str = WAITING
    step: str = ""
    started: float = None
    value: object = None
    error: str = None
    ended: float = None
    transient: bool = False

    @property
    def finished(self):
        return self.stage in (READY, REFUSED)

    def error_for(self, name):
        """The refusal's sentence naming the file `name`, as the visitor asking called it (the
        same bytes may have been sent first under another name, which is not theirs to see)."""
        return self.error.replace(self.name, name) if name != self.name else self.error


class CheckQueue:
    """The server's model checks: one at a time, on one thread, results kept for a few files.

    Args:
        check: `check(content, name, progress)` returning the value a page uses, or raising
            `ModelFileError` (one sentence naming `name`); it calls `progress(step)` as it goes.
        max_kept: finished checks kept (each may hold a model: ~5 MB for this app's largest).
        max_waiting: files waiting at once, all owners together (each holds its bytes).
        clock: seconds, monotonic (a test passes its own).
    """

    def __init__(self, check, max_kept=4, max_waiting=4, clock=time.monotonic):
        self._check = check
        self._max_kept = max_kept
        self._max_waiting = max_waiting
        self._clock = clock
        self._lock = threading.Condition()
        self._checks = collections.OrderedDict()  # key -> Check, finished ones least recent first
        self._waiting = collections.OrderedDict()  # key -> (content, owners), oldest first
        self._durations = collections.deque(maxlen=REMEMBERED_DURATIONS)
        self._thread = None

    def submit(self, key, name, content, owner):
        """The check of this file: the one under way or kept, else a new one put in the queue.

        Args:
            key: the file's sha256.
            name: the visitor's name for it.
            content: its bytes (kept only while it waits).
            owner: who asks (a page session's token): a file this owner had waiting and
                nobody else wants is dropped for this one.

        Returns:
            The file's `Check`.

        Raises:
            QueueFull: `max_waiting` files from others wait already.
        """
        with self._lock:
            found = self._checks.get(key)
            if found is not None and found.transient:
                if self._clock() - found.ended < RETRY_SECONDS:
                    return found
                del self._checks[key]
                found = None
            if found is not None:
                self._checks.move_to_end(key)
                if key in self._waiting:
                    self._waiting[key][1].add(owner)
                return found
            self._drop_waiting_of(owner)
            if len(self._waiting) >= self._max_waiting:
                raise QueueFull(f"The server is checking other visitors' models; send {name} "
                                "again in a minute.")
            check = Check(key, name)
            self._checks[key] = check
            self._waiting[key] = (content, {owner})
            self._forget_old()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="model-checks",
                                                daemon=True)
                self._thread.start()
            self._lock.notify()
            return check

    def find(self, key):
        """The file's `Check` when one is under way or kept, else None."""
        with self._lock:
            found = self._checks.get(key)
            if found is not None:
                self._checks.move_to_end(key)
            return found

    def wait(self, key, timeout):
        """The file's `Check` once finished, or as it is after `timeout` seconds."""
        deadline = self._clock() + timeout
        with self._lock:
            while (found := self._checks.get(key)) is not None and not found.finished:
                left = deadline - self._clock()
                if left <= 0:
                    break
                self._lock.wait(left)
            return found

    def typical_seconds(self):
        """The median duration of the last few checks that got to the end, or None."""
        with self._lock:
            return statistics.median(self._durations) if self._durations else None

    def _drop_waiting_of(self, owner):
        for key, (_, owners) in list(self._waiting.items()):
            owners.discard(owner)
            if not owners:
                del self._waiting[key]
                del self._checks[key]

    def _forget_old(self):
        finished = [key for key, check in self._checks.items() if check.finished]
        for key in finished[:max(0, len(finished) - self._max_kept)]:
            del self._checks[key]

    def _run(self):
        while True:
            with self._lock:
                while not self._waiting:
                    self._lock.wait()
                key, (content, _) = self._waiting.popitem(last=False)
                check = self._checks[key]
                check.stage, check.started = CHECKING, self._clock()
            self._finish(check, *self._call(check, content))

    def _call(self, check, content):
        def progress(step):
            check.step = step

        try:
            return self._check(content, check.name, progress), None
        except ModelFileError as error:
            return None, error
        except Exception:  # noqa: BLE001 - a bug must not leave a page "checking" forever
            _log.exception("Checking %s failed unexpectedly", check.name)
            return None, NotCheckedNow(f"The app could not check {check.name} now; "
                                       "try again in a minute.")

    def _finish(self, check, value, error):
        with self._lock:
            check.ended = self._clock()
            if error is None:
                self._durations.append(check.ended - check.started)
                check.value, check.stage = value, READY
            else:
                check.error, check.stage = str(error), REFUSED
                check.transient = isinstance(error, NotCheckedNow)  # the server's, not the file's
            self._forget_old()
            self._lock.notify_all()
