"""ui/runner_start: a page's run thread started without the event loop waiting for it (issue 23).

The attack is the crowd: the new thread cannot run yet (here: held before its first line, as
the interpreter's lock holds it behind 100 pages' threads), and the loop that started it must
go on all the same; the thread then runs as any other.
"""

import threading

import pytest
from streamlit.runtime.scriptrunner import script_runner

from ui import runner_start
from ui.runner_start import UnwaitedThread

WAIT = 5.0  # seconds a start may take before the test calls it waiting

pytestmark = pytest.mark.skipif(not runner_start.can_start_unwaited(),
                                reason="this Python starts threads otherwise: runs start as before")


def _held(base):
    """A thread class like `base` whose thread waits for `go` before its first line."""
    class Held(base):
        go = threading.Event()

        def _bootstrap(self):
            self.go.wait()
            super()._bootstrap()

    return Held


def _start_within(thread, wait=WAIT):
    """Starts `thread` from another thread; True when `start` returned within `wait` seconds."""
    starter = threading.Thread(target=thread.start, daemon=True)
    starter.start()
    starter.join(wait)
    return not starter.is_alive()


def test_start_returns_before_the_thread_runs_and_it_runs_after():
    ran = []
    thread = _held(UnwaitedThread)(target=lambda: ran.append(threading.current_thread()))
    assert _start_within(thread)
    assert not ran and thread in threading._limbo and not thread.is_alive()
    thread.go.set()
    assert thread._started.wait(WAIT)  # joinable once it has begun, as any thread
    thread.join(WAIT)
    assert ran == [thread]  # its own thread: `current_thread()` is it, as Streamlit checks
    assert thread not in threading._limbo and not thread.is_alive()
    with pytest.raises(RuntimeError, match="once"):
        thread.start()


def test_a_thread_started_twice_before_it_runs_is_refused():
    thread = _held(UnwaitedThread)(target=lambda: None)
    assert _start_within(thread)
    with pytest.raises(RuntimeError, match="once"):
        thread.start()
    thread.go.set()
    assert thread._started.wait(WAIT)
    thread.join(WAIT)


def test_pythons_own_start_waits_for_the_thread():
    # What the loop did before: `start` returns only once the thread has begun.
    thread = _held(threading.Thread)(target=lambda: None, daemon=True)
    assert not _start_within(thread, wait=0.3)
    thread.go.set()
    assert thread._started.wait(WAIT)
    thread.join(WAIT)


def test_a_thread_that_cannot_be_made_is_an_error_and_leaves_nothing(monkeypatch):
    def refuse(*_):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading, "_start_new_thread", refuse)
    thread = UnwaitedThread(target=lambda: None)
    with pytest.raises(RuntimeError, match="can't start"):
        thread.start()
    assert thread not in threading._limbo


def _runner():
    """A `ScriptRunner` with what its `start` uses, its thread only checking Streamlit's own
    check and saying it ran."""
    runner = script_runner.ScriptRunner.__new__(script_runner.ScriptRunner)
    runner._script_thread, runner.ran = None, threading.Event()

    def run_script_thread():
        assert runner._script_thread is threading.current_thread()  # Streamlit's own check
        runner.ran.set()

    runner._run_script_thread = run_script_thread
    return runner


def test_streamlits_runner_starts_its_thread_unwaited(monkeypatch):
    original = script_runner.ScriptRunner.start
    monkeypatch.setattr(script_runner.ScriptRunner, "start",
                        getattr(original, "original", original))
    assert runner_start.start_runs_unwaited() and runner_start.start_runs_unwaited()  # idempotent
    start = script_runner.ScriptRunner.start
    assert start.starts_unwaited

    runner = _runner()
    start(runner)
    assert isinstance(runner._script_thread, UnwaitedThread) and runner._script_thread.daemon
    assert runner._script_thread.name == "ScriptRunner.scriptThread"
    assert runner.ran.wait(WAIT)
    with pytest.raises(RuntimeError, match="already started"):
        start(runner)


def test_a_runner_of_another_kind_starts_as_before(monkeypatch):
    # AppTest's runner joins its thread when a run times out: it keeps Python's start.
    original = script_runner.ScriptRunner.start
    original = getattr(original, "original", original)
    monkeypatch.setattr(script_runner.ScriptRunner, "start", original)
    started = []
    monkeypatch.setattr(script_runner.ScriptRunner, "start",
                        runner_start._unwaited(lambda runner: started.append(runner)))

    class AppTestsRunner(script_runner.ScriptRunner):
        def __init__(self):
            self._script_thread = None

    runner = AppTestsRunner()
    runner.start()
    assert started == [runner] and runner._script_thread is None
