"""Calling code that could hang (a FIFO opened for reading waits for a writer forever) under a
time limit, so that a test fails in seconds instead of holding the whole run."""

import os
import threading

import pytest


def within(seconds, function, *args, fifos=(), **kwargs):
    """`function(*args, **kwargs)`'s result, or a test failure if it has not returned within
    `seconds` (its exception, if it raised, is raised here).

    Args:
        fifos: FIFOs the call may be stuck opening: on a timeout each is opened for writing and
            closed, so the stuck thread ends instead of outliving the test.
    """
    outcome = {}

    def run():
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        for fifo in fifos:
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        pytest.fail(f"{getattr(function, '__name__', function)} still running after "
                    f"{seconds} s: it hung")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
