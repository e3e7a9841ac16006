"""MNIST's test images for the Explore view: loaded once per server, in the background, and a
failure remembered for a while.

With MNIST unreachable, every page run used to go through the whole download chain again
(~8 s each, longer where the network hangs), and a visitor's page could do nothing else
meanwhile: not draw, not switch language. Here one background thread per server process
tries; pages wait for it only briefly (a load from the local cache fits), then show that it
is loading and look again every second; after a failure no new attempt is made for
`MNIST_DATA_RETRY_SECONDS`.
"""

import logging
import math
import threading
import time

import streamlit as st

from mnist_core import settings
from mnist_core.errors import DataUnavailableError, MnistError

LOG = logging.getLogger(__name__)
WAIT_SECONDS = 3.0
"""How long a page waits for a load it started or found running: enough for the cache on
disk (~1 s), short enough that a download never holds a page for long."""


class MnistUnavailable(DataUnavailableError):
    """MNIST could not be loaded lately; no new attempt before `retry_in` seconds.

    Attributes:
        retry_in: seconds until the next attempt.
        minutes: the same in whole minutes, rounded up (at least 1), for a sentence.
    """

    def __init__(self, retry_in):
        self.retry_in = retry_in
        self.minutes = max(1, math.ceil(retry_in / 60))
        super().__init__(f"The MNIST test images could not be loaded; the next attempt is in "
                         f"about {self.minutes} min.")


class MnistLoading(MnistError):
    """MNIST is being loaded in the background: ask again in a moment."""

    def __init__(self):
        super().__init__("The MNIST test images are being loaded; this takes a moment.")


class BackgroundLoad:
    """Runs `load()` in a background thread once and keeps its value; a failure is
    remembered for `retry_seconds()`, then the next `get()` tries again.

    Visitors share one instance, so one attempt serves every page.

    Args:
        load: function of no arguments returning the value, raising `MnistError`.
        retry_seconds: function of no arguments giving the wait after a failure (read at each
            failure, so a deployer's setting applies without a restart).
        clock: seconds, monotonic (a test passes its own).
    """

    def __init__(self, load, retry_seconds, clock=time.monotonic):
        self._load = load
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._value = None
        self._retry_at = None
        self._thread = None

    def get(self, wait=0.0):
        """The loaded value, starting a load when none is under way and none failed lately.

        Args:
            wait: seconds to wait for a load under way before answering.

        Raises:
            MnistLoading: the load is still under way after `wait` seconds.
            MnistUnavailable: the load failed less than `retry_seconds` ago.
        """
        with self._lock:
            if self._value is None and self._thread is None:
                now = self._clock()
                if self._retry_at is not None and now < self._retry_at:
                    raise MnistUnavailable(self._retry_at - now)
                self._thread = threading.Thread(target=self._run, name="mnist-load", daemon=True)
                self._thread.start()
            thread = self._thread
        if thread is not None:
            thread.join(wait)
        with self._lock:
            if self._value is not None:
                return self._value
            if self._thread is not None:
                raise MnistLoading()
            raise MnistUnavailable(self._retry_at - self._clock())

    @property
    def loading(self):
        """Whether a load is under way now."""
        with self._lock:
            return self._thread is not None

    def _run(self):
        value = None
        try:
            value = self._load()
        except MnistError as error:
            # The reason (sources tried, what to set) is for the deployer: the log has it.
            LOG.warning("MNIST is unavailable: %s", error)
        except Exception:  # noqa: BLE001 - a bug must not leave every page "loading" forever
            LOG.exception("Loading MNIST failed unexpectedly")
        wait = self._retry_seconds() if value is None else None
        with self._lock:
            self._value = value
            if value is None:
                self._retry_at = self._clock() + wait
            self._thread = None


def _load_test_split():
    """Only the test split is kept: the page shows test images, and training loads its own
    copy in its own process, so the 47 MB of training images would sit here unused."""
    from mnist_core.data.mnist import load_data

    return load_data()[1]


def _retry_seconds():
    try:
        return settings.get("MNIST_DATA_RETRY_SECONDS")
    except MnistError as error:  # a bad value must not stop the retries
        LOG.warning("%s", error)
        return float(settings.SETTINGS["MNIST_DATA_RETRY_SECONDS"].default)


@st.cache_resource(show_spinner=False)
def mnist_test_loader():
    """The server's one `BackgroundLoad` of `(x_test, y_test)`."""
    return BackgroundLoad(_load_test_split, _retry_seconds)


def mnist_test_data():
    """`(x_test, y_test)`, loaded and verified once per server process.

    Returns:
        uint8 arrays of shapes (10000, 28, 28) and (10000,).

    Raises:
        MnistLoading: still loading after `WAIT_SECONDS`; ask again shortly.
        MnistUnavailable: MNIST could not be loaded, within the last `MNIST_DATA_RETRY_SECONDS`
            (no new attempt is made before then).
    """
    return mnist_test_loader().get(wait=WAIT_SECONDS)
