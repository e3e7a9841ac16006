"""A page's run starts without holding up the server's event loop.

Streamlit (1.67) runs each of a page's runs (a stroke's too) in a new thread, started from the
one event loop that serves every visitor (`ScriptRunner.start`). `threading.Thread.start`
returns only once the new thread has run its first lines, for which it needs the interpreter's
lock; with many pages running, it queues behind their threads for it. Meanwhile the loop,
which reads every visitor's messages and sends every answer, stands still. With 100 visitors
drawing on a 2-core Zen 1, py-spy found the loop's thread waiting there 45 % of the time, the
loop the server's bottleneck while the interpreter's lock was free a third of it (bench/README.md,
fourteenth pass).

So a run's thread is started as `threading.Thread.start` does, without that wait: the loop goes
on, and the run begins when its thread gets the interpreter. Where Python's private starting
functions differ from 3.11's and 3.12's (`threading._start_new_thread`, `_limbo`), runs start
as before.
"""

import sys
import threading

from ui.streamlit_patch import patch_once


def start_runs_unwaited():
    """Makes Streamlit's `ScriptRunner.start` start its thread without waiting for it to run;
    returns whether it is in place (False: another Python or Streamlit, which starts as
    before)."""
    if not can_start_unwaited():
        return False
    try:
        from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
    except ImportError:
        return False
    return patch_once(ScriptRunner, "start", "starts_unwaited", _unwaited)


def can_start_unwaited():
    """Whether this Python starts threads as `UnwaitedThread` expects (3.11, 3.12)."""
    return sys.version_info[:2] in ((3, 11), (3, 12)) and all(
        hasattr(threading, name) for name in ("_start_new_thread", "_limbo", "_active_limbo_lock"))


class UnwaitedThread(threading.Thread):
    """A thread whose `start` returns once the thread is created, not once it runs: until it
    runs, `is_alive()` is False and `join()` refuses, which Streamlit's runs never ask."""

    def start(self):
        """`threading.Thread.start` (CPython 3.11-3.12) less its final wait for the thread's
        first lines: the thread sits in `threading._limbo` until it runs, as there."""
        if not self._initialized:
            raise RuntimeError("thread.__init__() not called")
        with threading._active_limbo_lock:
            # Started and running, or started and not yet running: once only, as Python's.
            if self._started.is_set() or self in threading._limbo:
                raise RuntimeError("threads can only be started once")
            threading._limbo[self] = self
        try:
            threading._start_new_thread(self._bootstrap, ())
        except Exception:
            with threading._active_limbo_lock:
                del threading._limbo[self]
            raise


def _unwaited(start):
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    def start_runner(runner):
        if type(runner) is not ScriptRunner:
            # A runner of its own kind (AppTest's joins its thread when a run times out,
            # which a thread not yet running refuses): started as before.
            return start(runner)
        # Streamlit's own start (1.67), its thread an `UnwaitedThread`.
        if runner._script_thread is not None:
            raise RuntimeError("ScriptRunner was already started")
        runner._script_thread = UnwaitedThread(
            target=runner._run_script_thread, name="ScriptRunner.scriptThread", daemon=True)
        runner._script_thread.start()

    start_runner.original = start
    return start_runner
